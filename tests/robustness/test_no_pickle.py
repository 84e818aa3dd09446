"""No unsafe loading anywhere in the package or the workflow: no pickle, no bare torch.load,
no unsafe YAML, no np.load(allow_pickle=True), no dill / cloudpickle."""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
ROOTS = [REPO / "src" / "dustscene", REPO / "workflow", REPO / "Snakefile"]

# (what, pattern over one file's text, with calls possibly spanning lines)
_PICKLE = r"^\s*(import|from)\s+(c?pickle|_pickle)\b|\bpickle\.(loads?|dumps?)\("
_YAML = r"yaml\.(unsafe_)?load(_all)?\((?![^)]*Loader\s*=\s*yaml\.(Csafe|Safe)Loader)[^)]*\)"
_TORCH = r"torch\.load\((?![^)]*weights_only\s*=\s*True)[^)]*\)"
RULES = [
    ("pickle module", re.compile(_PICKLE, re.M)),
    ("dill / cloudpickle", re.compile(r"\b(dill|cloudpickle)\b")),
    ("np.load(allow_pickle=True)", re.compile(r"allow_pickle\s*=\s*True")),
    ("yaml.load without SafeLoader", re.compile(_YAML)),
    ("yaml Loader/FullLoader/UnsafeLoader", re.compile(r"\b(Unsafe|Full)Loader\b|yaml\.Loader\b")),
    ("torch.load without weights_only=True", re.compile(_TORCH)),
    ("pandas read_pickle / joblib.load", re.compile(r"read_pickle\(|joblib\.load\(")),
]


def _files() -> list[Path]:
    out = []
    for root in ROOTS:
        if root.is_file():
            out.append(root)
        else:
            out += [p for p in root.rglob("*") if p.suffix in (".py", ".smk")]
    return sorted(out)


def _strip_comments(text: str) -> str:
    return "\n".join(line.split("#", 1)[0] if not line.lstrip().startswith(("'", '"')) else line
                     for line in text.splitlines())


def test_no_unsafe_loading() -> None:
    files = _files()
    assert len(files) > 20, "the search found too few files; paths changed?"
    offenders = []
    for path in files:
        text = _strip_comments(path.read_text())
        for what, pattern in RULES:
            for m in pattern.finditer(text):
                line = text.count("\n", 0, m.start()) + 1
                offenders.append(f"{path.relative_to(REPO)}:{line}: {what}: {m.group(0)[:80]!r}")
    assert not offenders, "unsafe loading:\n" + "\n".join(offenders)


def test_the_grep_catches_what_it_should() -> None:
    bad = [
        "import pickle", "from pickle import loads", "x = pickle.load(fh)", "import dill",
        "np.load(p, allow_pickle=True)", "yaml.load(fh)", "yaml.load(fh, Loader=yaml.Loader)",
        "yaml.unsafe_load(fh)", "torch.load(p)", "torch.load(p, weights_only=False)",
        "torch.load(\n    p, map_location='cpu'\n)",
    ]
    good = [
        "yaml.safe_load(fh)", "yaml.load(fh, Loader=yaml.SafeLoader)",
        "torch.load(p, map_location='cpu', weights_only=True)", "np.load(p, allow_pickle=False)",
    ]
    def hits(s: str) -> bool:
        return any(p.search(s) for _, p in RULES)

    assert all(hits(s) for s in bad), [s for s in bad if not hits(s)]
    assert not any(hits(s) for s in good), [s for s in good if hits(s)]
