"""The workflow on a real, throw-away, single-node Slurm (tests/cluster/run_slurm.sh).

Run with `make test-cluster` (= pytest -m cluster); needs root and apt-get the first time.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "tests" / "cluster" / "run_slurm.sh"
TIMEOUT_S = 1500


def _run_script(env: dict[str, str]) -> tuple[int, str, str]:
    """Run the script in its own process group; on timeout SIGTERM it so that its trap stops
    the Slurm daemons, and only then SIGKILL whatever is left of the group."""
    proc = subprocess.Popen(["bash", str(SCRIPT)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env, cwd=REPO,
                            start_new_session=True)
    try:
        out, err = proc.communicate(timeout=TIMEOUT_S)
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGTERM)
        try:
            out, err = proc.communicate(timeout=90)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            out, err = proc.communicate()
        pytest.fail(f"run_slurm.sh took over {TIMEOUT_S} s\n{out[-4000:]}\n{err[-4000:]}")
    return proc.returncode, out, err


@pytest.mark.cluster
def test_target_through_slurm_matches_local_run() -> None:
    env = {
        **os.environ,
        "SNAKEMAKE": str(Path(sys.executable).parent / "snakemake"),
        "TARGET": os.environ.get("DUSTSCENE_CLUSTER_TARGET", "mocks"),
    }
    t0 = time.monotonic()
    rc, out, err = _run_script(env)
    print(out[-6000:])
    if rc == 77:
        pytest.skip((err.strip().splitlines() or ["run_slurm.sh cannot run here"])[-1])
    assert rc == 0, out[-6000:] + err[-6000:]
    assert "PASS in" in out
    assert "all COMPLETED 0:0" in out
    assert "byte-identical to the local run" in out
    print(f"run_slurm.sh took {time.monotonic() - t0:.0f} s")
