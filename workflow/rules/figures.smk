# Paper figures (target paper_figures), one plot rule `figN_*` each. Figure 1 (the mock
# gallery, also the `mocks` target's figure: there is no other gallery rule) plots the mock
# files directly; figures 2-8 plot a small data file only, so a style
# change (workflow/scripts/fig_*.py or src/dustscene/plots/paper.py) reruns plots only.
# Figures 2-5 and 8 get that file from a `figN_*_data` rule; 6 and 7 from calibrate_sedflow.

FIGURES = config["figures"]
FIG_N_EXAMPLES = min(FIGURES["n_examples"], len(MOCK_SCENES))
FIG_OBS = FIGURES["observation"] or next(iter(OBS), None)
if FIG_OBS is not None and FIG_OBS not in OBS:
    raise WorkflowError(
        f"dustscene: figures.observation {FIG_OBS!r} is not one of observations[].name "
        f"{sorted(OBS)}"
    )
FIG_BENCH_DIR = str(WORKFLOW_DIR / FIGURES["bench_dir"])  # an absolute path stays absolute
FIG_BENCH_FILES = ("fit_vs_scarlet2.json", "sedflow.json")
# Plot rules depend on the plotting module too: a style change there reruns the plots only.
FIG_PLOT_CODE = str(WORKFLOW_DIR / "src" / "dustscene" / "plots" / "paper.py")
FIG_GALLERY_CODE = str(WORKFLOW_DIR / "src" / "dustscene" / "plots" / "gallery.py")
FIG_CATEGORY = "7. Paper figures"

PAPER_FIGURES = ["fig1_mock_gallery", "fig2_dustmaps", "fig4_ebv_density", "fig5_hallucination",
                 "fig6_sed_corner", "fig7_calibration", "fig8_speed",
                 "fig9_spectrum_prior"]  # fig9: rule fig_spectrum_prior (spectra.smk)
if FIG_OBS is not None:
    PAPER_FIGURES.insert(2, f"fig3_observation_{FIG_OBS}")


localrules:
    fig1_mock_gallery,
    fig2_dustmaps,
    fig3_observation,
    fig4_ebv_density,
    fig5_hallucination,
    fig6_sed_corner,
    fig7_calibration,
    fig8_speed,
    fig8_speed_data,


rule fig1_mock_gallery:
    input:
        mocks=expand("results/mocks/{mock}.h5", mock=MOCK_SCENES),
        code=FIG_GALLERY_CODE,
    output:
        png=report(
            "results/figures/fig1_mock_gallery.png",
            caption="../report/fig_mock_gallery.rst",
            category=FIG_CATEGORY,
            labels={"figure": "1: mocks over inclinations", "scene": "one galaxy"},
        ),
        pdf="results/figures/fig1_mock_gallery.pdf",
    log:
        "results/logs/figures/fig1_mock_gallery.log",
    threads: 1
    resources:
        mem_mb=1500,
        runtime=5,
    conda:
        "../envs/dustscene.yaml"
    script:
        "../scripts/fig_mock_gallery.py"


rule fig2_dustmaps_data:
    input:
        mocks=expand("results/mocks/{mock}.h5", mock=MOCK_SCENES),  # examples by inclination
        fits=expand("results/fits/{mock}.h5", mock=MOCK_SCENES),
    output:
        "results/figures/data/fig2_dustmaps.npz",
    params:
        n_examples=FIG_N_EXAMPLES,
    log:
        "results/logs/figures/fig2_dustmaps_data.log",
    benchmark:
        "results/benchmarks/figures/fig2_dustmaps_data.tsv"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    conda:
        "../envs/dustscene.yaml"
    script:
        "../scripts/fig_dustmaps_data.py"


rule fig2_dustmaps:
    input:
        data="results/figures/data/fig2_dustmaps.npz",
        code=FIG_PLOT_CODE,
    output:
        png=report(
            "results/figures/fig2_dustmaps.png",
            caption="../report/fig_dustmaps.rst",
            category=FIG_CATEGORY,
            labels={"figure": "2: true vs inferred dust maps", "scene": "examples"},
        ),
        pdf="results/figures/fig2_dustmaps.pdf",
    log:
        "results/logs/figures/fig2_dustmaps.log",
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    conda:
        "../envs/dustscene.yaml"
    script:
        "../scripts/fig_dustmaps.py"


rule fig3_observation_data:
    input:
        fit="results/fits/{scene}.h5",
        data=fit_input,
    output:
        "results/figures/data/fig3_observation_{scene}.npz",
    params:
        mask_bits=lambda wc: fit_settings(wc).get("mask_bits"),
    log:
        "results/logs/figures/fig3_observation_data_{scene}.log",
    benchmark:
        "results/benchmarks/figures/fig3_observation_data_{scene}.tsv"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    conda:
        "../envs/dustscene.yaml"
    script:
        "../scripts/fig_observation_data.py"


rule fig3_observation:
    input:
        data="results/figures/data/fig3_observation_{scene}.npz",
        code=FIG_PLOT_CODE,
    output:
        png=report(
            "results/figures/fig3_observation_{scene}.png",
            caption="../report/fig_observation.rst",
            category=FIG_CATEGORY,
            labels={"figure": "3: real cutout, models, residuals, E(B-V)", "scene": "{scene}"},
        ),
        pdf="results/figures/fig3_observation_{scene}.pdf",
    log:
        "results/logs/figures/fig3_observation_{scene}.log",
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    conda:
        "../envs/dustscene.yaml"
    script:
        "../scripts/fig_observation.py"


