"""Hostile and broken input: every case gives a clear result quickly, never an exception or a hang."""

from __future__ import annotations

import random
import time

import pytest

from channels_intake.email.parsed import ParsedMail
from channels_intake.email.parsing import NotAnEmail, parse_email

BUDGET = 5.0  # seconds, as for the corpus (expectations.md §0)


def timed(raw: bytes) -> ParsedMail:
    started = time.perf_counter()
    parsed = parse_email(raw)
    took = time.perf_counter() - started
    assert took < BUDGET, f"took {took:.1f}s"
    return parsed


@pytest.mark.parametrize("raw", [b"", b"\n", b"   \r\n\r\n  ", b"\x00\x00"])
def test_empty_message(raw: bytes) -> None:
    parsed = timed(raw)
    assert parsed.body_text == "" and parsed.from_email == "" and parsed.defects == ["EmptyMessage"]


def test_no_from_keeps_the_rest() -> None:
    parsed = timed(b"To: support@example.com\nSubject: who am I\n\nthe text\n")
    assert parsed.from_email == "" and "NoSender" in parsed.defects
    assert parsed.subject == "who am I" and parsed.body_text == "the text\n"


def test_headers_only_no_body() -> None:
    parsed = timed(b"From: a@example.com\nSubject: nothing else")
    assert parsed.subject == "nothing else" and parsed.body_text == ""


def test_ten_megabyte_header_line() -> None:
    raw = b"From: a@example.com\nX-Junk: " + b"A" * 10_000_000 + b"\nSubject: still read\n\nthe body survives\n"
    parsed = timed(raw)
    assert parsed.body_text == "the body survives\n" and parsed.subject == "still read"
    assert "HeaderTooLong" in parsed.defects and len(parsed.headers["x-junk"]) <= 4096


def test_ten_megabyte_folded_subject() -> None:
    # 600,000 continuation lines: the stdlib alone takes minutes on this.
    raw = b"From: a@example.com\nSubject: x\n" + b" =?utf-8?q?abc?=\n" * 600_000 + b"\nthe body survives\n"
    parsed = timed(raw)
    assert parsed.body_text == "the body survives\n" and parsed.subject.startswith("x abc")


def test_ten_megabyte_address_list() -> None:
    raw = b"From: a@example.com\nTo: " + b"Someone <s@example.com>, " * 400_000 + b"\n\nbody\n"
    parsed = timed(raw)
    assert parsed.to[0] == "s@example.com" and parsed.body_text == "body\n"


def test_huge_content_type_parameters() -> None:
    raw = b"From: a@example.com\nContent-Type: text/plain; " + b"a=b; " * 2_000_000 + b"charset=utf-8\n\nbody\n"
    assert timed(raw).body_text == "body\n"


def test_binary_garbage() -> None:
    rng = random.Random(4)
    for size in (1, 100, 10_000, 1_000_000):
        garbage = bytes(rng.getrandbits(8) for _ in range(size)) if size < 100_000 else rng.randbytes(size)
        try:
            parsed = timed(garbage)
        except NotAnEmail:
            continue
        assert isinstance(parsed.body_text, str)


def _nested_multiparts(depth: int) -> bytes:
    head = b"From: a@example.com\nSubject: deep\n"
    opening = b"".join(b"Content-Type: multipart/mixed; boundary=b%d\n\n--b%d\n" % (i, i) for i in range(depth))
    closing = b"".join(b"\n--b%d--\n" % i for i in reversed(range(depth)))
    return head + opening + b"Content-Type: text/plain\n\ninnermost text\n" + closing


def test_two_hundred_nested_multiparts_yield_the_innermost_text() -> None:
    parsed = timed(_nested_multiparts(200))
    assert parsed.body_text.strip() == "innermost text"
    assert "NestingTooDeep" in parsed.defects  # deeper than we walk; the text was searched for


@pytest.mark.parametrize("depth", [1_000, 5_000])
def test_nesting_beyond_the_stdlib_recursion_limit(depth: int) -> None:
    parsed = timed(_nested_multiparts(depth))
    assert "NestingTooDeep" in parsed.defects and parsed.subject == "deep"
    assert "innermost text" in parsed.body_text


def test_deeply_nested_forwarded_messages() -> None:
    raw = b"From: a@example.com\nSubject: outer\n" + b"Content-Type: message/rfc822\n\nSubject: inner\n" * 3_000
    raw += b"Content-Type: text/plain\n\nbottom\n"
    parsed = timed(raw)
    assert parsed.subject == "outer" and "NestingTooDeep" in parsed.defects


def test_thousands_of_attachments_are_capped() -> None:
    parts = b"".join(b"--b\nContent-Type: application/octet-stream\n\nx\n" for _ in range(3_000))
    raw = b"From: a@example.com\nContent-Type: multipart/mixed; boundary=b\n\n" + parts + b"--b--\n"
    parsed = timed(raw)
    assert len(parsed.attachments) == 500 and "TooManyAttachments" in parsed.defects


def test_invalid_base64_and_quoted_printable() -> None:
    raw = (
        b"From: a@example.com\nContent-Type: multipart/mixed; boundary=b\n\n"
        b"--b\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: base64\n\nSGVsbG8g!!d29y*bGQ\n"
        b"--b\nContent-Type: application/pdf; name=a.pdf\nContent-Transfer-Encoding: base64\n\n%%%===\n"
        b"--b\nContent-Type: text/plain; name=q.txt\nContent-Transfer-Encoding: quoted-printable\n\nbad =ZZ qp =\n"
        b"--b\nContent-Type: text/plain; name=u.txt\nContent-Transfer-Encoding: x-uuencode\n\nbegin 644 u\nnonsense\n"
        b"--b--\n"
    )
    parsed = timed(raw)
    assert parsed.body_text.startswith("Hello")
    assert [a.filename for a in parsed.attachments] == ["a.pdf", "q.txt", "u.txt"]
    assert any("Base64" in d for d in parsed.defects)


def test_unknown_transfer_encoding_and_charset() -> None:
    raw = b"From: a@example.com\nContent-Type: text/plain; charset=x-klingon\nContent-Transfer-Encoding: x-zip\n\n"
    raw += b"qapla\xe9\n"
    assert timed(raw).body_text == "qaplaé\n"


def test_outlook_msg_and_other_formats_are_rejected_cleanly() -> None:
    for magic in (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", b"%PDF-1.4", b"PK\x03\x04", b"\x1f\x8b\x08"):
        with pytest.raises(NotAnEmail):
            parse_email(magic + b"\x00" * 100)


def test_nul_bytes_and_lone_carriage_returns() -> None:
    parsed = timed(b"From: a@example.com\rSubject: cr only\r\rbody\x00with nul\r")
    assert isinstance(parsed.body_text, str)
