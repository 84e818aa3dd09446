"""Rule calibrate_sedflow: SBC, coverage, TARP, C2ST vs NUTS references, timing -> JSON, figures."""

from dustscene._jax import configure_jax
from dustscene.io.logs import setup_script_logging

sm = snakemake  # noqa: F821  (injected by Snakemake)
configure_jax(threads=sm.threads)
log = setup_script_logging(sm.log[0])

from dustscene.sedflow import calibrate  # noqa: E402

p = sm.params
o = sm.output
calibrate(sm.input.manifest, sm.input.ssp, o.json,
          {"ranks": [o.ranks_png, o.ranks_pdf], "coverage": [o.coverage_png, o.coverage_pdf],
           "corner": [o.corner_png, o.corner_pdf]},
          seed=p.seed, n_sbc=p.n_sbc, n_posterior=p.n_posterior,
          references=sm.input.references, threads=sm.threads, plot_data=o.plot_data)
