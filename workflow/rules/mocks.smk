# NIHAO+SKIRT-like mock scenes with known per-pixel dust, and their gallery figure.


rule simulate:
    input:
        ssp="results/sed/ssp_table.h5",
    output:
        "results/mocks/{mock}.h5",
    params:
        index=mock_index,
        seed=SEED,
        suite=SUITE,
        config_json=MOCK_CONFIG_JSON,
    log:
        "results/logs/simulate/{mock}.log",
    benchmark:
        "results/benchmarks/simulate/{mock}.tsv"
    threads: 1
    resources:
        mem_mb=1500,
        runtime=10,
    conda:
        "../envs/dustscene.yaml"
    script:
        "../scripts/simulate.py"


rule mock_gallery:
    input:
        expand("results/mocks/{mock}.h5", mock=MOCK_SCENES),
    output:
        png=report(
            "results/figures/mock_gallery.png",
            caption="../report/mock_gallery.rst",
            category="1. Mocks",
        ),
        pdf="results/figures/mock_gallery.pdf",
    log:
        "results/logs/mock_gallery.log",
    threads: 1
    resources:
        mem_mb=1500,
        runtime=5,
    conda:
        "../envs/dustscene.yaml"
    script:
        "../scripts/mock_gallery.py"


rule mocks:
    input:
        expand("results/mocks/{mock}.h5", mock=MOCK_SCENES),
        "results/figures/mock_gallery.png",
        "results/figures/mock_gallery.pdf",
