"""Rules hallucination (one scene: maps h5 + figure) and hallucination_validation (JSON)."""

from dustscene._jax import configure_jax

sm = snakemake  # noqa: F821  (injected by Snakemake)
configure_jax(threads=sm.threads)  # float64: Fisher diagonals span many decades

from pathlib import Path  # noqa: E402

import h5py  # noqa: E402

from dustscene.hallucination.analysis import FitSettings  # noqa: E402
from dustscene.hallucination.pipeline import (  # noqa: E402
    most_resolved,
    plot_maps,
    scene_hallucination,
    validation_summary,
    write_hallucination,
    write_json,
)
from dustscene.io.logs import setup_script_logging  # noqa: E402
from dustscene.mocks import read_scene  # noqa: E402
from dustscene.priors import ScorePrior, load_score_model  # noqa: E402

log = setup_script_logging(sm.log[0])
h = dict(sm.params.hallucination)
net, meta = load_score_model(sm.input.model)
prior = ScorePrior(net, temperature=float(h["temperature"]))
settings = FitSettings(
    steps=int(h["fit_steps"]), lr=float(h["fit_lr"]), n_probes=int(h["n_probes"])
)

if sm.rule == "hallucination":
    mock = read_scene(sm.input.mock)
    with h5py.File(sm.input.fit, "r") as f:
        ebv = f["dust/ebv"][()] if "dust/ebv" in f else None
    result = scene_hallucination(mock, ebv, prior, settings, seed=int(sm.params.seed))
    write_hallucination(sm.output.h5, result)
    plot_maps(mock, result, sm.output.png, title=sm.wildcards.scene)
    log.info("%s: %s", sm.wildcards.scene, result["attrs"])
else:
    aucs = []
    for path in sm.input.maps:
        with h5py.File(path, "r") as f:
            aucs.append(float(f.attrs["auc_large_error"]))
    mocks = [read_scene(p) for p in sm.input.mocks]
    pick = most_resolved(mocks)
    mock = mocks[pick]
    log.info("masked-half test on %s (best resolved of %d)", sm.input.mocks[pick], len(mocks))
    summary = validation_summary(
        mock,
        prior,
        settings,
        aucs,
        seed=int(sm.params.seed),
        peak_snr=float(h["masked_half_snr"]),
    )
    summary["masked_half"]["scene"] = Path(sm.input.mocks[pick]).stem
    write_json(sm.output[0], summary)
    log.info("hallucination validation: %s", summary)
