"""Rule fig2_dustmaps: plot true vs inferred dust maps with residuals (figure 2)."""

from dustscene.io.logs import setup_script_logging
from dustscene.plots.paper import plot_dustmaps, save_png_pdf
from dustscene.plots.paper_data import load_npz

sm = snakemake  # noqa: F821  (injected by Snakemake)
log = setup_script_logging(sm.log[0])
data = load_npz(sm.input.data, required=["names", "inclination", "ebv_true_0"])
save_png_pdf(plot_dustmaps(data), sm.output.png, sm.output.pdf)
log.info("figure 2 written: %s", sm.output.png)
