"""Rule hallucination_validation: the masked-half test on the best-resolved mock and the AUC of
rho for the large errors of every mapped mock's score-prior fit (validation.json)."""

from dustscene._jax import configure_jax

sm = snakemake  # noqa: F821  (injected by Snakemake)
configure_jax(threads=sm.threads)  # float64: Fisher diagonals span many decades

from pathlib import Path  # noqa: E402

from dustscene.hallucination.analysis import fit_config  # noqa: E402
from dustscene.hallucination.compute import most_resolved, validation_summary  # noqa: E402
from dustscene.hallucination.errors import scene_errors  # noqa: E402
from dustscene.inference import use_compilation_cache  # noqa: E402
from dustscene.io.atomic import json_safe, write_json_atomic  # noqa: E402
from dustscene.io.fitfile import read_fit  # noqa: E402
from dustscene.io.logs import setup_script_logging  # noqa: E402
from dustscene.mocks import read_scene  # noqa: E402

log = setup_script_logging(sm.log[0])
use_compilation_cache(sm.params.jax_cache)
h = dict(sm.params.hallucination)
cfg = {**fit_config(h, sm.input.model), "seed": int(sm.params.seed)}
keys = ("model/observed", "model/dustfree_observed", "hallucination")
scenes = []
for m, f in zip(sm.input.mapped_mocks, sm.input.maps, strict=True):
    mock = read_scene(m)
    scenes.append(scene_errors(read_fit(f, keys), mock.dustfree, mock.attenuated, mock.variance))
mocks = [read_scene(p) for p in sm.input.mocks]
pick = most_resolved(mocks)
log.info("masked-half test on %s (best resolved of %d)", sm.input.mocks[pick], len(mocks))
summary = validation_summary(
    mocks[pick], cfg, scenes, seed=int(sm.params.seed), peak_snr=float(h["masked_half_snr"])
)
summary["masked_half"]["scene"] = Path(sm.input.mocks[pick]).stem
# strict JSON: an undefined statistic (NaN AUC with one class empty) is written as null
write_json_atomic(sm.output[0], json_safe(summary))
log.info("hallucination validation: %s", summary)
