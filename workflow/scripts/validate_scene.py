"""Rule validate_scene: one mock fit against its truth -> a JSON record."""

from dustscene.io import write_json_atomic
from dustscene.io.logs import setup_script_logging
from dustscene.validation import validate_scene

sm = snakemake  # noqa: F821  (injected by Snakemake)
log = setup_script_logging(sm.log[0])
rec = validate_scene(sm.input.mock, sm.input.fit)
write_json_atomic(sm.output[0], rec.as_dict())
log.info("%s: E(B-V) bias vs effective %.4f, resolved %s; integrated A_g error %.4f",
         rec.scene, rec.ebv_effective["bias"], rec.ebv_resolved["bias"],
         rec.a_band_integrated["g"]["err"])
