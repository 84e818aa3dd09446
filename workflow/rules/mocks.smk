# NIHAO+SKIRT-like mock scenes with known per-pixel dust (their gallery: rule fig1_mock_gallery).


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


# the gallery is paper figure 1, drawn by rule fig1_mock_gallery (figures.smk)
rule mocks:
    input:
        expand("results/mocks/{mock}.h5", mock=MOCK_SCENES),
        "results/figures/fig1_mock_gallery.png",
        "results/figures/fig1_mock_gallery.pdf",
