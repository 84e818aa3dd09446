"""Rule hallucination_validation: the masked-half test on the best-resolved mock and the median
AUC of rho over the mapped scenes (validation.json)."""

from dustscene._jax import configure_jax

sm = snakemake  # noqa: F821  (injected by Snakemake)
configure_jax(threads=sm.threads)  # float64: Fisher diagonals span many decades

from pathlib import Path  # noqa: E402

from dustscene.hallucination.analysis import prior_and_settings  # noqa: E402
from dustscene.hallucination.compute import most_resolved, validation_summary  # noqa: E402
from dustscene.hallucination.store import read_auc, write_validation  # noqa: E402
from dustscene.io.logs import setup_script_logging  # noqa: E402
from dustscene.mocks import read_scene  # noqa: E402

log = setup_script_logging(sm.log[0])
h = dict(sm.params.hallucination)
prior, settings = prior_and_settings(h, sm.input.model)
aucs = [read_auc(path) for path in sm.input.maps]
mocks = [read_scene(p) for p in sm.input.mocks]
pick = most_resolved(mocks)
log.info("masked-half test on %s (best resolved of %d)", sm.input.mocks[pick], len(mocks))
summary = validation_summary(
    mocks[pick], prior, settings, aucs, seed=int(sm.params.seed),
    peak_snr=float(h["masked_half_snr"]),
)
summary["masked_half"]["scene"] = Path(sm.input.mocks[pick]).stem
write_validation(sm.output[0], summary)
log.info("hallucination validation: %s", summary)