rule fig4_ebv_density_data:
    input:
        # the validation's selected pixels per scene (rule validate_scene), in MOCK_SCENES order
        pixels=expand("results/validation/scenes/{mock}.npz", mock=MOCK_SCENES),
    output:
        "results/figures/data/fig4_ebv_density.npz",
    log:
        "results/logs/figures/fig4_ebv_density_data.log",
    benchmark:
        "results/benchmarks/figures/fig4_ebv_density_data.tsv"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    conda:
        "../envs/dustscene.yaml"
    script:
        "../scripts/fig_ebv_density_data.py"


rule fig4_ebv_density:
    input:
        data="results/figures/data/fig4_ebv_density.npz",
        code=FIG_PLOT_CODE,
    output:
        png=report(
            "results/figures/fig4_ebv_density.png",
            caption="../report/fig_ebv_density.rst",
            category=FIG_CATEGORY,
            labels={"figure": "4: inferred vs true E(B-V) per pixel", "scene": "all mocks"},
        ),
        pdf="results/figures/fig4_ebv_density.pdf",
    log:
        "results/logs/figures/fig4_ebv_density.log",
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    conda:
        "../envs/dustscene.yaml"
    script:
        "../scripts/fig_ebv_density.py"


rule fig5_hallucination_data:
    input:
        maps=expand("results/hallucination/{scene}.h5", scene=HALLUCINATION_SCENES),
        mocks=expand("results/mocks/{scene}.h5", scene=HALLUCINATION_SCENES),
        validation="results/hallucination/validation.json",
    output:
        "results/figures/data/fig5_hallucination.npz",
    log:
        "results/logs/figures/fig5_hallucination_data.log",
    benchmark:
        "results/benchmarks/figures/fig5_hallucination_data.tsv"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    conda:
        "../envs/dustscene.yaml"
    script:
        "../scripts/fig_hallucination_data.py"


rule fig5_hallucination:
    input:
        data="results/figures/data/fig5_hallucination.npz",
        code=FIG_PLOT_CODE,
    output:
        png=report(
            "results/figures/fig5_hallucination.png",
            caption="../report/fig_hallucination.rst",
            category=FIG_CATEGORY,
            labels={"figure": "5: hallucination rho maps, masked half", "scene": "mapped mocks"},
        ),
        pdf="results/figures/fig5_hallucination.pdf",
    log:
        "results/logs/figures/fig5_hallucination.log",
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    conda:
        "../envs/dustscene.yaml"
    script:
        "../scripts/fig_hallucination.py"


rule fig6_sed_corner:
    input:
        data="results/sedflow/calibration_plots.npz",
        code=FIG_PLOT_CODE,
    output:
        png=report(
            "results/figures/fig6_sed_corner.png",
            caption="../report/fig_sed_corner.rst",
            category=FIG_CATEGORY,
            labels={"figure": "6: SED posterior, flow vs NUTS vs truth", "scene": "held-out"},
        ),
        pdf="results/figures/fig6_sed_corner.pdf",
    log:
        "results/logs/figures/fig6_sed_corner.log",
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    conda:
        "../envs/dustscene.yaml"
    script:
        "../scripts/fig_sed_corner.py"


rule fig7_calibration:
    input:
        data="results/sedflow/calibration_plots.npz",
        code=FIG_PLOT_CODE,
    output:
        png=report(
            "results/figures/fig7_calibration.png",
            caption="../report/fig_calibration.rst",
            category=FIG_CATEGORY,
            labels={"figure": "7: SBC ranks, coverage, TARP", "scene": "held-out"},
        ),
        pdf="results/figures/fig7_calibration.pdf",
    log:
        "results/logs/figures/fig7_calibration.log",
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    conda:
        "../envs/dustscene.yaml"
    script:
        "../scripts/fig_calibration.py"


rule fig8_speed_data:
    input:
        fits=expand("results/fits/{scene}.h5", scene=FIT_SCENES),
        calibration="results/sedflow/calibration.json",
        # bench JSONs are optional: those present become inputs, so a new bench result reruns
        # figure 8 and a missing one gives a "bench not run" panel instead of an error
        bench=lambda wc: [
            str(p) for p in (Path(FIG_BENCH_DIR) / n for n in FIG_BENCH_FILES) if p.is_file()
        ],
    output:
        "results/figures/data/fig8_speed.json",
    params:
        bench_dir=FIGURES["bench_dir"],  # relative to the repository: the script resolves it
    log:
        "results/logs/figures/fig8_speed_data.log",
    threads: 1
    resources:
        mem_mb=500,
        runtime=5,
    conda:
        "../envs/dustscene.yaml"
    script:
        "../scripts/fig_speed_data.py"


rule fig8_speed:
    input:
        data="results/figures/data/fig8_speed.json",
        code=FIG_PLOT_CODE,
    output:
        png=report(
            "results/figures/fig8_speed.png",
            caption="../report/fig_speed.rst",
            category=FIG_CATEGORY,
            labels={"figure": "8: speed, fits and SED posteriors", "scene": "all"},
        ),
        pdf="results/figures/fig8_speed.pdf",
    log:
        "results/logs/figures/fig8_speed.log",
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    conda:
        "../envs/dustscene.yaml"
    script:
        "../scripts/fig_speed.py"


rule paper_figures:
    input:
        expand("results/figures/{fig}.{ext}", fig=PAPER_FIGURES, ext=("png", "pdf")),
