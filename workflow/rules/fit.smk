# Scene fits: every mock and every real observation, one job each.


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
