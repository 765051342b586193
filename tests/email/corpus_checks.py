"""The corpus checks of expectations.md §1-§5 as plain functions: a list of failures per file (empty = pass).

Shared by test_corpus_mime.py (one test per file) and corpus_report.py (pass rates per folder).
"""

from __future__ import annotations

import difflib
import hashlib
import re
import time
import unicodedata
from collections.abc import Callable
from email.utils import getaddresses
from functools import cache
from typing import Any

from channels_intake.email.html_text import html_to_text
from channels_intake.email.parsed import ParsedMail
from channels_intake.email.parsing import NotAnEmail, parse_email
from tests.email.corpus import CORPUS_DIR, corpus_files, load_expected, norm

TIME_BUDGET = 5.0  # seconds per file, expectations.md §0

# Zammad's expected values that are Zammad's own decoding quirks, with what we give instead (and why).
ZAMMAD_QUIRKS: dict[str, dict[str, str]] = {
    # `=?iso-8859-1?Q?B=FCrling,=20Andreas?=`: Zammad splits the address list at the comma inside the encoded
    # word and keeps the tail as the name; the name a reader sees is "Bürling, Andreas".
    "mail065.box": {"from_display_name": "Bürling, Andreas"},
    # `From: Test test@example.com` (no angle brackets): Zammad keeps the whole text as address and name.
    "mail087.box": {"from_email": "test@example.com", "from_display_name": "Test"},
}

Check = Callable[[str], list[str]]


def timed_parse(raw: bytes) -> tuple[ParsedMail, float]:
    started = time.perf_counter()
    mail = parse_email(raw)
    return mail, time.perf_counter() - started


def _md5(data: bytes) -> str:
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


def _addr_key(address: str) -> str:
    return address.replace('"', "").strip().lower()


def _addr_set(header: str | None) -> set[str]:
    if not header:
        return set()
    return {_addr_key(a) for _n, a in getaddresses([header]) if "@" in a}


def _similar(ours: str, expected: str) -> bool:
    if expected[:200] in ours:
        return True
    matcher = difflib.SequenceMatcher(None, ours, expected)
    return matcher.quick_ratio() >= 0.9 and matcher.ratio() >= 0.9


def _name_matches(ours: str, expected: str) -> bool:
    ours, expected = unicodedata.normalize("NFC", ours), unicodedata.normalize("NFC", expected)
    if "\ufffd" in expected:  # Zammad could not decode these bytes; any character may stand there
        pattern = ".".join(re.escape(piece) for piece in expected.split("\ufffd"))
        return re.fullmatch(pattern, ours) is not None
    return ours == expected


# ---------------------------------------------------------------- zammad (§1)


def zammad_cases() -> list[str]:
    return sorted(load_expected("zammad").get("mails", {}))


def check_zammad(box: str) -> list[str]:
    exp = load_expected("zammad")["mails"][box]
    mail, took = timed_parse((CORPUS_DIR / "zammad" / box).read_bytes())
    quirks = ZAMMAD_QUIRKS.get(box, {})
    fails: list[str] = []
    if took > TIME_BUDGET:
        fails.append(f"took {took:.1f}s")

    want_from = exp["from_email"] or ""
    accepted = {_addr_key(want_from), _addr_key(quirks.get("from_email", want_from))}
    if _addr_key(mail.from_email) not in accepted:
        fails.append(f"from_email {mail.from_email!r} != {want_from!r}")
    want_name = norm(exp["from_display_name"])
    if norm(mail.from_name) not in {want_name, norm(quirks.get("from_display_name", want_name))}:
        fails.append(f"from_name {mail.from_name!r} != {exp['from_display_name']!r}")
    if norm(mail.subject) != norm(exp["subject"]):
        fails.append(f"subject {mail.subject!r} != {exp['subject']!r}")
    for field, ours in (("to", mail.to), ("cc", mail.cc), ("reply_to", mail.reply_to)):
        want = _addr_set(exp.get(field))
        got = {_addr_key(a) for a in ours if "@" in a}
        if want != got:
            fails.append(f"{field} {sorted(got)} != {sorted(want)}")

    html_body = exp["content_type"] == "text/html"
    if html_body and not mail.body_html:
        fails.append("no body_html although Zammad took the HTML body")
    ours = norm(html_to_text(mail.body_html) if html_body and mail.body_html else mail.body_text)
    want_body = exp["body_text_normalized"] or ""
    if want_body == "no visible content":
        if ours not in ("", want_body):
            fails.append(f"body should be empty, got {ours[:80]!r}")
    elif not _similar(ours, want_body):
        fails.append(f"body differs: {ours[:120]!r} vs {want_body[:120]!r}")

    fails.extend(_zammad_attachments(mail, exp))
    return fails


