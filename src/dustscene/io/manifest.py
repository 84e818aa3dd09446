"""Model files beside a JSON manifest: the checks every loader runs before reading weights."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any


def sha256_file(path: str | Path, limit: int | None = None) -> str:
    """Hex sha256 of a file, streamed, or of its first `limit` bytes (a quick fingerprint of a
    large source file)."""
    h = hashlib.sha256()
    left = limit
    with open(path, "rb") as fh:
        while left is None or left > 0:
            block = fh.read(1 << 20 if left is None else min(1 << 20, left))
            if not block:
                break
            h.update(block)
            left = None if left is None else left - len(block)
    return h.hexdigest()


def load_manifest_json(
    meta_path: str | Path,
    *,
    fmt: str,
    required: Iterable[str],
    error: type[Exception],
    kind: str,
) -> dict[str, Any]:
    """A manifest JSON after checking: it exists, parses, has format `fmt` and the `required`
    keys plus `weights_sha256`. Any failure raises `error` naming the file."""
    meta_path = Path(meta_path)
    if not meta_path.is_file():
        raise error(f"{kind} file {meta_path} not found")
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
    return meta


def check_weights_sha256(
    path: str | Path, meta: dict[str, Any], meta_path: str | Path, *, error: type[Exception],
    kind: str,
) -> None:
    """`path` exists and hashes to the manifest's `weights_sha256` (else `error` naming it)."""
    if not Path(path).is_file():
        raise error(f"{kind} file {path} (named by {meta_path}) not found")
    if sha256_file(path) != meta["weights_sha256"]:
        raise error(f"{path}: sha256 differs from {meta_path} (corrupt or replaced)")


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
    if not path.is_file():
        raise error(f"{kind} file {path} not found")
    meta = load_manifest_json(meta_path, fmt=fmt, required=required, error=error, kind=kind)
    check_weights_sha256(path, meta, meta_path, error=error, kind=kind)
    for k, v in (expect or {}).items():
        if meta.get(k) != v:
            raise error(f"{meta_path}: {k}={meta.get(k)!r}, expected {v!r}")
    return meta
