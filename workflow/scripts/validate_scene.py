"""Rule validate_scene: one mock fit against its truth -> a JSON record and its pixels (.npz),
the only place a scene is validated (the aggregate and figure 4 read these files)."""

from dustscene.io.logs import setup_script_logging
from dustscene.validation import validate_scene
from dustscene.validation.records import write_scene_record

sm = snakemake  # noqa: F821  (injected by Snakemake)
log = setup_script_logging(sm.log[0])
rec = validate_scene(sm.input.mock, sm.input.fit)
write_scene_record(rec, sm.output.record, sm.output.pixels)
log.info("%s: E(B-V) bias vs effective %.4f, resolved %s; integrated A_g error %.4f",
         rec.scene, rec.ebv_effective["bias"], rec.ebv_resolved["bias"],
         rec.a_band_integrated["g"]["err"])