def _zammad_attachments(mail: ParsedMail, exp: dict[str, Any]) -> list[str]:
    fails: list[str] = []
    by_md5 = {}
    for att in mail.attachments:
        by_md5.setdefault(_md5(att.data), []).append(att)
    for want in exp["attachments"]:
        if want.get("zammad_original_format_html"):
            continue
        name = want["filename"]
        if want["mime_type"] in ("message/rfc822", "message/delivery-status"):
            # Zammad hashes the raw part text: the name and a parseable inner message are what count.
            found = [a for a in mail.attachments if _name_matches(a.filename, name)]
            if not found:
                fails.append(f"no attachment named {name!r} (ours: {[a.filename for a in mail.attachments]})")
            elif want["mime_type"] == "message/rfc822":
                try:
                    inner = parse_email(found[0].data)
                except NotAnEmail:
                    inner = ParsedMail()
                if not (inner.subject or inner.from_email):
                    fails.append(f"attached message {name!r} does not parse")
            continue
        candidates = by_md5.get(want["md5"], [])
        if not candidates:
            fails.append(f"attachment {name!r} (md5 {want['md5']}) missing")
            continue
        generated = re.fullmatch(r"file(-\d+)?", name) is not None
        if not generated and not any(_name_matches(a.filename, name) for a in candidates):
            fails.append(f"attachment name {[a.filename for a in candidates]} != {name!r}")
        if want.get("content_id") and not any(a.content_id == want["content_id"].strip("<>") for a in candidates):
            fails.append(f"attachment {name!r} lost its Content-ID {want['content_id']!r}")
    return fails


# ---------------------------------------------------------------- every file: robustness and nothing lost


def _text_in(needle: str, mail: ParsedMail) -> bool:
    needle = norm(needle)
    if not needle:
        return True
    if needle in norm(mail.body_text) or needle in norm(html_to_text(mail.body_html)) or needle in norm(mail.body_html):
        return True
    return any(needle in norm(a.data.decode("utf-8", "replace")) for a in mail.attachments if len(a.data) < 5_000_000)


def _lost_parts(raw: bytes, mail: ParsedMail) -> list[str]:
    """Leaves of the stdlib's own tree whose content is nowhere in our result (body, HTML or attachments)."""
    from email import policy
    from email.parser import BytesParser

    from channels_intake.email.charsets import decode_bytes

    tree = BytesParser(policy=policy.default).parsebytes(raw.lstrip().replace(b"\r\n", b"\n"))
    ours = {_md5(a.data) for a in mail.attachments}
    lost: list[str] = []
    stack: list[tuple[Any, bool]] = [(tree, False)]
    while stack and len(lost) < 5:
        part, later_branch = stack.pop()
        ctype = part.get_content_type()
        payload = part.get_payload()
        if ctype.startswith("message/") or later_branch:
            continue  # inside an attached message, or an alternative rendering we may skip
        if isinstance(payload, list):
            for index, child in enumerate(reversed(payload)):
                stack.append((child, ctype == "multipart/alternative" and index != len(payload) - 1))
            continue
        data = part.get_payload(decode=True) or b""
        if not data.strip():
            continue
        if _md5(data) in ours:
            continue
        if part.get_content_maintype() == "text" or ctype.startswith("multipart/"):
            text = decode_bytes(data, part.get_param("charset"))
            if not _text_in(text[:300], mail):
                lost.append(f"{ctype} part {text[:40]!r}")
        elif _md5(data) not in ours:
            lost.append(f"{ctype} part of {len(data)} bytes")
    return [f"lost {item}" for item in lost]


