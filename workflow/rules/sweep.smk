# Seed sweep: the whole pipeline (`all`) once per seed, each an independent job running an inner
# Snakemake in its own directory (results/sweep/seed_<s>/, with its own .snakemake state), then
# the headline metrics across seeds. Also the report's landing page (verdict before the DAG).
import sys

from dustscene.validation.landing import landing_description
from dustscene.validation.sweep import seed_configfiles, seed_list

try:
    SWEEP_SEEDS = seed_list(config["sweep"]["seeds"])
    SWEEP_CONFIGS = [
        str(p)
        for p in seed_configfiles(
            config["sweep"]["config"], WORKFLOW_DIR, workflow.config_settings.configfiles
        )
    ]
except ConfigError as exc:
    raise WorkflowError(f"dustscene: {exc}") from None
SWEEP_METRICS = "results/sweep/seed_{seed}/results/validation/metrics.json"


wildcard_constraints:
    seed=r"\d+",


rule sweep_seed:
    input:
        SWEEP_CONFIGS,
    output:
        SWEEP_METRICS,
    params:
        python=sys.executable,
        snakefile=workflow.main_snakefile,
        profile=str(WORKFLOW_DIR / "profiles" / "default"),
        workdir=lambda wildcards: f"results/sweep/seed_{wildcards.seed}",
        configfiles=lambda wildcards, input: " ".join(f"'{p}'" for p in input),
    log:
        "results/logs/sweep/seed_{seed}.log",
    benchmark:
        "results/benchmarks/sweep/seed_{seed}.tsv"
    threads: config["sweep"]["threads"]
    resources:
        mem_mb=8000,
        runtime=360,
    conda:
        "../envs/dustscene.yaml"
    # --nolock: this job owns the seed's directory (the outer Snakemake locks its output), and
    # a stale lock left by a killed job must not stop the resume.
    shell:
        "{params.python} -m snakemake all --snakefile '{params.snakefile}'"
        " --directory {params.workdir} --workflow-profile '{params.profile}'"
        " --configfile {params.configfiles} --config seed={wildcards.seed}"
        " --cores {threads} --nolock > {log} 2>&1"


rule sweep_summary:
    input:
        expand(SWEEP_METRICS, seed=SWEEP_SEEDS),
    output:
        summary="results/sweep/summary.json",
        table=report(
            "results/sweep/summary.tsv",
            caption="../report/sweep_table.rst",
            category="0. Verdict",
        ),
        png=report(
            "results/sweep/summary.png",
            caption="../report/sweep_figure.rst",
            category="0. Verdict",
        ),
        pdf="results/sweep/summary.pdf",
    params:
        seeds=SWEEP_SEEDS,
        config=" ".join(os.path.relpath(p, WORKFLOW_DIR) for p in SWEEP_CONFIGS),
    log:
        "results/logs/sweep/summary.log",
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    conda:
        "../envs/dustscene.yaml"
    script:
        "../scripts/sweep_summary.py"


rule sweep:
    input:
        rules.sweep_summary.output,


# The summary is a few seconds of reading JSON and plotting: never a cluster job.
localrules:
    sweep,
    sweep_summary,



# The report's description: workflow.rst followed by this working directory's verdict and
# sweep (rewritten into .snakemake/dustscene/landing.rst), or workflow.rst alone before any run.
REPORT_LANDING = str(
    landing_description(
        WORKFLOW_DIR / "workflow" / "report" / "workflow.rst",
        Path("."),
        Path(".snakemake", "dustscene", "landing.rst").resolve(),
    )
)
