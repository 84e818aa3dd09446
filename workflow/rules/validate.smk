# Validation: every mock fit against its truth (once, per scene), then one metrics.json for the
# whole run pooled from those per-scene records.


rule validate_scene:
    input:
        mock="results/mocks/{mock}.h5",
        fit="results/fits/{mock}.h5",
    output:
        record="results/validation/scenes/{mock}.json",
        pixels="results/validation/scenes/{mock}.npz",
    log:
        "results/logs/validate/{mock}.log",
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    conda:
        "../envs/dustscene.yaml"
    script:
        "../scripts/validate_scene.py"


rule validation:
    input:
        # rule validate_scene's outputs, in MOCK_SCENES order: each scene is validated once
        scenes=expand("results/validation/scenes/{mock}.json", mock=MOCK_SCENES),
        pixels=expand("results/validation/scenes/{mock}.npz", mock=MOCK_SCENES),
        observations=expand("results/fits/{scene}.h5", scene=list(OBS)),
        hallucination="results/hallucination/validation.json",
        sed="results/sedflow/calibration.json",
        sed_posteriors="results/sedflow/posteriors.json",
        spectra="results/spectra/outliers.json",
    output:
        metrics="results/validation/metrics.json",
        table=report(
            "results/validation/scenes.tsv",
            caption="../report/validation.rst",
            category="0. Summary",
        ),
    params:
        provenance={"config_sha256": CONFIG_SHA, "seed": SEED},
    log:
        "results/logs/validation.log",
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    conda:
        "../envs/dustscene.yaml"
    script:
        "../scripts/validation.py"
