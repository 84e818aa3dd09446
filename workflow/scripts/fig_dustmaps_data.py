"""Rule fig2_dustmaps_data: true and inferred E(B-V) maps of the example mocks -> .npz."""

from dustscene.io.logs import setup_script_logging
from dustscene.plots.paper_data import dustmap_examples, save_npz

sm = snakemake  # noqa: F821  (injected by Snakemake)
log = setup_script_logging(sm.log[0])
save_npz(sm.output[0], dustmap_examples(list(sm.input.mocks), list(sm.input.fits)))
log.info("figure 2 data written: %s", sm.output[0])
