"""Shared helpers for the tests that read the real-world email corpus in ../shared/corpus/email."""

from __future__ import annotations

import json
import re
import unicodedata
from pathlib import Path
from typing import Any

# The corpus sits beside the project checkout (shared/ next to main/), never inside it.
CORPUS_DIR = Path(__file__).resolve().parents[2].parent / "shared" / "corpus" / "email"

_WS = re.compile(r"\s+")


def corpus_or_skip(folder: str = "") -> Path:
    """The corpus folder (or one of its sub-folders); skips (fails under CI) when it is not there."""
    from tests.parts import missing

    path = CORPUS_DIR / folder if folder else CORPUS_DIR
    if not path.is_dir():
        missing(f"email corpus not found at {path} (expected shared/corpus/email beside the project)")
    return path


def norm(text: str | None) -> str:
    """expectations.md §0: NFC, every whitespace run collapsed to one space, ends trimmed."""
    if not text:
        return ""
    return _WS.sub(" ", unicodedata.normalize("NFC", text)).strip()


def load_expected(folder: str) -> dict[str, Any]:
    """The folder's expectation file (zammad: expected.normalized.json), or {} when it is absent."""
    base = CORPUS_DIR / folder
    for name in ("expected.normalized.json", "expected.json"):
        path = base / name
        if path.is_file():
            return json.loads(path.read_text(encoding="utf-8"))
    return {}


def corpus_files(folder: str, pattern: str = "*") -> list[Path]:
    """Data files (not expectation or notes files) under a corpus folder, sorted; [] when the folder is absent."""
    base = CORPUS_DIR / folder
    if not base.is_dir():
        return []
    skip_suffixes = {".json", ".md", ".yml"}
    return sorted(p for p in base.rglob(pattern) if p.is_file() and p.suffix not in skip_suffixes)
