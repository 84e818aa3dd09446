"""Determinism across processes: two fresh interpreters (each with its own JAX compilation
cache, or none; hash randomisation left on) make the same mock file byte for byte and the
same fit to 1e-10.

Within one process, byte-identical mock files for the same config and seed are proven in
tests/mocks/test_io_suite.py::test_same_seed_same_bytes_different_seed_differs; this test adds
what one process cannot show: nothing may depend on per-process state (string hashes, set
order, a warm compile cache, thread scheduling).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np

from dustscene.io.fitfile import read_fit
from dustscene.mocks import default_suite

SETTINGS = {"morphology": "sersic", "adam_steps": 60, "lbfgs_steps": 20, "laplace": False}

# one child: a mock of a small scene, then its fit, both written under argv[1]
CHILD = """
import json, sys
from pathlib import Path

from dustscene._jax import configure_jax

configure_jax(threads=1)
out, cache, suite, settings = Path(sys.argv[1]), sys.argv[2], *map(json.loads, sys.argv[3:5])
if cache != "none":
    from dustscene.inference import use_compilation_cache

    use_compilation_cache(cache)
from dustscene.inference import run_fit_file
from dustscene.mocks import make_scene, write_scene

write_scene(out / "mock.h5", make_scene(suite, 1, seed=4))
run_fit_file(out / "mock.h5", out / "fit.h5", settings)
"""


def _small_suite() -> dict:
    suite = default_suite()
    suite["stamp_size"] = 32
    suite["render"] = {"n_nodes": 64, "pad_pixels": 6}
    suite["observing"]["psf_size"] = 13
    return suite


def _run_child(out: Path, cache: str) -> None:
    out.mkdir()
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONHASHSEED", "JAX_COMPILATION_CACHE_DIR")}
    res = subprocess.run(
        [sys.executable, "-c", CHILD, str(out), cache, json.dumps(_small_suite()),
         json.dumps(SETTINGS)],
        capture_output=True, text=True, timeout=600, env=env,
    )
    assert res.returncode == 0, res.stderr[-4000:]


def test_two_processes_same_mock_bytes_and_same_fit(tmp_path: Path, assert_same_fit) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    _run_child(a, str(tmp_path / "cache_a"))  # a fresh persistent cache of its own
    _run_child(b, "none")  # no persistent cache at all
    assert (a / "mock.h5").read_bytes() == (b / "mock.h5").read_bytes()
    fa, fb = read_fit(a / "fit.h5"), read_fit(b / "fit.h5")
    assert np.isfinite(fa["model/observed"]).all()
    assert_same_fit(fa, fb, {"model/observed", "model/dustfree_observed", "dust/ebv",
                             "loss/history"})