def _robust(path_parts: tuple[str, ...]) -> tuple[ParsedMail | None, bytes, list[str]]:
    raw = CORPUS_DIR.joinpath(*path_parts).read_bytes()
    fails: list[str] = []
    try:
        mail, took = timed_parse(raw)
    except NotAnEmail as exc:
        return None, raw, [f"NotAnEmail: {exc}"]
    if took > TIME_BUDGET:
        fails.append(f"took {took:.1f}s (budget {TIME_BUDGET}s)")
    for name in ("from_email", "from_name", "subject", "body_text", "body_html", "message_id"):
        if not isinstance(getattr(mail, name), str):
            fails.append(f"{name} is not text")
    broken = [d for d in mail.defects if d.startswith(("ParserFailure", "PartsFailure", "HeaderUnreadable"))]
    if broken:
        fails.append(f"parser gave up on part of it: {broken}")
    return mail, raw, fails


def _expect_defects(mail: ParsedMail, wanted: list[str]) -> list[str]:
    missing = [d for d in wanted if d not in mail.defects]
    return [f"defects {missing} not reported (ours: {mail.defects})"] if missing else []


# ---------------------------------------------------------------- cpython (§2)


def cpython_cases() -> list[str]:
    return [p.name for p in corpus_files("cpython", "msg_*.txt")]


def check_cpython(name: str) -> list[str]:
    exp = load_expected("cpython").get(name, {})
    mail, raw, fails = _robust(("cpython", name))
    if mail is None:
        return fails
    names = [a.filename for a in mail.attachments]
    if "part_filenames" in exp and sorted(names) != sorted(exp["part_filenames"]):
        fails.append(f"attachment names {names} != {exp['part_filenames']}")
    if "part_1_filename" in exp and exp["part_1_filename"] not in names:
        fails.append(f"no attachment {exp['part_1_filename']!r}")
    if "charsets" in exp and "\ufffd" in mail.body_text:
        fails.append("body text has undecodable characters")
    if "part_0_decoded" in exp and not mail.body_text.startswith(exp["part_0_decoded"]):
        fails.append(f"body does not start with {exp['part_0_decoded']!r}")
    if "part_1_decoded_bytes_hex_prefix" in exp:
        first = bytes.fromhex(exp["part_1_decoded_bytes_hex_prefix"]).decode("latin-1")
        if first + "This is a Quoted" not in html_to_text(mail.body_html):
            fails.append("quoted-printable part not decoded")
    if exp.get("content_type") == "message/rfc822":
        eml = [a for a in mail.attachments if a.content_type == "message/rfc822"]
        inner = parse_email(eml[0].data) if eml else None
        if inner is None or inner.subject != exp["inner_subject"] or inner.body_text != exp["inner_body"]:
            fails.append("attached message lost or changed")
        elif eml[0].filename != exp["inner_subject"] + ".eml":
            fails.append(f"attached message named {eml[0].filename!r}")
    if exp.get("content_type") == "text/plain" and not mail.body_text.strip():
        fails.append("no body text")
    if "defects" in exp:
        fails.extend(_expect_defects(mail, exp["defects"]))
    if "inner_defects" in exp:
        fails.extend(_expect_defects(mail, exp["inner_defects"]))
    fails.extend(_lost_parts(raw, mail))
    return fails


# ---------------------------------------------------------------- django-helpdesk (§3)


def helpdesk_cases() -> list[str]:
    return [p.name for p in corpus_files("django-helpdesk", "*.eml")]


