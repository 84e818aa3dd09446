# Scene fits: every mock and every real observation, one job each.


FIT_SCENES = MOCK_SCENES + list(OBS)


rule fit:
    input:
        fit_input,
        spectrum_prior=fit_spectrum_prior,
    output:
        "results/fits/{scene}.h5",
    params:
        fit=fit_settings,
        jax_cache="results/.jax_cache",
    log:
        "results/logs/fit/{scene}.log",
    benchmark:
        "results/benchmarks/fit/{scene}.tsv"
    # one thread: a fit's small FFTs and while-loop keep ~1.2 cores busy at 2 threads; two
    # one-thread fits side by side each run ~1.5x slower than alone, still ~25 % less wall time
    # than one after another at two threads. Peak memory 2.5 GB (results/benchmarks/fit/)
    threads: 1
    resources:
        mem_mb=3000,
        runtime=30,
    conda:
        "../envs/dustscene.yaml"
    script:
        "../scripts/fit.py"


rule fit_residuals:
    input:
        fit="results/fits/{scene}.h5",
        data=fit_input,
    output:
        png=report(
            "results/figures/fit_{scene}.png",
            caption="../report/fit_residuals.rst",
            category="2. Fits",
            labels={"figure": "data, model, residuals", "scene": "{scene}"},
        ),
        pdf="results/figures/fit_{scene}.pdf",
    params:
        mask_bits=lambda wc: fit_settings(wc).get("mask_bits"),
    log:
        "results/logs/fit_residuals/{scene}.log",
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    conda:
        "../envs/dustscene.yaml"
    script:
        "../scripts/fit_residuals.py"


rule fits:
    input:
        expand("results/fits/{scene}.h5", scene=FIT_SCENES),
        expand("results/figures/fit_{scene}.{ext}", scene=list(OBS), ext=("png", "pdf")),
