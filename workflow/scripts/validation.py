"""Rule validation: pool every mock's verdict (rule validate_scene's records, read back, not
recomputed) into results/validation/metrics.json and a TSV."""

import csv
import json

from dustscene import __version__
from dustscene.io import atomic_path, read_fit, write_json_atomic
from dustscene.io.logs import setup_script_logging
from dustscene.validation import aggregate
from dustscene.validation.records import read_scene_record

sm = snakemake  # noqa: F821  (injected by Snakemake)


def _fmt(v: float | None) -> str:
    """A TSV cell: four decimals, or nan for an undefined (null) statistic."""
    return "nan" if v is None else f"{v:.4f}"


log = setup_script_logging(sm.log[0])
records = [read_scene_record(j, p) for j, p in zip(sm.input.scenes, sm.input.pixels, strict=True)]
observations = {  # the fits' attributes only (keys=()): no image is read
    path.rsplit("/", 1)[-1].removesuffix(".h5"): float(read_fit(path, ())["attrs"]["chi2_per_dof"])
    for path in sm.input.observations
}
stages = {name: json.loads(open(sm.input[name]).read()) for name in ("hallucination", "sed")}
post = json.loads(open(sm.input.sed_posteriors).read())  # fitted components through the flows
stages["sed"]["posteriors"] = {k: v for k, v in post.items() if k != "scenes"}
spectra = json.loads(open(sm.input.spectra).read())  # spectrum prior: held-out and outliers
stages["spectrum_prior"] = {
    **{k: v for k, v in spectra.items() if k != "detail"},
    "outlier_rank_percentile_max_latent_only": spectra["detail"].get(
        "outlier_rank_percentile_max_latent_only"
    ),
    "components": spectra["detail"].get("components", []),
}
metrics = aggregate(
    records, {**sm.params.provenance, "dustscene_version": __version__}, observations, stages
)
write_json_atomic(sm.output.metrics, metrics)
cols = ["scene", "inclination_deg", "chi2_per_dof", "ebv_eff_bias", "ebv_eff_nmad",
        "ebv_col_bias", "dustfree_flux_frac_err_i", "morphology_cosine", "a_g_observable_r",
        "a_g_integrated_err", "likely_failure_cause"]
with atomic_path(sm.output.table) as tmp, open(tmp, "w", newline="") as fh:
    w = csv.writer(fh, delimiter="\t")
    w.writerow(cols)
    for r in records:
        w.writerow([r.scene, f"{r.inclination_deg:.1f}", f"{r.chi2_per_dof:.4f}",
                    f"{r.ebv_effective['bias']:.4f}", f"{r.ebv_effective['nmad']:.4f}",
                    f"{r.ebv_column['bias']:.4f}",
                    f"{r.dustfree_flux_frac_err.get('i', float('nan')):.4f}",
                    f"{r.morphology_cosine:.4f}",
                    _fmt(r.a_band_observable["g"]["pearson_r"]),
                    _fmt(r.a_band_integrated["g"]["err"]),
                    r.failure["likely_cause"] if r.failure else ""])
log.info("metrics: dust bias (effective) %.4f over %d pixels",
         metrics["dust"]["ebv_effective"]["bias"], metrics["dust"]["ebv_effective"]["n_pixels"])
log.info("observable: a_g r %s, resolved E(B-V) r %s (ceiling %s); %d failed fit(s)",
         metrics["dust"]["a_band_observable"]["g"]["pearson_r"],
         metrics["dust"]["ebv_resolved"]["pearson_r"],
         metrics["dust"]["ceiling"]["ebv_resolved"]["pearson_r"], metrics["fit"]["n_failures"])
