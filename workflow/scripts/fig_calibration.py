"""Rule fig7_calibration: plot SBC ranks, expected coverage and TARP (figure 7)."""

from dustscene.io.logs import setup_script_logging
from dustscene.plots.paper import plot_calibration, save_png_pdf
from dustscene.plots.paper_data import load_npz

sm = snakemake  # noqa: F821  (injected by Snakemake)
log = setup_script_logging(sm.log[0])
data = load_npz(sm.input.data, required=["ranks", "n_posterior", "ks_pvals", "levels",
                                         "coverage", "tarp_alpha", "tarp_ecp", "tarp_atc",
                                         "theta_names"])
save_png_pdf(plot_calibration(data), sm.output.png, sm.output.pdf)
log.info("figure 7 written: %s", sm.output.png)
