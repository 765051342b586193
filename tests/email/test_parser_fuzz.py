"""Property: whatever bytes arrive, parse_email returns text fields (or NotAnEmail), never an exception.

Inputs are corpus messages with byte flips, cuts, duplicated headers and inserted junk, plus raw random bytes.
Bounded (derandomized, ~100 examples each) so the file runs in a few seconds.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from channels_intake.email.parsed import ParsedMail
from channels_intake.email.parsing import NotAnEmail, parse_email
from tests.email.corpus import CORPUS_DIR

# A mix of shapes, all small enough to parse hundreds of times: multipart, HTML, charsets, bounces, broken MIME.
SEEDS = [
    "zammad/mail015.box",
    "zammad/mail031.box",
    "zammad/mail033-undelivered-mail-returned-to-sender.box",
    "zammad/mail079.box",
    "zammad/mail093.box",
    "cpython/msg_07.txt",
    "cpython/msg_16.txt",
    "cpython/msg_38.txt",
    "cpython/msg_41.txt",
    "django-helpdesk/pgp.eml",
    "flanker/messages/encoded-header.eml",
    "flanker/messages/missing-boundaries.eml",
    "mail-parser/mail_malformed_3",
]
FUZZ = settings(
    max_examples=100,
    deadline=3000,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def _seeds() -> list[bytes]:
    found = [CORPUS_DIR / name for name in SEEDS if (CORPUS_DIR / name).is_file()]
    # Without the corpus the properties still run on a small message of our own.
    fallback = (
        b"From: =?utf-8?B?Rm9vLCBCYXI=?= <a@example.com>\nSubject: =?gb2312?B?ztI=?=\n"
        b"Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/html; charset=utf-8\n\n<p>hi</p>\n"
        b"--b\nContent-Type: image/png; name=a.png\nContent-Transfer-Encoding: base64\n\niVBORw0KGgo=\n--b--\n"
    )
    return [p.read_bytes()[:60_000] for p in found] or [fallback]


SEED_BYTES = _seeds()


def _check(raw: bytes) -> None:
    try:
        parsed = parse_email(raw)
    except NotAnEmail:
        return
    assert isinstance(parsed, ParsedMail)
    for name in ("from_email", "from_name", "subject", "body_text", "body_html", "message_id", "in_reply_to"):
        assert isinstance(getattr(parsed, name), str), name
    assert all(isinstance(a, str) for a in [*parsed.to, *parsed.cc, *parsed.reply_to, *parsed.references])
    for att in parsed.attachments:
        assert isinstance(att.filename, str) and att.filename and "/" not in att.filename
        assert isinstance(att.data, bytes) and isinstance(att.content_type, str)
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in parsed.headers.items())


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    data = bytearray(draw(st.sampled_from(SEED_BYTES)))
    for _ in range(draw(st.integers(0, 4))):
        kind = draw(st.sampled_from(["flip", "cut", "dup-header", "insert", "delete"]))
        if not data:
            break
        pos = draw(st.integers(0, len(data) - 1))
        if kind == "flip":
            data[pos] ^= 1 << draw(st.integers(0, 7))
        elif kind == "cut":
            del data[pos:]
        elif kind == "dup-header":
            head = bytes(data).split(b"\n\n", 1)[0].split(b"\n")
            line = head[draw(st.integers(0, len(head) - 1))]
            data[0:0] = (line + b"\n") * draw(st.integers(1, 50))
        elif kind == "insert":
            junk = draw(st.sampled_from([b"\n", b"\r\n", b"--", b"=?", b"?=", b"<", b"\x00", b"\xff\xfe", b":", b"\t"]))
            data[pos:pos] = junk * draw(st.integers(1, 20))
        else:
            del data[pos : pos + draw(st.integers(1, 200))]
    return bytes(data)


@FUZZ
@given(mutated())
def test_mutated_corpus_messages_never_crash(raw: bytes) -> None:
    _check(raw)


@FUZZ
@given(st.binary(max_size=4096))
def test_random_bytes_never_crash(raw: bytes) -> None:
    _check(raw)


@FUZZ
@given(st.text(max_size=300), st.text(max_size=300), st.text(max_size=300))
def test_random_header_text_never_crashes(from_value: str, subject: str, ctype: str) -> None:
    raw = f"From: {from_value}\nSubject: {subject}\nContent-Type: {ctype}\n\nbody\n"
    _check(raw.encode("utf-8", "surrogatepass"))


@pytest.mark.parametrize("seed", range(len(SEED_BYTES)))
def test_seed_messages_parse(seed: int) -> None:
    _check(SEED_BYTES[seed])
