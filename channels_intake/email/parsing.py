"""Raw message bytes -> ParsedMail. Pure: no database, no Django models, never raises on bad mail.

The stdlib parser (policy.default) builds the tree; we read headers ourselves from their raw form so that
charset mislabels, broken encoded words and broken address lists still give what a person would read.
The only exception is NotAnEmail, for input that is clearly some other file format.
"""

from __future__ import annotations

import email.policy
import functools
import logging
import re
from email.message import EmailMessage, Message
from email.parser import BytesParser
from email.policy import EmailPolicy
from typing import Any

from channels_intake.email.charsets import decode_bytes, decode_header_value
from channels_intake.email.classify import classify_message
from channels_intake.email.html_text import html_to_text
from channels_intake.email.parsed import Classification, ParsedMail
from channels_intake.email.parsing_headers import parse_addresses, parse_date, parse_message_ids, pick_sender
from channels_intake.email.parsing_parts import collect_parts

log = logging.getLogger(__name__)

# Limits that keep one hostile message from taking the worker down; each hit is recorded as a defect.
MAX_HEADER_FIELD = 16 * 1024  # the stdlib's header parser is quadratic in a field's length
MAX_HEADER_TOTAL = 1024 * 1024  # past this, every further field is cut to SMALL_HEADER_FIELD
SMALL_HEADER_FIELD = 512
MAX_HEADERS_KEPT = 200  # distinct names stored in ParsedMail.headers
MAX_HEADER_VALUE_KEPT = 4096
MAX_CONTAINERS = 100  # multipart / message/rfc822 parts kept before deeper ones are read as text

# File formats people forward to a mailbox by mistake; none of them can be read as RFC 822.
_NOT_MAIL_MAGIC = {
    b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1": "an Outlook .msg or other OLE2 compound file",
    b"%PDF-": "a PDF document",
    b"PK\x03\x04": "a ZIP archive (or an Office document)",
    b"\x1f\x8b": "a gzip archive",
}

_CONTAINER_TYPE = re.compile(rb"(?im)^(content-type:[ \t]*)(multipart/|message/rfc822)")


class NotAnEmail(ValueError):
    """The input is some other file format, not an RFC 822 message (for example an Outlook .msg)."""


@functools.lru_cache(maxsize=4096)
def _header_object(name: str, value: str) -> Any:
    return email.policy.default.header_fetch_parse(name, value)


class _GuardedPolicy(EmailPolicy):
    """policy.default, with every header field cut to a size the stdlib parses in bounded time."""

    guard: list[int] | None = None  # [header bytes seen, fields cut]; one list per parse

    def header_fetch_parse(self, name: str, value: str) -> Any:
        # The stdlib re-parses a header on every read (Content-Type about twenty times per message);
        # header objects are immutable, so one parse per distinct (name, value) is enough.
        if hasattr(value, "name") or len(value) > 4096:
            return super().header_fetch_parse(name, value)
        return _header_object(name, value)

    def header_source_parse(self, sourcelines: list[str]) -> tuple[str, str]:
        name, value = super().header_source_parse(sourcelines)
        if self.guard is not None:
            self.guard[0] += len(value)
            limit = MAX_HEADER_FIELD if self.guard[0] <= MAX_HEADER_TOTAL else SMALL_HEADER_FIELD
            if len(value) > limit:
                self.guard[1] += 1
                value = value[:limit]
        return name, value


def parse_email(raw: bytes) -> ParsedMail:
    """Parse one raw message. Raises NotAnEmail for other file formats; anything else gives a best-effort result."""
    data = bytes(raw) if not isinstance(raw, str) else raw.encode("utf-8", "surrogateescape")
    _reject_other_formats(data)
    mail = ParsedMail()
    try:
        _fill(mail, data)
    except Exception as exc:
        log.exception("email parser failed; keeping the raw text as the body")
        mail.defects.append(f"ParserFailure: {type(exc).__name__}")
        if not mail.body_text:
            mail.body_text = decode_bytes(data[:1_000_000])
    return mail


def _reject_other_formats(data: bytes) -> None:
    head = data[:16].lstrip()
    for magic, what in _NOT_MAIL_MAGIC.items():
        if head.startswith(magic):
            raise NotAnEmail(f"not an email message: the file is {what}")


def _fill(mail: ParsedMail, data: bytes) -> None:
    defects = mail.defects
    stripped = data.lstrip(b" \t\r\n\x00")
    if not stripped:
        defects.append("EmptyMessage")
        return
    if len(stripped) != len(data):
        defects.append("LeadingBlankLines")  # the stdlib would take the whole message for body
    # One line ending throughout: stored mail is LF, and CRLF and LF copies of a message must parse alike.
    msg = _parse_tree(stripped.replace(b"\r\n", b"\n"), defects)
    hint = _charset_hint(msg)

    _fill_headers(mail, msg, hint)
    try:
        parts = collect_parts(msg, hint)
    except Exception as exc:
        log.exception("email parser: walking the MIME tree failed")
        defects.append(f"PartsFailure: {type(exc).__name__}")
    else:
        mail.body_text = parts.body_text
        mail.body_html = parts.body_html
        mail.attachments = parts.attachments
        defects.extend(parts.defects)
    if not mail.body_text and mail.body_html:
        mail.body_text = html_to_text(mail.body_html)
    mail.classification = _classify(msg)
    mail.defects[:] = list(dict.fromkeys(defects))


