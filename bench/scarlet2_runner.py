"""Run scarlet2 (0.5.1, its own venv) on the bench scenes written by fit_vs_scarlet2.py.

Usage: .bench/scarlet2/bin/python bench/scarlet2_runner.py scenes.npz out.json [n_scenes]
(`make bench` creates that environment from bench/scarlet2-requirements.txt.)
Documented recipe (scarlet2 docs, quickstart): Frame with a model PSF, Observation.match,
sources inside `with Scene(frame)`, Parameters with constraints and relative step sizes,
`scene.fit(obs, max_iter, e_rel)`. Sersic size ~ R_e, ellipticity (e1, e2) from (q, theta).
"""

import json
import sys
import time

import jax

jax.config.update("jax_enable_x64", True)
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
import scarlet2 as s2  # noqa: E402
import scarlet2.infer as s2_infer  # noqa: E402
from numpyro.distributions import constraints  # noqa: E402

s2.set_validation(False)

# count optimizer steps without a per-step callback (scarlet2's callback re-builds the scene
# every step, which would slow it down): wrap the module-level step function fit() calls
_STEPS = [0]
_make_step = s2_infer._make_step


def _counted_step(*args, **kwargs):
    _STEPS[0] += 1
    return _make_step(*args, **kwargs)


s2_infer._make_step = _counted_step


def ellipticity(q, theta):
    e = (1 - q**2) / (1 + q**2)
    return jnp.array([e * np.cos(2 * theta), e * np.sin(2 * theta)])


def main(path, out, n):
    d = np.load(path)
    data, var, psf, p0 = d["data"], d["var"], d["psf"], d["start"]
    npar_pix = data.shape[1] * data.shape[2] * data.shape[3]
    res = []
    for k in range(n):
        t0 = time.perf_counter()
        box = s2.Box(data[k].shape)
        frame = s2.Frame(box, psf=s2.GaussianPSF(0.8))
        obs = s2.Observation(
            jnp.asarray(data[k]), weights=jnp.asarray(1 / var[k]), psf=s2.ArrayPSF(jnp.asarray(psf))
        )
        obs.match(frame)
        p = p0[k]
        # scarlet2's Sersic is not flux-normalised (f = 1 at R_e) and its `size` is the
        # geometric-mean radius R_e sqrt(q): map dustscene's total fluxes and major-axis R_e
        morphs = [
            s2.SersicMorphology(
                jnp.asarray(p[7]),
                jnp.asarray(p[8] * np.sqrt(0.7)),
                ellipticity=ellipticity(0.7, 0.3),
                shape=(41, 41),
            ),
            s2.SersicMorphology(
                jnp.asarray(p[16]),
                jnp.asarray(p[17] * np.sqrt(0.5)),
                ellipticity=ellipticity(0.5, 1.2),
                shape=(31, 31),
            ),
        ]
        norms = [float(jnp.sum(m())) for m in morphs]
        with s2.Scene(frame) as scene:
            s2.Source(jnp.array(p[5:7]), jnp.asarray(p[0:5] / norms[0]), morphs[0])
            s2.Source(jnp.array(p[14:16]), jnp.asarray(p[9:14] / norms[1]), morphs[1])
            s2.PointSource(jnp.array(p[23:25]), jnp.asarray(p[18:23]))
        with s2.Parameters(scene):
            for j, src in enumerate(scene.sources):
                Parameter = s2.Parameter
                Parameter(
                    src.spectrum,
                    name=f"spectrum:{j}",
                    constraint=constraints.positive,
                    stepsize=s2.relative_step,
                )
                Parameter(src.center, name=f"center:{j}", stepsize=0.1)
                if j < 2:
                    Parameter(
                        src.morphology.n,
                        name=f"n:{j}",
                        constraint=constraints.interval(0.5, 6.0),
                        stepsize=0.05,
                    )
                    Parameter(
                        src.morphology.size,
                        name=f"size:{j}",
                        constraint=constraints.positive,
                        stepsize=0.05,
                    )
                    Parameter(
                        src.morphology.ellipticity,
                        name=f"ell:{j}",
                        constraint=constraints.interval(-1, 1),
                        stepsize=0.01,
                    )
        t_build = time.perf_counter() - t0
        _STEPS[0] = 0
        scene_ = scene.fit(obs, max_iter=3000, e_rel=1e-4, progress_bar=False)
        model = obs.render(scene_())
        jax.block_until_ready(model)
        wall = time.perf_counter() - t0
        chi2 = float(jnp.sum(obs.weights * (obs.data - model) ** 2))
        npar = 29  # 3 x 5 fluxes, 3 x 2 centres, 2 x (n, size, e1, e2)
        res.append(
            {
                "scene": k,
                "wall_s": wall,
                "build_s": t_build,
                "steps": _STEPS[0],
                "chi2_per_dof": chi2 / (npar_pix - npar),
            }
        )
        print(json.dumps(res[-1]), flush=True)
    json.dump(res, open(out, "w"))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]) if len(sys.argv) > 3 else 4)
