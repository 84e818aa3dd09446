"""Rule train_sedflow: an ensemble of NPE flows (one per seed), weights + manifest + loss curves."""

from dustscene.io.logs import setup_script_logging
from dustscene.sedflow import train_ensemble

sm = snakemake  # noqa: F821  (injected by Snakemake)
log = setup_script_logging(sm.log[0])
p = sm.params
train_ensemble(sm.input.train, sm.output.weights, sm.output.manifest, seeds=p.seeds,
               spec=p.spec, train=p.train, loss_figures=[sm.output.loss_png, sm.output.loss_pdf],
               threads=sm.threads)
