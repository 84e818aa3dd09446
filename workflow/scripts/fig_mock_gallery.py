"""Rule fig1_mock_gallery: i-band without/with dust over inclinations (figure 1, the
NIHAO+SKIRT slide), plotted straight from the mock files (the gallery's plot is its compute)."""

from dustscene.io.logs import setup_script_logging
from dustscene.plots.gallery import plot_gallery

sm = snakemake  # noqa: F821  (injected by Snakemake)
log = setup_script_logging(sm.log[0])
plot_gallery(list(sm.input.mocks), png=sm.output.png, pdf=sm.output.pdf)
log.info("figure 1 written: %s", sm.output.png)
