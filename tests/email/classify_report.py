"""Figures for machine-mail classification and quote stripping over the shared corpus.

Run: `python -m tests.email.classify_report`. The corpus tests import the per-file helpers from here.
"""

from __future__ import annotations

import difflib
import json
import re
import time
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import Any

from channels_intake.email.classify import classify_message
from channels_intake.email.parsed import Classification
from channels_intake.email.quotes import (
    extract_forwarded,
    extract_signature,
    html_to_text,
    split_reply,
    split_reply_html,
)

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus" / "email"
SISIMAI = CORPUS / "sisimai"
TRIMMER = CORPUS / "email_reply_trimmer"
ERP = CORPUS / "email-reply-parser"
TALON = CORPUS / "talon"

# Ordinary mail that carries list/auto headers legitimately (so "auto != none" is right there), by file name.
ZAMMAD_EXPECTED = {
    "mail033-undelivered-mail-returned-to-sender.box": "bounce",
    "mail053.box": "bounce",
    "mail055.box": "bounce",
    "mail063.box": "bounce",
    "mail043.box": "bulk",  # Precedence: bulk newsletter
    "mail089.box": "auto-reply",  # ServiceNow notification, Auto-Submitted: auto-generated
}
# sisimai's own "reason" taxonomy, reached from RFC 3463 codes; for the report only.
STATUS_REASON = {
    "5.1.1": "userunknown",
    "5.1.0": "userunknown",
    "5.2.1": "suspend",
    "5.2.2": "mailboxfull",
    "4.2.2": "mailboxfull",
    "5.1.2": "hostunknown",
    "5.3.4": "mesgtoobig",
    "4.4.7": "expired",
    "5.4.7": "expired",
    "5.7.1": "blocked",
    "5.7.26": "authfailure",
    "5.7.25": "requireptr",
    "5.1.8": "rejected",
}


def parse(path: Path) -> EmailMessage:
    return BytesParser(policy=policy.default).parsebytes(path.read_bytes())  # type: ignore[return-value]


def classify_file(path: Path) -> Classification:
    return classify_message(parse(path))


def sisimai_expected() -> dict[str, Any]:
    return json.loads((SISIMAI / "expected.json").read_text(encoding="utf-8"))["files"]


def dos_pairs() -> list[tuple[str, str]]:
    """(dos file, its bsd/ twin) where the twin is in the corpus (some dos/ files have no bsd/ copy here)."""
    files = sisimai_expected()
    return [(n, e["same_as"]) for n, e in files.items() if "/dos/" in n and (SISIMAI / e.get("same_as", "-")).is_file()]


def ordinary_mail() -> list[Path]:
    """Mail written by people (or legitimately listed in ZAMMAD_EXPECTED) for the false-positive check."""
    files = sorted((CORPUS / "zammad").glob("*.box")) + sorted((CORPUS / "django-helpdesk").glob("*.eml"))
    files += sorted((TALON / "standard_replies").glob("*.eml"))
    return files


def ordinary_expected(path: Path) -> str:
    return ZAMMAD_EXPECTED.get(path.name, "none") if path.parent.name == "zammad" else "none"


# --- quotes ---------------------------------------------------------------------------------------------------------


def trimmer_case(name: str) -> tuple[bool, bool, float]:
    """(trimmed equal, elided equal, similarity of the trimmed part) for email_reply_trimmer/emails/<name>."""
    text = (TRIMMER / "emails" / name).read_text(encoding="utf-8")
    reply, quoted = split_reply(text)
    want = (TRIMMER / "trimmed" / name).read_text(encoding="utf-8").strip()
    elided = (TRIMMER / "elided" / name).read_text(encoding="utf-8").strip()
    ratio = difflib.SequenceMatcher(None, reply.strip(), want).ratio()
    return reply.strip() == want, quoted.strip() == elided, ratio