def check_helpdesk(name: str) -> list[str]:
    exp = load_expected("django-helpdesk").get(name, {})
    mail, raw, fails = _robust(("django-helpdesk", name))
    if mail is None:
        return fails
    if "subject" in exp and mail.subject != exp["subject"]:
        fails.append(f"subject {mail.subject!r} != {exp['subject']!r}")
    if "subject_startswith" in exp and not mail.subject.startswith(exp["subject_startswith"]):
        fails.append(f"subject {mail.subject[:60]!r} does not start with {exp['subject_startswith']!r}")
    if "body_text_equals" in exp and mail.body_text.strip() != exp["body_text_equals"]:
        fails.append(f"body {mail.body_text.strip()[:100]!r} != {exp['body_text_equals'][:100]!r}")
    for needle in exp.get("body_text_contains", []):
        # "keep the text" (expectations.md §3): in the text body or the HTML body, whichever holds it.
        if needle not in mail.body_text and needle not in html_to_text(mail.body_html):
            fails.append(f"body lacks {needle!r}")
    if "html_part_contains" in exp and exp["html_part_contains"] not in mail.body_html:
        fails.append("HTML body lost")
    for needle in exp.get("forwarded_part_contains", []):
        if not _text_in(needle, mail):
            fails.append(f"forwarded text {needle!r} lost")
    if name == "pgp.eml" and [a.filename for a in mail.attachments] != ["signature.asc"]:
        fails.append(f"attachments {[a.filename for a in mail.attachments]} != ['signature.asc']")
    if name == "blank-body-with-attachment.eml" and len(mail.attachments) != 1:
        fails.append(f"{len(mail.attachments)} attachments, expected 1")
    fails.extend(_lost_parts(raw, mail))
    return fails


# ---------------------------------------------------------------- mail-parser (§4)


def mailparser_cases() -> list[str]:
    return [p.name for p in corpus_files("mail-parser")]


def check_mailparser(name: str) -> list[str]:
    exp = load_expected("mail-parser").get(name, {})
    if name == "mail_outlook_1":
        try:
            parse_email((CORPUS_DIR / "mail-parser" / name).read_bytes())
        except NotAnEmail:
            return []
        return ["an Outlook .msg was not rejected as NotAnEmail"]
    mail, raw, fails = _robust(("mail-parser", name))
    if mail is None:
        return fails
    if "from_email" in exp and mail.from_email != exp["from_email"]:
        fails.append(f"from {mail.from_email!r} != {exp['from_email']!r}")
    if "to_count" in exp and len(mail.to) != exp["to_count"]:
        fails.append(f"{len(mail.to)} recipients, expected {exp['to_count']}")
    if "to_first_email" in exp and mail.to[:1] != [exp["to_first_email"]]:
        fails.append(f"first recipient {mail.to[:1]} != {exp['to_first_email']!r}")
    if "subject" in exp and mail.subject != exp["subject"]:
        fails.append(f"subject {mail.subject!r} != {exp['subject']!r}")
    if "message_id" in exp and mail.message_id != exp["message_id"].strip("<>"):
        fails.append(f"message_id {mail.message_id!r} != {exp['message_id']!r}")
    if "date_utc" in exp:
        from datetime import datetime

        if mail.date is None or mail.date != datetime.fromisoformat(exp["date_utc"]):
            fails.append(f"date {mail.date} != {exp['date_utc']}")
    if "attachments_count" in exp and len(mail.attachments) != exp["attachments_count"]:
        names = [a.filename for a in mail.attachments]
        fails.append(f"{len(mail.attachments)} attachments {names}, expected {exp['attachments_count']}")
    if "attachment_0" in exp and not (mail.attachments and mail.attachments[0].inline):
        fails.append("the inline attachment is not marked inline")
    for wanted in exp.get("attachment_names_or_content_ids", []):
        if wanted.startswith("<"):
            ok = any(a.content_id == wanted.strip("<>") for a in mail.attachments)
        else:
            ok = any(a.filename == wanted for a in mail.attachments)
        if not ok:
            fails.append(f"no attachment {wanted!r}")
    if exp.get("html_parts") and not mail.body_html:
        fails.append("HTML part lost")
    wanted_defects = exp.get("defects") or exp.get("defects_include") or []
    fails.extend(_expect_defects(mail, wanted_defects))
    if "reply_to" in exp and mail.reply_to != [addr for _name, addr in exp["reply_to"]]:
        fails.append(f"reply_to {mail.reply_to} != {exp['reply_to']}")
    if "header X-MSMail-Priority" in exp and mail.headers.get("x-msmail-priority") != exp["header X-MSMail-Priority"]:
        fails.append("X-MSMail-Priority header lost")
    if name == "mail_test_14" and not _text_in("PNG here", mail):
        fails.append("the part with an unknown content type was lost")
    fails.extend(_lost_parts(raw, mail))
    return fails


