"""Rule fit_residuals: data, model and residual/sigma per band of one fit (PNG and PDF)."""

from dustscene.io.figure import save_figure
from dustscene.io.logs import setup_script_logging
from dustscene.plots.fits import plot_fit_file

sm = snakemake  # noqa: F821  (injected by Snakemake)
log = setup_script_logging(sm.log[0])
fig = plot_fit_file(sm.input.fit, sm.input.data, None, mask_bits=sm.params.mask_bits)
for path in (sm.output.png, sm.output.pdf):
    save_figure(fig, path)
log.info("residual figure written: %s", sm.output.png)
