# Scene fits: every mock and every real observation, one job each.


def fit_input(wildcards):
    """A real observation by name, else the mock scene of that name."""
    if wildcards.scene in OBS:
        return OBS[wildcards.scene]
    return f"results/mocks/{wildcards.scene}.h5"


def fit_settings(wildcards):
    """Fit settings of a scene: fit.mocks, or fit.observations under the entry's own `fit`."""
    if wildcards.scene in OBS:
        own = next(o for o in config["observations"] if o["name"] == wildcards.scene)
        return {**config["fit"]["observations"], **own.get("fit", {})}
    return dict(config["fit"]["mocks"])


FIT_SCENES = MOCK_SCENES + list(OBS)


rule fit:
    input:
        fit_input,
    output:
        "results/fits/{scene}.h5",
    params:
        fit=fit_settings,
    log:
        "results/logs/fit/{scene}.log",
    benchmark:
        "results/benchmarks/fit/{scene}.tsv"
    threads: 2
    resources:
        mem_mb=3000,
        runtime=30,
    conda:
        "../envs/dustscene.yaml"
    script:
        "../scripts/fit.py"


rule fits:
    input:
        expand("results/fits/{scene}.h5", scene=FIT_SCENES),
