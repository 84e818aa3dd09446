"""Rule hallucination: the prior MAP fit of one mock behind its fitted dust, its F_L / F_P
maps (HDF5) and their figure."""

from dustscene._jax import configure_jax

sm = snakemake  # noqa: F821  (injected by Snakemake)
configure_jax(threads=sm.threads)  # float64: Fisher diagonals span many decades

from dustscene.hallucination.analysis import prior_and_settings  # noqa: E402
from dustscene.hallucination.compute import scene_hallucination  # noqa: E402
from dustscene.hallucination.figure import plot_maps  # noqa: E402
from dustscene.hallucination.store import write_hallucination  # noqa: E402
from dustscene.io.fitfile import read_fit  # noqa: E402
from dustscene.io.logs import setup_script_logging  # noqa: E402
from dustscene.mocks import read_scene  # noqa: E402

log = setup_script_logging(sm.log[0])
h = dict(sm.params.hallucination)
prior, settings = prior_and_settings(h, sm.input.model)
mock = read_scene(sm.input.mock)
ebv = read_fit(sm.input.fit, (), optional=("dust/ebv",)).get("dust/ebv")
result = scene_hallucination(mock, ebv, prior, settings, seed=int(sm.params.seed))
write_hallucination(sm.output.h5, result)
plot_maps(mock, result, sm.output.png, title=sm.wildcards.scene)
log.info("%s: %s", sm.wildcards.scene, result["attrs"])
