"""Rule fig5_hallucination: plot rho maps and the masked-half test (figure 5)."""

from dustscene.io.logs import setup_script_logging
from dustscene.plots.paper import plot_hallucination, save_png_pdf
from dustscene.plots.paper_data import load_npz

sm = snakemake  # noqa: F821  (injected by Snakemake)
log = setup_script_logging(sm.log[0])
data = load_npz(sm.input.data, required=["names", "auc", "temperature", "mh_labels",
                                         "mh_values", "rho_0"])
save_png_pdf(plot_hallucination(data), sm.output.png, sm.output.pdf)
log.info("figure 5 written: %s", sm.output.png)
