"""Rule fig8_speed: plot seconds per fit and per SED posterior (figure 8)."""

import json
from pathlib import Path

from dustscene.io.logs import setup_script_logging
from dustscene.plots.paper import plot_speed, save_png_pdf

sm = snakemake  # noqa: F821  (injected by Snakemake)
log = setup_script_logging(sm.log[0])
summary = json.loads(Path(sm.input.data).read_text())
save_png_pdf(plot_speed(summary), sm.output.png, sm.output.pdf)
log.info("figure 8 written: %s", sm.output.png)
