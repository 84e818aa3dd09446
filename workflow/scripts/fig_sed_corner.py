"""Rule fig6_sed_corner: plot flow vs NUTS vs truth for a held-out galaxy (figure 6)."""

from dustscene.io.logs import setup_script_logging
from dustscene.plots.paper import plot_sed_corner, save_png_pdf
from dustscene.plots.paper_data import load_npz

sm = snakemake  # noqa: F821  (injected by Snakemake)
log = setup_script_logging(sm.log[0])
data = load_npz(sm.input.data, required=["theta_names"])
save_png_pdf(plot_sed_corner(data), sm.output.png, sm.output.pdf)
log.info("figure 6 written: %s", sm.output.png)
