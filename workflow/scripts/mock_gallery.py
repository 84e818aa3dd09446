"""Rule mock_gallery: the talk's NIHAO+SKIRT slide from the mock scene files."""

from dustscene.io.logs import setup_script_logging
from dustscene.plots.gallery import plot_gallery

sm = snakemake  # noqa: F821  (injected by Snakemake)
log = setup_script_logging(sm.log[0])
plot_gallery(list(sm.input), png=sm.output.png, pdf=sm.output.pdf)
log.info("gallery written: %s", sm.output.png)
