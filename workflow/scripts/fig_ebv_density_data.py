"""Rule fig4_ebv_density_data: inferred and true E(B-V) of every selected mock pixel -> .npz,
from rule validate_scene's per-scene pixel files (the validation is not run again here)."""

from dustscene.io.logs import setup_script_logging
from dustscene.plots.paper_data import ebv_pixels, save_npz

sm = snakemake  # noqa: F821  (injected by Snakemake)
log = setup_script_logging(sm.log[0])
data = ebv_pixels(list(sm.input.pixels))
save_npz(sm.output[0], data)
log.info("figure 4 data written: %s (%d pixels)", sm.output[0], data["inferred"].size)