def _parse_tree(data: bytes, defects: list[str]) -> EmailMessage:
    guard = [0, 0]
    try:
        msg = _parse(data, guard)
    except RecursionError:
        # Deeper nesting than the stdlib's recursion allows: read the deep containers as plain text.
        defects.append("NestingTooDeep")
        guard = [0, 0]
        try:
            msg = _parse(_flatten_deep_containers(data), guard)
        except Exception as exc:
            defects.append(f"StructureUnreadable: {type(exc).__name__}")
            msg = _parse(data, guard, headers_only=True)
    except Exception as exc:
        log.warning("email parser: full parse failed (%s); reading headers only", exc)
        defects.append(f"StructureUnreadable: {type(exc).__name__}")
        guard = [0, 0]
        msg = _parse(data, guard, headers_only=True)
    if guard[1]:
        defects.append("HeaderTooLong")
    return msg


def _parse(data: bytes, guard: list[int], headers_only: bool = False) -> EmailMessage:
    policy = _GuardedPolicy(guard=guard)  # type: ignore[call-overload]  # our own attribute, set like the others
    message = BytesParser(policy=policy).parsebytes(data, headersonly=headers_only)
    assert isinstance(message, EmailMessage)
    return message


def _flatten_deep_containers(data: bytes) -> bytes:
    count = 0

    def replace(match: re.Match[bytes]) -> bytes:
        nonlocal count
        count += 1
        if count <= MAX_CONTAINERS:
            return match.group(0)
        return match.group(1) + b"text/x-too-deep-" + match.group(2).rstrip(b"/").replace(b"/", b"-")

    return _CONTAINER_TYPE.sub(replace, data)


def _charset_hint(msg: Message) -> str | None:
    """The charset the sender's mail program uses, for raw 8-bit headers and mislabelled encoded words."""
    stack: list[Message] = [msg]
    seen = 0
    while stack and seen < 50:
        part = stack.pop()
        seen += 1
        try:
            charset = part.get_param("charset")
        except Exception:
            charset = None
        if isinstance(charset, str) and charset.strip():
            return charset.strip()
        payload = part.get_payload() if part.is_multipart() else None
        if isinstance(payload, list):
            stack.extend(p for p in reversed(payload) if isinstance(p, Message))
    return None


def _raw_values(msg: Message, name: str) -> list[str]:
    name = name.lower()
    return [str(value) for key, value in msg.raw_items() if key.lower() == name]


def _fill_headers(mail: ParsedMail, msg: Message, hint: str | None) -> None:
    steps: list[tuple[str, Any]] = [
        ("from", lambda: _fill_sender(mail, msg, hint)),
        ("to", lambda: setattr(mail, "to", _address_list(msg, "to", hint))),
        ("cc", lambda: setattr(mail, "cc", _address_list(msg, "cc", hint))),
        ("reply-to", lambda: setattr(mail, "reply_to", _address_list(msg, "reply-to", hint))),
        ("subject", lambda: setattr(mail, "subject", _first_decoded(msg, "subject", hint).strip())),
        ("date", lambda: setattr(mail, "date", parse_date(_first_decoded(msg, "date", hint), mail.defects))),
        ("message-id", lambda: setattr(mail, "message_id", _first_id(msg, "message-id"))),
        ("in-reply-to", lambda: setattr(mail, "in_reply_to", _first_id(msg, "in-reply-to"))),
        ("references", lambda: setattr(mail, "references", _references(msg))),
        ("headers", lambda: setattr(mail, "headers", _header_map(msg, hint))),
    ]
    for name, step in steps:
        try:
            step()
        except Exception as exc:
            log.warning("email parser: %s header unreadable: %s", name, exc)
            mail.defects.append(f"HeaderUnreadable: {name}")


def _first_decoded(msg: Message, name: str, hint: str | None) -> str:
    values = _raw_values(msg, name)
    return decode_header_value(values[0], hint) if values else ""


def _address_list(msg: Message, name: str, hint: str | None) -> list[str]:
    addresses: list[str] = []
    for _display, address in parse_addresses(_raw_values(msg, name), hint):
        if address and address.lower() not in {a.lower() for a in addresses}:
            addresses.append(address)
    return addresses


def _fill_sender(mail: ParsedMail, msg: Message, hint: str | None) -> None:
    # A broken From still names the sender somewhere a person would look: Sender, then Reply-To.
    for header in ("from", "sender", "reply-to"):
        values = _raw_values(msg, header)
        if not values:
            continue
        name, address = pick_sender(values, hint)
        if address:
            # One line: a display name with CR/LF in it would break every header it is put into.
            mail.from_name, mail.from_email = " ".join(name.split()), address
            if header != "from":
                mail.defects.append(f"SenderFrom: {header}")
            return
    mail.defects.append("NoSender")


def _first_id(msg: Message, name: str) -> str:
    values = _raw_values(msg, name)
    ids = parse_message_ids(values[0]) if values else []
    return ids[0] if ids else ""


def _references(msg: Message) -> list[str]:
    refs: list[str] = []
    for value in _raw_values(msg, "references"):
        refs.extend(parse_message_ids(value))
    return list(dict.fromkeys(refs))


def _header_map(msg: Message, hint: str | None) -> dict[str, str]:
    headers: dict[str, str] = {}
    for key, value in msg.raw_items():
        name = key.strip().lower()
        if name in headers or not name:
            continue
        if len(headers) >= MAX_HEADERS_KEPT:
            break
        headers[name] = decode_header_value(str(value)[: MAX_HEADER_VALUE_KEPT * 2], hint)[:MAX_HEADER_VALUE_KEPT]
    return headers


def _classify(msg: Message) -> Classification:
    try:
        result = classify_message(msg)  # type: ignore[arg-type]
    except Exception:
        log.exception("email classifier failed; treating the message as written by a person")
        return Classification()
    return result if isinstance(result, Classification) else Classification()
