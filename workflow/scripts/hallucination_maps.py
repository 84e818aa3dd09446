"""Rule hallucination: the prior MAP fit of one mock behind its fitted dust, its F_L / F_P
maps (HDF5) and their figure."""

from dustscene._jax import configure_jax

sm = snakemake  # noqa: F821  (injected by Snakemake)
configure_jax(threads=sm.threads)  # float64: Fisher diagonals span many decades

import h5py  # noqa: E402

from dustscene.hallucination.analysis import FitSettings  # noqa: E402
from dustscene.hallucination.compute import scene_hallucination  # noqa: E402
from dustscene.hallucination.figure import plot_maps  # noqa: E402
from dustscene.hallucination.store import write_hallucination  # noqa: E402
from dustscene.io.logs import setup_script_logging  # noqa: E402
from dustscene.mocks import read_scene  # noqa: E402
from dustscene.priors import ScorePrior, load_score_model  # noqa: E402

log = setup_script_logging(sm.log[0])
h = dict(sm.params.hallucination)
net, _ = load_score_model(sm.input.model)
prior = ScorePrior(net, temperature=float(h["temperature"]))
settings = FitSettings(
    steps=int(h["fit_steps"]), lr=float(h["fit_lr"]), n_probes=int(h["n_probes"])
)
mock = read_scene(sm.input.mock)
with h5py.File(sm.input.fit, "r") as f:
    ebv = f["dust/ebv"][()] if "dust/ebv" in f else None
result = scene_hallucination(mock, ebv, prior, settings, seed=int(sm.params.seed))
write_hallucination(sm.output.h5, result)
plot_maps(mock, result, sm.output.png, title=sm.wildcards.scene)
log.info("%s: %s", sm.wildcards.scene, result["attrs"])
