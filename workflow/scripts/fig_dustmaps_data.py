"""Rule fig2_dustmaps_data: true and inferred E(B-V) maps of one mock per inclination bin."""

from dustscene.io.logs import setup_script_logging
from dustscene.plots.paper_data import dustmap_examples, pick_by_inclination, save_npz

sm = snakemake  # noqa: F821  (injected by Snakemake)
log = setup_script_logging(sm.log[0])
pick = pick_by_inclination(list(sm.input.mocks))[: sm.params.n_examples]
save_npz(sm.output[0], dustmap_examples([sm.input.mocks[k] for k in pick],
                                        [sm.input.fits[k] for k in pick]))
log.info("figure 2 data written: %s", sm.output[0])
