# SEDflow: seeded simulation shards -> merged training set -> NPE flow ensemble -> calibration
# against NUTS references of the held-out galaxies (their own stage, reused by every flow).
# Needs config["sedflow"] (see the schema) and results/sed/ssp_table.h5 (rule build_ssp_table).

SEDFLOW = config["sedflow"]
SED_SHARDS = range(SEDFLOW["n_shards"])
SEDFLOW_SCENES = MOCK_SCENES + list(OBS)  # every fitted scene, mocks first


wildcard_constraints:
    shard=r"\d{3}",


rule simulate_sed_shard:
    input:
        ssp="results/sed/ssp_table.h5",
    output:
        temp("results/sedflow/shards/shard_{shard}.h5"),
    params:
        seed=SEED,
        shard=lambda wc: int(wc.shard),
        n=lambda wc: SEDFLOW["n_train"] // SEDFLOW["n_shards"]
        + (int(wc.shard) < SEDFLOW["n_train"] % SEDFLOW["n_shards"]),
        survey=SEDFLOW["survey"],
        bands=SEDFLOW["bands"],
        noise=SEDFLOW["noise"],
        ranges=SEDFLOW["ranges"],
    log:
        "results/logs/sedflow/simulate_{shard}.log",
    benchmark:
        "results/benchmarks/sedflow/simulate_{shard}.tsv"
    priority: 90  # upstream of the flow training (Snakemake does not pass priorities up)
    threads: 1
    resources:
        mem_mb=3000,
        runtime=30,
    conda:
        "../envs/dustscene.yaml"
    script:
        "../scripts/sedflow_simulate.py"


rule merge_sed_shards:
    input:
        expand("results/sedflow/shards/shard_{shard:03d}.h5", shard=SED_SHARDS),
    output:
        "results/sedflow/training_set.h5",
    log:
        "results/logs/sedflow/merge.log",
    benchmark:
        "results/benchmarks/sedflow/merge.tsv"
    priority: 90
    threads: 1
    resources:
        mem_mb=4000,
        runtime=10,
    conda:
        "../envs/dustscene.yaml"
    script:
        "../scripts/sedflow_merge.py"


rule train_sedflow:
    input:
        train="results/sedflow/training_set.h5",
    output:
        weights="results/sedflow/flows.pt",
        manifest="results/sedflow/flows.json",
        loss_png=report(
            "results/figures/sedflow_loss.png",
            caption="../report/sedflow.rst",
            category="4. SED flows",
        ),
        loss_pdf="results/figures/sedflow_loss.pdf",
    params:
        seeds=[SEED + i for i in range(SEDFLOW["ensemble"])],
        spec=SEDFLOW["flow"],
        train=SEDFLOW["train"],
    log:
        "results/logs/sedflow/train.log",
    benchmark:
        "results/benchmarks/sedflow/train.tsv"
    # one thread: the default config's two flows trained in 451 s on two threads and 457-490 s
    # on one (results/benchmarks/sedflow/train.tsv), so the second core goes to the fits
    threads: 1
    priority: 90  # the second-longest job, and calibration waits on it
    resources:
        mem_mb=6000,
        runtime=24 * 60,
    conda:
        "../envs/dustscene.yaml"
    script:
        "../scripts/sedflow_train.py"


# The NUTS references depend on the seed's held-out galaxies, not on the flows: every flow
# trained on this config is compared with the same chains, computed once.
rule sedflow_nuts_references:
    input:
        ssp="results/sed/ssp_table.h5",
    output:
        "results/sedflow/nuts_references.h5",
    params:
        seed=SEED,
        n_sbc=SEDFLOW["n_sbc"],
        n_nuts=SEDFLOW["n_nuts_galaxies"],
        survey=SEDFLOW["survey"],
        bands=SEDFLOW["bands"],
        noise=SEDFLOW["noise"],
        ranges=SEDFLOW["ranges"],
        nuts_warmup=SEDFLOW["nuts_warmup"],
        nuts_samples=SEDFLOW["nuts_samples"],
        nuts_chains=SEDFLOW["nuts_chains"],
    log:
        "results/logs/sedflow/nuts_references.log",
    benchmark:
        "results/benchmarks/sedflow/nuts_references.tsv"
    # one thread: the 4 vmapped chains of a 10-parameter model keep ~1.3 cores busy at two
    threads: 1
    # the longest single job of the run: start it first so that the short jobs fill the other
    # cores around it instead of leaving it alone at the end
    priority: 100
    resources:
        mem_mb=4000,
        runtime=6 * 60,
    conda:
        "../envs/dustscene.yaml"
    script:
        "../scripts/sedflow_nuts_references.py"


rule calibrate_sedflow:
    input:
        manifest="results/sedflow/flows.json",
        weights="results/sedflow/flows.pt",
        ssp="results/sed/ssp_table.h5",
        references="results/sedflow/nuts_references.h5",
    output:
        json="results/sedflow/calibration.json",
        plot_data="results/sedflow/calibration_plots.npz",
        ranks_png=report(
            "results/figures/sedflow_sbc_ranks.png",
            caption="../report/sedflow.rst",
            category="4. SED flows",
        ),
        ranks_pdf="results/figures/sedflow_sbc_ranks.pdf",
        coverage_png=report(
            "results/figures/sedflow_coverage.png",
            caption="../report/sedflow.rst",
            category="4. SED flows",
        ),
        coverage_pdf="results/figures/sedflow_coverage.pdf",
        corner_png=report(
            "results/figures/sedflow_corner_nuts.png",
            caption="../report/sedflow.rst",
            category="4. SED flows",
        ),
        corner_pdf="results/figures/sedflow_corner_nuts.pdf",
    params:
        seed=SEED,
        n_sbc=SEDFLOW["n_sbc"],
        n_posterior=SEDFLOW["n_posterior"],
    log:
        "results/logs/sedflow/calibrate.log",
    benchmark:
        "results/benchmarks/sedflow/calibrate.tsv"
    threads: 2
    resources:
        mem_mb=6000,
        runtime=60,
    conda:
        "../envs/dustscene.yaml"
    script:
        "../scripts/sedflow_calibrate.py"


rule sedflow_posteriors:
    input:
        manifest="results/sedflow/flows.json",
        weights="results/sedflow/flows.pt",
        fits=expand("results/fits/{scene}.h5", scene=SEDFLOW_SCENES),
        sources=[f"results/mocks/{m}.h5" for m in MOCK_SCENES] + [OBS[n] for n in OBS],
    output:
        posteriors=expand("results/sedflow/posteriors/{scene}.h5", scene=SEDFLOW_SCENES),
        json="results/sedflow/posteriors.json",
    params:
        seed=SEED,
        scenes=SEDFLOW_SCENES,
        is_mock=[True] * len(MOCK_SCENES) + [False] * len(OBS),
        posteriors=SEDFLOW["posteriors"],
    log:
        "results/logs/sedflow/posteriors.log",
    benchmark:
        "results/benchmarks/sedflow/posteriors.tsv"
    threads: 2
    resources:
        mem_mb=6000,
        runtime=60,
    conda:
        "../envs/dustscene.yaml"
    script:
        "../scripts/sedflow_posteriors.py"


rule sedflow:
    input:
        rules.train_sedflow.output,
        rules.calibrate_sedflow.output,
        rules.sedflow_posteriors.output,
