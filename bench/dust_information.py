"""How well photometry alone can pin the attenuation: the colour limits and the age-dust trade.

Colour limits (`--part colours`): on a mock suite's scenes, the attenuation that a screen of the
mock's own law infers from the exact colour excesses, per pixel after the PSF (pixels with
i-band S/N > 5, as `dust.a_band_observable`) and per galaxy (as
`dust.ceiling.a_band_integrated_colours`), scored against the truth. Colours cannot see grey
attenuation (stars mixed with dust): however well a screen fit knows the stars' colours, only
what the morphology adds takes it below these errors.

Age-dust trade (`--part posterior`): one dust-free population drawn from a mock suite's
`sed.<role>` block (the same population the fits use as their prior, `population: suite`) sits
behind a foreground screen E(B-V) of the fits' law; its band fluxes are observed at a given S/N
per band. NUTS (numpyro) samples the posterior of (log mass, SFH weights, burst fraction and
age, metallicity, E(B-V)) under that population prior and a flat E(B-V) in [0, 1.5], and the
script prints, per role and S/N, the posterior sd of A_g and the error of its posterior mean.
An image beats these numbers only where pixels share one population behind different dust;
a real galaxy also mixes several populations behind dust that is not a single screen.

    .venv/bin/python bench/dust_information.py --part colours --seed 20261126 --n-scenes 20
    .venv/bin/python bench/dust_information.py --part posterior --snr 100 --draws 4

Colours: seconds per scene; posterior: about 1 min per draw on 2 cores. Results also go to
`--out` (colours.json, posterior.json).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np

from dustscene._jax import configure_jax
from dustscene.config import load_yaml
from dustscene.sed import SEDParams, build_ssp_table
from dustscene.sed.dust import band_k
from dustscene.sed.filters import load_filters
from dustscene.sed.model import photometry_counts
from dustscene.sed.ssp import load_ssp_table
from dustscene.validation import observable as obs
from dustscene.validation.metrics import pixel_stats

ROOT = Path(__file__).resolve().parents[1]
BANDS = ["g", "r", "i", "z", "y"]
EBV_MAX_TRUE = 0.3  # truths: E(B-V) uniform in [0, 0.3] (A_g up to ~1.4 mag at z = 0.15)
EBV_MAX_PRIOR = 1.5


def band_counts(table, filters, k, redshift: float):
    """(log_mass, weights, f_burst, log_t_burst, log_z, ebv) -> attenuated band counts."""

    def counts(log_mass, weights, f_burst, log_t, log_z, ebv):
        zero = jnp.zeros(1)
        p = SEDParams(log_mass=log_mass[None], sfh_weights=weights[None], f_burst=f_burst[None],
                      t_burst=10.0 ** log_t[None], log_z=log_z[None], tau_bc=zero,
                      tau_ism=zero, n_dust=zero, redshift=jnp.full(1, redshift))
        return photometry_counts(p, table, filters, 27.0)[0] * 10.0 ** (-0.4 * k * ebv)

    return counts


def posterior_a_g(counts, block: dict, y, sigma, k_g: float, *, key, warmup: int,
                  samples: int) -> np.ndarray:
    """NUTS draws of A_g = k_g E(B-V) given band counts `y` +- `sigma`, population prior."""
    import numpyro
    import numpyro.distributions as dist
    from numpyro.infer import MCMC, NUTS

    lt = np.log10(block["t_burst_gyr"])

    def model():
        lm = numpyro.sample("log_mass", dist.Uniform(8.5, 11.5))
        w = numpyro.sample("weights", dist.Dirichlet(jnp.asarray(block["sfh_alpha"])))
        fb = numpyro.sample("f_burst", dist.Uniform(*block["f_burst"]))
        t = numpyro.sample("log_t_burst", dist.Uniform(*lt))
        lz = numpyro.sample("log_z", dist.Uniform(*block["log_z"]))
        ebv = numpyro.sample("ebv", dist.Uniform(0.0, EBV_MAX_PRIOR))
        numpyro.sample("y", dist.Normal(counts(lm, w, fb, t, lz, ebv), sigma), obs=y)

    mcmc = MCMC(NUTS(model, target_accept_prob=0.9), num_warmup=warmup, num_samples=samples,
                num_chains=2, chain_method="sequential", progress_bar=False)
    mcmc.run(key)
    return k_g * np.asarray(mcmc.get_samples()["ebv"])


def colour_limits(suite: dict, ssp: Path, seed: int, n_scenes: int) -> dict:
    """Per-pixel (post-PSF, i-band S/N > 5) and integrated g-band colour limits of the suite's
    first `n_scenes` mocks of `seed`, pooled and per inclination bin."""
    from dustscene.mocks.scene import make_scene
    from dustscene.mocks.sed_link import ssp_component_fluxes

    fluxes = ssp_component_fluxes(ssp)
    true_px, lim_px, bins_px, rows = [], [], [], []
    for index in range(n_scenes):
        m = make_scene(suite, scene_index=index, seed=seed, component_fluxes_fn=fluxes)
        k = np.asarray(m.attrs["k_bands"])
        a = obs.attenuation_map(m.attenuated, m.dustfree)
        i = list(m.attrs["bands"]).index("i")
        sel = m.attenuated[i] / np.sqrt(m.variance[i]) > obs.SNR_MIN
        lim = obs.colour_screen_attenuation(a[:, sel], k)
        a_int = obs.integrated_attenuation(m.attenuated, m.dustfree)
        lim_int = obs.colour_screen_attenuation(a_int, k)
        incl = float(m.attrs["inclination_deg"])
        true_px.append(a[0, sel])
        lim_px.append(lim[0])
        bins_px.append(np.full(int(sel.sum()), obs.inclination_bin(incl)))
        rows.append({"scene": index, "inclination_deg": incl, "a_g": float(a_int[0]),
                     "a_g_colour_limit": float(lim_int[0]),
                     "a_g_over_a_y": float(a_int[0] / a_int[-1]), "k_g_over_k_y": k[0] / k[-1]})
        print(f"scene {index} inclination {incl:.0f}: A_g {a_int[0]:.3f}, colour limit "
              f"{lim_int[0]:.3f}, A_g/A_y {a_int[0] / a_int[-1]:.2f} (screen {k[0] / k[-1]:.2f})",
              flush=True)
    t, lim, bins = (np.concatenate(x) for x in (true_px, lim_px, bins_px))
    err = np.array([r["a_g_colour_limit"] - r["a_g"] for r in rows])
    incl = np.array([obs.inclination_bin(r["inclination_deg"]) for r in rows])
    out = {"seed": seed, "scenes": rows, "a_g_observable": pixel_stats(lim, t).as_dict(),
           "a_g_integrated": {"bias": float(np.median(err)),
                              "median_abs_err": float(np.median(np.abs(err)))}}
    for name in obs.INCLINATION_BINS:
        w = bins == name
        out[name] = {"a_g_observable": pixel_stats(lim[w], t[w]).as_dict() if w.any() else {},
                     "a_g_integrated_median_abs_err":
                     float(np.median(np.abs(err[incl == name]))) if (incl == name).any()
                     else None}
    return out


def posterior_floor(args: argparse.Namespace, suite: dict, ssp: Path) -> list[dict]:
    """Per role and S/N: median posterior sd of A_g, median |posterior mean - truth| and the
    fraction of truths within 1 sd."""
    k, _ = band_k(args.law, "hsc", BANDS, args.redshift)
    counts = band_counts(load_ssp_table(ssp), load_filters("hsc", BANDS), jnp.asarray(k),
                         args.redshift)
    rng = np.random.default_rng(args.seed)
    rows = []
    for role in args.roles:
        block = suite["sed"][role]
        for snr in args.snr:
            sd, err, within = [], [], []
            for d in range(args.draws):
                truth = (jnp.asarray(10.0), jnp.asarray(rng.dirichlet(block["sfh_alpha"])),
                         jnp.asarray(rng.uniform(*block["f_burst"])),
                         jnp.asarray(rng.uniform(*np.log10(block["t_burst_gyr"]))),
                         jnp.asarray(rng.uniform(*block["log_z"])),
                         jnp.asarray(rng.uniform(0.0, EBV_MAX_TRUE)))
                y = counts(*truth)
                a_true = float(k[0] * truth[-1])
                a = posterior_a_g(counts, block, y, y / snr, float(k[0]),
                                  key=jax.random.key(args.seed + d), warmup=args.warmup,
                                  samples=args.samples)
                sd.append(float(a.std()))
                err.append(abs(float(a.mean()) - a_true))
                within.append(abs(float(a.mean()) - a_true) <= a.std())
                print(f"{role} S/N {snr:.0f} draw {d}: A_g true {a_true:.3f}, posterior "
                      f"{a.mean():.3f} +- {a.std():.3f}", flush=True)
            rows.append({"role": role, "snr": snr, "draws": args.draws,
                         "a_g_sd_median": float(np.median(sd)),
                         "a_g_abs_err_median": float(np.median(err)),
                         "within_1sd": float(np.mean(within))})
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--part", choices=["colours", "posterior", "both"], default="both")
    ap.add_argument("--suite", default=str(ROOT / "simulations" / "nihao_like.yaml"))
    ap.add_argument("--n-scenes", type=int, default=20)
    ap.add_argument("--roles", nargs="+", default=["bulge", "disk", "clumps"])
    ap.add_argument("--snr", type=float, nargs="+", default=[100.0, 20.0])
    ap.add_argument("--draws", type=int, default=4)
    ap.add_argument("--redshift", type=float, default=0.15)
    ap.add_argument("--law", default="calzetti")
    ap.add_argument("--warmup", type=int, default=300)
    ap.add_argument("--samples", type=int, default=400)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default=str(ROOT / "bench" / "results" / "dust_information"))
    args = ap.parse_args()
    configure_jax()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    ssp = out / "ssp_table.h5"
    if not ssp.exists():
        build_ssp_table(ssp)
    suite = load_yaml(args.suite)
    if args.part in ("colours", "both"):
        lim = colour_limits(suite, ssp, args.seed, args.n_scenes)
        print(f"\ncolour limit, g band (seed {args.seed}, {args.n_scenes} scenes):")
        px = lim["a_g_observable"]
        print(f"  per pixel after the PSF: r {px['pearson_r']:.3f}, slope {px['slope']:.3f}, "
              f"bias {px['bias']:+.3f}, nmad {px['nmad']:.3f} ({px['n_pixels']} pixels)")
        for name in obs.INCLINATION_BINS:
            b = lim[name]["a_g_observable"]
            if b:
                print(f"    {name}: r {b['pearson_r']:.3f}, slope {b['slope']:.3f}, "
                      f"bias {b['bias']:+.3f}; integrated median |err| "
                      f"{lim[name]['a_g_integrated_median_abs_err']:.3f}")
        print(f"  integrated: bias {lim['a_g_integrated']['bias']:+.3f}, median |err| "
              f"{lim['a_g_integrated']['median_abs_err']:.3f}")
        (out / "colours.json").write_text(json.dumps({"args": vars(args), **lim}, indent=1))
    if args.part in ("posterior", "both"):
        rows = posterior_floor(args, suite, ssp)
        print(f"\n{'role':8s} {'S/N':>5s} {'sd(A_g) med':>12s} {'|err| med':>10s} {'<=1 sd':>7s}")
        for r in rows:
            print(f"{r['role']:8s} {r['snr']:5.0f} {r['a_g_sd_median']:12.3f} "
                  f"{r['a_g_abs_err_median']:10.3f} {r['within_1sd']:7.2f}")
        (out / "posterior.json").write_text(json.dumps({"args": vars(args), "rows": rows},
                                                       indent=1))


if __name__ == "__main__":
    main()
