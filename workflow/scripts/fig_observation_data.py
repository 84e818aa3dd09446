"""Rule fig3_observation_data: data, models, residuals and E(B-V) of a real cutout's fit -> .npz."""

from dustscene.io.logs import setup_script_logging
from dustscene.plots.paper_data import observation_panels, save_npz

sm = snakemake  # noqa: F821  (injected by Snakemake)
log = setup_script_logging(sm.log[0])
save_npz(sm.output[0],
         observation_panels(sm.input.fit, sm.input.data, mask_bits=sm.params.mask_bits))
log.info("figure 3 data written: %s", sm.output[0])
