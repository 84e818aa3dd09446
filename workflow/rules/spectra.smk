# Spectrum prior: seeded SED-model spectra shards -> spender-style autoencoder + latent density
# -> outlier scores of held-out, injected and fitted spectra, and its figure.
# Needs config["spectra"] (see the schema) and results/sed/ssp_table.h5 (rule build_ssp_table).

SPECTRA = config["spectra"]
SPECTRA_SHARDS = range(SPECTRA["n_shards"])


rule simulate_spectra_shard:
    input:
        ssp="results/sed/ssp_table.h5",
    output:
        temp("results/spectra/shards/shard_{shard}.h5"),
    params:
        seed=SEED,
        shard=lambda wc: int(wc.shard),
        n=lambda wc: SPECTRA["n_train"] // SPECTRA["n_shards"]
        + (int(wc.shard) < SPECTRA["n_train"] % SPECTRA["n_shards"]),
        spectra=SPECTRA,
    log:
        "results/logs/spectra/simulate_{shard}.log",
    benchmark:
        "results/benchmarks/spectra/simulate_{shard}.tsv"
    threads: 1
    resources:
        mem_mb=3000,
        runtime=30,
    conda:
        "../envs/dustscene.yaml"
    script:
        "../scripts/spectra_simulate.py"


rule merge_spectra:
    input:
        expand("results/spectra/shards/shard_{shard:03d}.h5", shard=SPECTRA_SHARDS),
    output:
        "results/spectra/training_set.h5",
    log:
        "results/logs/spectra/merge.log",
    benchmark:
        "results/benchmarks/spectra/merge.tsv"
    threads: 1
    resources:
        mem_mb=3000,
        runtime=10,
    conda:
        "../envs/dustscene.yaml"
    script:
        "../scripts/spectra_merge.py"


rule train_spectrum_prior:
    input:
        train="results/spectra/training_set.h5",
    output:
        model="results/spectra/spectrum_prior.eqx",
        manifest="results/spectra/spectrum_prior.json",
        loss_png=report(
            "results/figures/spectrum_prior_loss.png",
            caption="../report/spectra.rst",
            category="4. Priors",
            labels={"figure": "spectrum autoencoder loss"},
        ),
        loss_pdf="results/figures/spectrum_prior_loss.pdf",
    params:
        seed=SEED,
        spectra=SPECTRA,
    log:
        "results/logs/spectra/train.log",
    benchmark:
        "results/benchmarks/spectra/train.tsv"
    threads: 2
    resources:
        mem_mb=4000,
        runtime=30,
    conda:
        "../envs/dustscene.yaml"
    script:
        "../scripts/spectra_train.py"


rule spectrum_outliers:
    input:
        model="results/spectra/spectrum_prior.eqx",
        manifest="results/spectra/spectrum_prior.json",
        train="results/spectra/training_set.h5",
        ssp="results/sed/ssp_table.h5",
        fits=expand("results/fits/{scene}.h5", scene=FIT_SCENES),
        mocks=expand("results/mocks/{scene}.h5", scene=MOCK_SCENES),
    output:
        "results/spectra/outliers.json",
    params:
        seed=SEED,
        spectra=SPECTRA,
        scenes=FIT_SCENES,
        mock_scenes=MOCK_SCENES,
    log:
        "results/logs/spectra/outliers.log",
    benchmark:
        "results/benchmarks/spectra/outliers.tsv"
    threads: 2
    resources:
        mem_mb=4000,
        runtime=30,
    conda:
        "../envs/dustscene.yaml"
    script:
        "../scripts/spectra_outliers.py"


rule fig_spectrum_prior:
    input:
        model="results/spectra/spectrum_prior.eqx",
        manifest="results/spectra/spectrum_prior.json",
        train="results/spectra/training_set.h5",
        outliers="results/spectra/outliers.json",
    output:
        png=report(
            "results/figures/fig9_spectrum_prior.png",
            caption="../report/spectra_figure.rst",
            category="7. Paper figures",
            labels={"figure": "spectrum prior"},
        ),
        pdf="results/figures/fig9_spectrum_prior.pdf",
    params:
        seed=SEED,
        spectra=SPECTRA,
    log:
        "results/logs/spectra/figure.log",
    benchmark:
        "results/benchmarks/spectra/figure.tsv"
    threads: 1
    resources:
        mem_mb=3000,
        runtime=10,
    conda:
        "../envs/dustscene.yaml"
    script:
        "../scripts/spectra_figure.py"


rule spectra:
    input:
        rules.spectrum_outliers.output,
        rules.fig_spectrum_prior.output,
