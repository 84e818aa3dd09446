"""Rule sedflow_posteriors: flow posteriors of every fitted component of every scene, batched."""

from dustscene._jax import configure_jax
from dustscene.io.logs import setup_script_logging

sm = snakemake  # noqa: F821  (injected by Snakemake)
configure_jax(threads=sm.threads)
log = setup_script_logging(sm.log[0])

from dustscene.sedflow.posteriors import SceneInput, scene_posteriors  # noqa: E402

p = sm.params
q = p.posteriors
scenes = [SceneInput(name, fit, src, mock) for name, fit, src, mock in
          zip(p.scenes, sm.input.fits, sm.input.sources, p.is_mock, strict=True)]
scene_posteriors(sm.input.manifest, scenes, list(sm.output.posteriors), sm.output.json,
                 n_samples=q["n_samples"], n_keep=q["n_keep"], seed=p.seed,
                 flux_floor=q["flux_floor"], zeropoint=q["zeropoint"], redshifts=q["redshifts"],
                 threads=sm.threads)
