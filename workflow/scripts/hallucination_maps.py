"""Rule hallucination: the score-prior fit of one scene (a fit file whose `hallucination/` group
holds F_L, F_P, dF and rho of its free pixels, `dust/` those of its dust map) and the figure of
its maps; a mock's figure also shows where the fit misses its truth."""

from dustscene._jax import configure_jax

sm = snakemake  # noqa: F821  (injected by Snakemake)
configure_jax(threads=sm.threads)  # float64: Fisher diagonals span many decades

from dustscene.hallucination.analysis import fit_config  # noqa: E402
from dustscene.hallucination.errors import scene_errors  # noqa: E402
from dustscene.hallucination.figure import plot_maps  # noqa: E402
from dustscene.inference import run_fit_file, use_compilation_cache  # noqa: E402
from dustscene.io.fitfile import read_fit  # noqa: E402
from dustscene.io.logs import setup_script_logging  # noqa: E402
from dustscene.io.observations import load_observation  # noqa: E402
from dustscene.mocks import read_scene  # noqa: E402

log = setup_script_logging(sm.log[0])
use_compilation_cache(sm.params.jax_cache)
cfg = {**fit_config(dict(sm.params.hallucination), sm.input.model), "seed": int(sm.params.seed)}
attrs = run_fit_file(sm.input.data, sm.output.h5, cfg, logger=log)
data = load_observation(sm.input.data, mask_bits=cfg["mask_bits"])
fit = read_fit(sm.output.h5, ("model/observed", "model/dustfree_observed", "hallucination"),
               optional=("dust/rho",))
errors = None
if sm.params.has_truth:
    mock = read_scene(sm.input.data)
    errors = scene_errors(fit, mock.dustfree, mock.attenuated, mock.variance)
    log.info("AUC of rho for large errors %.3f, prior-dominated light %.3f",
             errors["auc_large_error"], errors["prior_dominated_flux_fraction"])
plot_maps(data.images, data.bands, fit, errors, sm.output.png, title=sm.wildcards.scene)
log.info("%s: chi2/dof %.3f", sm.wildcards.scene, attrs["chi2_per_dof"])
