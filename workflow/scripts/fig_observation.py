"""Rule fig3_observation: plot the real cutout, its models, residuals and E(B-V) (figure 3)."""

from dustscene.io.logs import setup_script_logging
from dustscene.plots.paper import plot_observation, save_png_pdf
from dustscene.plots.paper_data import load_npz

sm = snakemake  # noqa: F821  (injected by Snakemake)
log = setup_script_logging(sm.log[0])
data = load_npz(sm.input.data, required=["data", "model", "deconvolved", "residual_sigma",
                                         "ebv", "has_dust", "bands", "name"])
save_png_pdf(plot_observation(data), sm.output.png, sm.output.pdf)
log.info("figure 3 written: %s", sm.output.png)
