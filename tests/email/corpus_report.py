"""Per-folder corpus pass rates for the release note: `python -m tests.email.corpus_report [-v]`.

A file passes when every check of expectations.md for it holds (see corpus_checks.py). Needs DJANGO settings
only for imports; it touches no database.
"""

from __future__ import annotations

import sys

from tests.email.corpus import CORPUS_DIR
from tests.email.corpus_checks import FOLDERS


def main(argv: list[str]) -> int:
    verbose = "-v" in argv
    if not CORPUS_DIR.is_dir():
        print(f"email corpus not found at {CORPUS_DIR}")
        return 1
    total_ok = total = 0
    for folder, (cases, check) in FOLDERS.items():
        names = cases()
        failed: dict[str, list[str]] = {}
        for name in names:
            try:
                fails = check(name)
            except Exception as exc:
                fails = [f"crashed: {type(exc).__name__}: {exc}"]
            if fails:
                failed[name] = fails
        ok = len(names) - len(failed)
        total_ok, total = total_ok + ok, total + len(names)
        share = 100 * ok / len(names) if names else 0.0
        print(f"{folder:16} {ok:3}/{len(names):<3} {share:5.1f}%")
        if verbose:
            for name, fails in failed.items():
                print(f"    {name}: {'; '.join(fails)[:300]}")
    print(f"{'all':16} {total_ok:3}/{total:<3}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
