"""Rule fig4_ebv_density: plot inferred vs true E(B-V) per pixel with the binned bias (figure 4)."""

from dustscene.io.logs import setup_script_logging
from dustscene.plots.paper import plot_ebv_density, save_png_pdf
from dustscene.plots.paper_data import load_npz

sm = snakemake  # noqa: F821  (injected by Snakemake)
log = setup_script_logging(sm.log[0])
data = load_npz(sm.input.data, required=["inferred", "effective", "column", "scene",
                                         "effective_bin_bias", "column_bin_bias"])
save_png_pdf(plot_ebv_density(data), sm.output.png, sm.output.pdf)
log.info("figure 4 written: %s", sm.output.png)