def embedded_case(name: str) -> bool:
    found = extract_forwarded((TRIMMER / "emails" / f"{name}.txt").read_text(encoding="utf-8"))
    before = (TRIMMER / "before" / f"{name}.txt").read_text(encoding="utf-8").strip()
    embedded = (TRIMMER / "embedded" / f"{name}.txt").read_text(encoding="utf-8").strip()
    return found is not None and found[0] == before and found[1] == embedded


def erp_case(name: str, expect: dict[str, Any]) -> bool | None:
    """True/False for email-reply-parser files with reply checks; None when the file only has fragment checks."""
    text = (ERP / name).read_text(encoding="utf-8")
    started = time.perf_counter()
    reply, _ = split_reply(text)
    elapsed = time.perf_counter() - started
    checks = []
    for key in ("reply_equals", "reply_equals_stripped"):
        if key in expect:
            checks.append(reply.strip() == expect[key].strip())
    checks += [s in reply for s in expect.get("reply_contains", [])]
    checks += [s not in reply for s in expect.get("reply_not_contains", [])]
    if "max_seconds" in expect:
        checks.append(elapsed < expect["max_seconds"])
    return all(checks) if checks else None


def talon_case(name: str, expect: dict[str, Any]) -> bool | None:
    path = TALON / name
    if name.startswith("standard_replies/"):
        message = parse(path)
        part = next(p for p in message.walk() if p.get_content_type() == "text/plain")
        reply, _ = split_reply(part.get_content())  # type: ignore[attr-defined]
        want = (TALON / expect["reply_file"]).read_text().strip() if "reply_file" in expect else expect["reply_equals"]
        return reply.strip() == want
    if "reply_text_equals_ignoring_whitespace" in expect:
        reply, _ = split_reply_html(path.read_text(encoding="utf-8"))
        squash = re.compile(r"\s")
        return squash.sub("", html_to_text(reply)) == squash.sub("", expect["reply_text_equals_ignoring_whitespace"])
    if "reply_html_equals_ignoring_whitespace" in expect:
        # We do not re-serialise HTML, so compare the visible text of the reply fragment.
        reply, _ = split_reply_html(path.read_text(encoding="utf-8"))
        return html_to_text(reply).split() == html_to_text(expect["reply_html_equals_ignoring_whitespace"]).split()
    if expect.get("reply_nonempty"):
        reply, _ = split_reply(path.read_text(encoding="utf-8"))
        return bool(reply.strip()) and all(s not in reply for s in expect.get("reply_not_contains", []))
    return None


def signature_case(base: str) -> bool:
    folder = TALON / "signature" / "emails" / "stripped"
    sender = (folder / f"{base}_sender").read_text(encoding="utf-8").strip()
    want = (folder / f"{base}_signature").read_text(encoding="utf-8").strip()
    _, signature = extract_signature((folder / f"{base}_body").read_text(encoding="utf-8"), sender)
    return signature.strip() == want


def signature_names() -> list[str]:
    folder = TALON / "signature" / "emails" / "stripped"
    return sorted(p.name[: -len("_body")] for p in folder.glob("*_body")) if folder.is_dir() else []


# --- report ---------------------------------------------------------------------------------------------------------


def _rate(good: int, total: int) -> str:
    return f"{good}/{total} = {good / total:.1%}" if total else "n/a"


