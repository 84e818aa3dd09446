"""Rule sweep_summary: the headline metrics across seeds as JSON, a TSV table and a figure."""

from dustscene.io.atomic import atomic_path, write_json_atomic
from dustscene.io.logs import setup_script_logging
from dustscene.plots.sweep import write_sweep_figure
from dustscene.validation.sweep import load_per_seed, summarize, summary_tsv
from dustscene.validation.targets import verdict_word

sm = snakemake  # noqa: F821  (injected by Snakemake)
log = setup_script_logging(sm.log[0])
per_seed = load_per_seed(dict(zip(sm.params.seeds, sm.input, strict=True)))
summary = summarize(per_seed, config=sm.params.config)
write_json_atomic(sm.output.summary, summary)
with atomic_path(sm.output.table) as tmp:
    tmp.write_text(summary_tsv(summary))
write_sweep_figure(summary, png=sm.output.png, pdf=sm.output.pdf)
log.info("sweep over seeds %s: %s", summary["seeds"], verdict_word(summary["passed"]))
