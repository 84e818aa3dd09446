# The stellar-population table every SED computation uses, built once per config.


rule build_ssp_table:
    output:
        "results/sed/ssp_table.h5",
    params:
        n_wave=config["sed"]["ssp_n_wave"],
        n_age=config["sed"]["ssp_n_age"],
    log:
        "results/logs/build_ssp_table.log",
    benchmark:
        "results/benchmarks/build_ssp_table.tsv"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    conda:
        "../envs/dustscene.yaml"
    script:
        "../scripts/build_ssp_table.py"
