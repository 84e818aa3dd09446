"""Rule train_score_prior: render stamps, train the score U-Net, save .eqx + .json + loss figure."""

from dustscene._jax import configure_jax

sm = snakemake  # noqa: F821  (injected by Snakemake)
configure_jax(enable_x64=False, threads=sm.threads)  # float32 training: twice as fast on CPU

from dustscene.io.logs import setup_script_logging  # noqa: E402
from dustscene.priors.pipeline import train_score_prior  # noqa: E402
from dustscene.priors.train import ScoreTrainSettings  # noqa: E402

log = setup_script_logging(sm.log[0])
p = dict(sm.params.priors)
settings = ScoreTrainSettings(
    steps=int(p["steps"]),
    batch=int(p["batch"]),
    lr=float(p["lr"]),
    t_min=float(p["t_min"]),
    t_max=float(p["t_max"]),
    width=int(p["width"]),
)
meta = train_score_prior(
    int(sm.wildcards.size),
    int(p["n_train"]),
    int(sm.params.seed),
    settings,
    sm.output.model,
    sm.output.png,
    redshift_range=tuple(p["redshift_range"]),
    suite=dict(sm.params.suite),
)
log.info(
    "trained score_%s in %.1f s, final loss %.4g, training set sha256 %s",
    sm.wildcards.size,
    meta["train_seconds"],
    meta["final_loss"],
    meta["training_set_sha256"],
)
