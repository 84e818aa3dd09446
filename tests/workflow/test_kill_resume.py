"""A run killed with SIGKILL mid-way leaves no partial output, and a rerun with
--rerun-incomplete finishes it with outputs byte-identical to an uninterrupted run."""

from __future__ import annotations

import base64
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SNAKEMAKE = Path(sys.executable).parent / "snakemake"
CI_CONFIG = REPO / "config" / "ci.yaml"
N_MOCKS = 3  # config/ci.yaml mocks.n_scenes
MOCKS = [f"mock_{i:04d}.h5" for i in range(N_MOCKS)]


def _cmd(workdir: Path, cores: int, *extra: str) -> list[str]:
    return [str(SNAKEMAKE), "-s", str(REPO / "Snakefile"), "mocks", "--configfile",
            str(CI_CONFIG), "--directory", str(workdir), "--workflow-profile", "none",
            "--cores", str(cores), *extra]


def _run(workdir: Path, cores: int, *extra: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    return subprocess.run(_cmd(workdir, cores, *extra), capture_output=True, text=True,
                          timeout=600, env=env, cwd=REPO)


def _final_mocks(workdir: Path) -> list[str]:
    return sorted(p.name for p in (workdir / "results" / "mocks").glob("mock_*.h5"))


def _tmp_files(workdir: Path) -> list[Path]:
    return sorted(p for p in (workdir / "results").rglob("*") if p.is_file()
                  and (p.name.endswith(".tmp") or p.name.startswith(".")))


def _kill_mid_run(workdir: Path) -> tuple[list[str], float]:
    """Start the run in its own process group; SIGKILL the group once >= 1 mock exists."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    log = (workdir.parent / f"{workdir.name}-run.log").open("w")
    proc = subprocess.Popen(_cmd(workdir, 1), stdout=log, stderr=subprocess.STDOUT, env=env,
                            cwd=REPO, start_new_session=True)
    t0 = time.monotonic()
    try:
        while time.monotonic() - t0 < 240:
            assert proc.poll() is None, "the run finished before it could be killed"
            if _final_mocks(workdir):
                time.sleep(1.0)  # let the next `simulate` job get under way
                break
            time.sleep(0.1)
        else:
            pytest.fail("no mock appeared within 240 s")
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)
        log.close()
    return _final_mocks(workdir), time.monotonic() - t0


def test_sigkill_then_rerun_incomplete_is_byte_identical(tmp_path: Path) -> None:
    ref, killed = tmp_path / "reference", tmp_path / "killed"
    ref.mkdir()
    killed.mkdir()

    # The uninterrupted reference runs beside the killed run (1 core each on a 2-core box).
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    ref_log = (tmp_path / "reference.log").open("w")
    ref_proc = subprocess.Popen(_cmd(ref, 1), stdout=ref_log, stderr=subprocess.STDOUT,
                                env=env, cwd=REPO, start_new_session=True)
    try:
        _killed_then_resumed(ref, killed, ref_proc)
    finally:
        if ref_proc.poll() is None:
            os.killpg(ref_proc.pid, signal.SIGKILL)
            ref_proc.wait(timeout=30)
        ref_log.close()


def _killed_then_resumed(ref: Path, killed: Path, ref_proc: subprocess.Popen) -> None:
    present, _ = _kill_mid_run(killed)
    assert 1 <= len(present) < N_MOCKS, f"kill did not land mid-run: {present}"
    assert not (killed / "results" / "figures" / "fig1_mock_gallery.png").exists()
    # Outputs are written through dustscene.io.atomic: a killed job leaves at most a hidden
    # `.name.XXXX.tmp` sibling, never a partial file under an output's name.
    leftovers = _tmp_files(killed)
    for p in leftovers:
        assert p.name.startswith(".") and p.name.endswith(".tmp"), f"partial file {p}"
        assert not re.fullmatch(r"mock_\d{4}\.h5", p.name)

    # Snakemake marks the outputs of jobs it had not seen finish as incomplete (base64 of the
    # path): such a mock, although complete on disk, is made again by --rerun-incomplete.
    marks = killed / ".snakemake" / "incomplete"
    incomplete = {base64.b64decode(p.name).decode() for p in marks.iterdir()} if marks.is_dir() \
        else set()
    recorded = [n for n in present if f"results/mocks/{n}" not in incomplete]
    survivors = {n: (killed / "results" / "mocks" / n).read_bytes() for n in present}
    print(f"after SIGKILL: mocks on disk {present}, marked incomplete {sorted(incomplete)}, "
          f"temp files left {[p.name for p in leftovers]}")

    # Rerun. A SIGKILLed Snakemake leaves its lock behind; the real behaviour decides
    # whether `--unlock` is needed first.
    res = _run(killed, 1, "--rerun-incomplete")
    out = res.stdout + res.stderr
    if res.returncode != 0:
        print("rerun refused (stale lock): running --unlock first")
        assert "cannot be locked" in out, out[-3000:]
        unlock = _run(killed, 1, "--unlock")
        assert unlock.returncode == 0, unlock.stdout + unlock.stderr
        res = _run(killed, 1, "--rerun-incomplete")
        out = res.stdout + res.stderr
    assert res.returncode == 0, out[-3000:]
    # Mocks Snakemake had recorded as finished are not made again.
    remade = set(re.findall(r"output: (results/mocks/\S+\.h5)", out))
    for name in recorded:
        assert f"results/mocks/{name}" not in remade, f"{name} was remade"

    assert ref_proc.wait(timeout=600) == 0, (ref.parent / "reference.log").read_text()[-3000:]
    # Whatever survived the kill under an output's name was complete: byte-identical.
    for name, data in survivors.items():
        assert data == (ref / "results" / "mocks" / name).read_bytes(), f"{name} was partial"

    assert _final_mocks(killed) == MOCKS
    for name in MOCKS:
        assert (killed / "results" / "mocks" / name).read_bytes() == \
            (ref / "results" / "mocks" / name).read_bytes(), f"{name} differs after resume"
    assert (killed / "results" / "sed" / "ssp_table.h5").read_bytes() == \
        (ref / "results" / "sed" / "ssp_table.h5").read_bytes()
    # A leftover temp file from the killed job is never taken for an output: the workflow is
    # complete without it and it still does not match any output name.
    dry = _run(killed, 1, "-n")
    assert "Nothing to be done" in dry.stdout + dry.stderr
    for p in _tmp_files(killed):
        assert p in leftovers, f"the rerun left a new temp file {p}"
