"""Rule fit: fit one mock scene or real observation and write its fit file (layout:
`dustscene.io.fitfile`)."""

from dustscene._jax import configure_jax

sm = snakemake  # noqa: F821  (injected by Snakemake)
configure_jax(threads=sm.threads)  # before any JAX computation

from dustscene.inference import run_fit_file, use_compilation_cache  # noqa: E402
from dustscene.io.logs import setup_script_logging  # noqa: E402

log = setup_script_logging(sm.log[0])
# compiled fits shared across fit jobs: scenes of one structure compile once per run
use_compilation_cache(sm.params.jax_cache)
attrs = run_fit_file(sm.input[0], sm.output[0], dict(sm.params.fit), logger=log)
log.info("chi2/dof %.4f after %d steps", attrs["chi2_per_dof"], attrs["n_steps"])
