"""Rule simulate: one NIHAO+SKIRT-like mock scene with its per-pixel dust truth."""

from dustscene._jax import configure_jax

sm = snakemake  # noqa: F821  (injected by Snakemake)
configure_jax(threads=sm.threads)  # before any JAX computation

from dustscene.io.logs import setup_script_logging  # noqa: E402
from dustscene.mocks.io import write_scene  # noqa: E402
from dustscene.mocks.scene import make_scene  # noqa: E402
from dustscene.mocks.sed_link import ssp_component_fluxes  # noqa: E402

log = setup_script_logging(sm.log[0])
scene = make_scene(
    sm.params.suite,
    scene_index=sm.params.index,
    seed=sm.params.seed,
    component_fluxes_fn=ssp_component_fluxes(sm.input.ssp),
    config_json=sm.params.config_json,
)
write_scene(sm.output[0], scene)
log.info(
    "scene %d: inclination %.1f deg -> %s",
    sm.params.index,
    float(scene.attrs["inclination_deg"]),
    sm.output[0],
)
