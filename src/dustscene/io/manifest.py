"""Model files beside a JSON manifest: the checks every loader runs before reading weights."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any


def sha256_file(path: str | Path) -> str:
    """Hex sha256 of a whole file."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def read_manifest(
    path: str | Path,
    *,
    fmt: str,
    required: Iterable[str],
    error: type[Exception],
    kind: str,
    expect: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The JSON beside `path` after checking: both files exist, the JSON parses, its `format`
    is `fmt`, it has the `required` keys, `path` hashes to its `weights_sha256`, and every
    `expect` item matches. Any failure raises `error` naming the file."""
    path = Path(path)
    meta_path = path.with_suffix(".json")
    for p in (path, meta_path):
        if not p.is_file():
            raise error(f"{kind} file {p} not found")
    try:
        meta = json.loads(meta_path.read_text())
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise error(f"{meta_path} is not valid JSON: {exc}") from None
    if not isinstance(meta, dict) or meta.get("format") != fmt:
        got = meta.get("format") if isinstance(meta, dict) else type(meta).__name__
        raise error(f"{meta_path}: format {got!r}, expected {fmt!r}")
    missing = [k for k in (*required, "weights_sha256") if k not in meta]
    if missing:
        raise error(f"{meta_path}: missing key(s) {missing}")
    if sha256_file(path) != meta["weights_sha256"]:
        raise error(f"{path}: sha256 differs from {meta_path} (corrupt or replaced)")
    for k, v in (expect or {}).items():
        if meta.get(k) != v:
            raise error(f"{meta_path}: {k}={meta.get(k)!r}, expected {v!r}")
    return meta
