"""Rule fig5_hallucination_data: rho maps and masked-half fractions -> .npz."""

from dustscene.io.logs import setup_script_logging
from dustscene.plots.paper_data import hallucination_panels, save_npz

sm = snakemake  # noqa: F821  (injected by Snakemake)
log = setup_script_logging(sm.log[0])
save_npz(sm.output[0], hallucination_panels(list(sm.input.maps), list(sm.input.mocks),
                                            sm.input.validation))
log.info("figure 5 data written: %s", sm.output[0])
