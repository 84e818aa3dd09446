"""Rule fig8_speed_data: fit and SED-posterior timings, in-run and from bench/ -> JSON."""

from pathlib import Path

from dustscene.io.logs import setup_script_logging
from dustscene.plots.paper_data import speed_summary, write_speed_summary

sm = snakemake  # noqa: F821  (injected by Snakemake)
log = setup_script_logging(sm.log[0])
# config paths are relative to the repository (two levels above workflow/scripts/)
bench_dir = Path(sm.scriptdir).resolve().parents[1] / sm.params.bench_dir
summary = speed_summary(list(sm.input.fits), sm.input.calibration, bench_dir)
write_speed_summary(sm.output[0], summary)
log.info("figure 8 data written: %s (bench fit %s, bench sedflow %s)", sm.output[0],
         summary["bench_fit"] is not None, summary["bench_sedflow"] is not None)