def report() -> None:
    expected = sisimai_expected()
    bsd = {n: e for n, e in expected.items() if "/bsd/" in n}
    results = {n: classify_file(SISIMAI / n) for n in bsd}
    hits = sum(r.auto != "none" for r in results.values())
    print(f"sisimai bsd auto != none accuracy: {_rate(hits, len(bsd))}")
    kind = sum(
        str(r.auto) == (bsd[n]["classification"]) or (bsd[n]["classification"] == "bounce" and r.auto == "bounce")
        for n, r in results.items()
    )
    print(f"sisimai bsd same kind as sisimai's class: {_rate(kind, len(bsd))}")
    missed = [n for n, r in results.items() if r.auto == "none"]
    print(f"  missed: {missed}")

    status_all = status_ok = real_all = real_ok = rc_all = rc_ok = reason_all = reason_ok = 0
    for name, res in results.items():
        rows = bsd[name].get("sisimai") or []
        if not rows or res.bounce is None:
            continue
        rc_all += 1
        rc_ok += len(res.bounce.recipients) == len(rows)
        want = rows[0]["status"]
        if want:
            status_all += 1
            status_ok += res.bounce.status == want
            if not re.fullmatch(r"\d\.0\.9\d\d", want):  # sisimai's own pseudo-codes (x.0.9xx) are no RFC 3463 code
                real_all += 1
                real_ok += res.bounce.status == want
        if res.bounce.status in STATUS_REASON:
            reason_all += 1
            reason_ok += STATUS_REASON[res.bounce.status] == rows[0]["reason"]
    print(f"DSN status equal (sisimai rows with a status): {_rate(status_ok, status_all)}")
    print(f"  without sisimai pseudo-codes x.0.9xx: {_rate(real_ok, real_all)}")
    print(f"failed-recipient count equal: {_rate(rc_ok, rc_all)}")
    print(f"reason agreement (status mapped to sisimai reason, report only): {_rate(reason_ok, reason_all)}")

    pairs = dos_pairs()
    same = sum(classify_file(SISIMAI / d) == classify_file(SISIMAI / b) for d, b in pairs)
    print(f"dos/ identical to bsd/ (pairs whose bsd/ twin exists): {_rate(same, len(pairs))}")
    dos_total = sum("/dos/" in n for n in expected)
    dos_hits = sum(classify_file(SISIMAI / n).auto != "none" for n in expected if "/dos/" in n)
    print(f"sisimai dos auto != none: {_rate(dos_hits, dos_total)}")
    nots = [n for n in expected if "/not/" in n]
    fp = [n for n in nots if classify_file(SISIMAI / n).auto != "none"]
    print(f"false positives on sisimai not/: {len(fp)}/{len(nots)} {fp}")
    ordinary = ordinary_mail()
    wrong = [
        f"{p.parent.name}/{p.name}:{classify_file(p).auto}"
        for p in ordinary
        if str(classify_file(p).auto) != ordinary_expected(p)
    ]
    print(f"ordinary mail (zammad, django-helpdesk, talon) misclassified: {len(wrong)}/{len(ordinary)} {wrong}")

    names = sorted(p.name for p in (TRIMMER / "emails").glob("*.txt"))
    cases = [trimmer_case(n) for n in names]
    fails = [c[2] for c in cases if not c[0]]
    print(f"email_reply_trimmer trimmed exact: {_rate(sum(c[0] for c in cases), len(cases))}")
    print(f"email_reply_trimmer elided exact: {_rate(sum(c[1] for c in cases), len(cases))}")
    if fails:
        print(f"  mean similarity on trimmed failures: {sum(fails) / len(fails):.3f}")
    embedded = json.loads((TRIMMER / "expected.json").read_text())["embedded_cases"]
    print(f"email_reply_trimmer embedded/before exact: {_rate(sum(embedded_case(n) for n in embedded), len(embedded))}")
    erp = json.loads((ERP / "expected.json").read_text())
    erp_results = [r for n, e in erp.items() if n != "_about" and (r := erp_case(n, e)) is not None]
    print(f"email-reply-parser reply checks: {_rate(sum(erp_results), len(erp_results))}")
    talon = json.loads((TALON / "expected.json").read_text())
    for prefix in ("standard_replies/", "html_replies/", ""):
        group = [
            talon_case(n, e)
            for n, e in talon.items()
            if n != "_about" and "*" not in n and (n.startswith(prefix) if prefix else "/" not in n)
        ]
        print(f"talon {prefix or 'loose fixtures'}: {_rate(sum(bool(g) for g in group), len(group))}")
    sigs = signature_names()
    print(f"talon signature extraction: {_rate(sum(signature_case(n) for n in sigs), len(sigs))}")


if __name__ == "__main__":
    report()
