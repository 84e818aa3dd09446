# Score-model morphology prior (trained on dust-free mock stamps) and the hallucination score
# of score-prior scene fits of the first `hallucination.n_scenes` mocks and of every real
# observation (config keys and defaults: workflow/schemas/config.schema.yaml); one script
# per rule.

PRIORS = config["priors"]
HALLUCINATION = config["hallucination"]
# the masked-half test runs on the named mock, or (null) on the best-resolved of all mocks
MASKED_HALF_SCENES = (
    [HALLUCINATION["masked_half_scene"]] if HALLUCINATION["masked_half_scene"] else MOCK_SCENES
)
HALLUCINATION_SCENES = MOCK_SCENES[: HALLUCINATION["n_scenes"]]


rule train_score_prior:
    output:
        model="results/priors/score_{size}.eqx",
        meta="results/priors/score_{size}.json",
        png=report(
            "results/figures/score_prior_loss_{size}.png",
            caption="../report/score_prior.rst",
            category="4. Priors",
            labels={"figure": "DSM loss", "size": "{size}"},
        ),
    params:
        seed=SEED,
        priors=PRIORS,
        # the stamps come from the configured mock suite (the one the fits and metrics use)
        suite=SUITE,
    log:
        "results/logs/priors/train_score_{size}.log",
    benchmark:
        "results/benchmarks/priors/train_score_{size}.tsv"
    priority: 80  # every hallucination map waits on the prior
    threads: 2
    resources:
        mem_mb=3000,
        runtime=30,
    conda:
        "../envs/dustscene.yaml"
    script:
        "../scripts/train_score_prior.py"


rule hallucination:
    input:
        data=fit_input,
        model=f"results/priors/score_{HALLUCINATION['prior_size']}.eqx",
        meta=f"results/priors/score_{HALLUCINATION['prior_size']}.json",
    output:
        h5="results/hallucination/{scene}.h5",
        png=report(
            "results/figures/hallucination_{scene}.png",
            caption="../report/hallucination.rst",
            category="4. Priors",
            labels={"figure": "hallucination maps", "scene": "{scene}"},
        ),
    params:
        seed=SEED,
        hallucination=hallucination_settings,
        has_truth=lambda wc: wc.scene not in OBS,
        jax_cache="results/.jax_cache",
    log:
        "results/logs/hallucination/{scene}.log",
    benchmark:
        "results/benchmarks/hallucination/{scene}.tsv"
    threads: 1
    resources:
        mem_mb=3000,
        runtime=20,
    conda:
        "../envs/dustscene.yaml"
    script:
        "../scripts/hallucination_maps.py"


rule hallucination_validation:
    input:
        mocks=expand("results/mocks/{scene}.h5", scene=MASKED_HALF_SCENES),
        mapped_mocks=expand("results/mocks/{scene}.h5", scene=HALLUCINATION_SCENES),
        maps=expand("results/hallucination/{scene}.h5", scene=HALLUCINATION_SCENES),
        model=f"results/priors/score_{HALLUCINATION['prior_size']}.eqx",
        meta=f"results/priors/score_{HALLUCINATION['prior_size']}.json",
    output:
        "results/hallucination/validation.json",
    params:
        seed=SEED,
        hallucination=HALLUCINATION,
        jax_cache="results/.jax_cache",
    log:
        "results/logs/hallucination/validation.log",
    benchmark:
        "results/benchmarks/hallucination/validation.tsv"
    threads: 1
    resources:
        mem_mb=3000,
        runtime=20,
    conda:
        "../envs/dustscene.yaml"
    script:
        "../scripts/hallucination_validation.py"


rule priors:
    input:
        expand("results/priors/score_{size}.eqx", size=PRIORS["sizes"]),
        "results/hallucination/validation.json",
        # every real observation gets its score-prior fit too (no truth: maps and figure only)
        expand("results/hallucination/{scene}.h5", scene=list(OBS)),
