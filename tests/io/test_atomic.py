"""Atomic writes: all or nothing, and permissions that follow the umask."""

from __future__ import annotations

import json
import os
import stat

import pytest

from dustscene.io import atomic_path, write_json_atomic


def test_success_renames_and_follows_umask(tmp_path) -> None:
    out = tmp_path / "sub" / "a.json"
    write_json_atomic(out, {"b": 1, "a": [1.5]})
    assert json.loads(out.read_text()) == {"a": [1.5], "b": 1}
    mask = os.umask(0o022)
    os.umask(mask)
    assert stat.S_IMODE(out.stat().st_mode) == 0o666 & ~mask
    assert [p.name for p in out.parent.iterdir()] == ["a.json"]


def test_failure_leaves_nothing(tmp_path) -> None:
    out = tmp_path / "x.h5"
    with pytest.raises(RuntimeError), atomic_path(out) as tmp:
        tmp.write_bytes(b"partial")
        raise RuntimeError("killed half way")
    assert list(tmp_path.iterdir()) == []


def test_failure_keeps_the_previous_file(tmp_path) -> None:
    out = tmp_path / "x.txt"
    out.write_text("old")
    with pytest.raises(ValueError), atomic_path(out) as tmp:
        tmp.write_text("new")
        raise ValueError
    assert out.read_text() == "old"


def test_nan_is_refused_in_json(tmp_path) -> None:
    with pytest.raises(ValueError):
        write_json_atomic(tmp_path / "m.json", {"bias": float("nan")})
    assert list(tmp_path.iterdir()) == []