# ---------------------------------------------------------------- flanker (§5: decoding and robustness only)


def flanker_cases() -> list[str]:
    return [str(p.relative_to(CORPUS_DIR / "flanker")) for p in corpus_files("flanker", "*.eml")]


def check_flanker(name: str) -> list[str]:
    exp = load_expected("flanker").get(name, {})
    mail, raw, fails = _robust(("flanker", *name.split("/")))
    if mail is None:
        return fails
    if "body" in exp and norm(mail.body_text) != norm(exp["body"]):
        fails.append(f"body {mail.body_text[:80]!r} != {exp['body'][:80]!r}")
    if "from_decoded" in exp:
        want_name, want_addr = getaddresses([exp["from_decoded"]])[0]
        if (mail.from_name, mail.from_email) != (want_name, want_addr):
            fails.append(f"from {(mail.from_name, mail.from_email)} != {(want_name, want_addr)}")
    if "subject" in exp and mail.subject != exp["subject"]:
        fails.append(f"subject {mail.subject!r} != {exp['subject']!r}")
    if "body_endswith" in exp and not mail.body_text.strip().endswith(exp["body_endswith"]):
        fails.append(f"body does not end with {exp['body_endswith']!r}")
    sender = (mail.from_name, mail.from_email)
    if name == "messages/encoded-header.eml" and sender != ("Foo, Bar", "foo.bar@example.com"):
        fails.append(f"from {sender}: the comma in the encoded name split the address")
    wanted_name = exp.get("attachment_filename_startswith")
    if wanted_name and not any(a.filename.startswith(wanted_name) for a in mail.attachments):
        fails.append(f"no attachment named {wanted_name!r}…")
    # flanker sniffs the bytes; we go by the declared type or, when that is broken, the file name.
    wants_image = "attachment_detected_type" in exp or "attachment detected as image/png" in exp.get("note", "")
    if wants_image and not any(a.content_type.startswith("image/") and len(a.data) > 100 for a in mail.attachments):
        fails.append(f"the image attachment was lost ({[(a.filename, a.content_type) for a in mail.attachments]})")
    subject_cases = ("messages/mailformed-headers.eml", "messages/spam/broken-headers.eml", "messages/long-header.eml")
    if name in subject_cases and not mail.subject.strip():
        fails.append("subject lost")
    if name == "messages/missing-final-boundary.eml" and not mail.body_text.strip():
        fails.append("first part's body lost")
    if exp.get("content_type") == "text/plain" and not mail.body_text.strip():
        fails.append("no body text")
    fails.extend(_lost_parts(raw, mail))
    return fails


FOLDERS: dict[str, tuple[Callable[[], list[str]], Check]] = {
    "zammad": (zammad_cases, check_zammad),
    "cpython": (cpython_cases, check_cpython),
    "django-helpdesk": (helpdesk_cases, check_helpdesk),
    "mail-parser": (mailparser_cases, check_mailparser),
    "flanker": (flanker_cases, check_flanker),
}


@cache
def all_cases() -> list[tuple[str, str]]:
    return [(folder, case) for folder, (cases, _check) in FOLDERS.items() for case in cases()]
