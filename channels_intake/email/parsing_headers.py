"""Reading address, date and Message-ID headers the way a person would, however broken they are."""

from __future__ import annotations

import inspect
import re
import secrets
from datetime import UTC, datetime
from email.utils import getaddresses, parsedate_to_datetime

from channels_intake.email.charsets import decode_header_value

# Newer Python versions reject odd address lists unless told not to; the lenient reading is what we want.
_GETADDR_KW = {"strict": False} if "strict" in inspect.signature(getaddresses).parameters else {}

_ADDR_SPEC = re.compile(r"^[^@\s<>,;]+@[^@\s<>,;]+$")
_ADDR_IN_TEXT = re.compile(r"[\w.!#$%&'*+/=?^`{|}~-]+@[\w-]+(?:\.[\w-]+)+")
_MSG_ID = re.compile(r"<\s*([^<>\s]+?)\s*>")
_TRAILING_PUNCT = ".,;:"


def _split_addresses(raw_values: list[str], hint: str | None) -> list[tuple[str, str, str]]:
    """(display name, address, the decoded header text it came from) for each mailbox in the headers."""
    result: list[tuple[str, str, str]] = []
    nonce = secrets.token_hex(4)
    for raw in raw_values:
        words: dict[str, str] = {}

        def hold(text: str, words: dict[str, str] = words) -> str:
            # An atom in place of each decoded encoded-word run, so "Doe, John" cannot split the list.
            key = f"ew{len(words)}x{nonce}z"
            words[key] = text
            return key

        text = decode_header_value(raw, hint, wrap=hold)

        def restore(value: str, words: dict[str, str] = words) -> str:
            for key, decoded in words.items():
                if key in value:
                    value = value.replace(key, decoded)
            return value

        plain = restore(text)
        for name, address in getaddresses([text], **_GETADDR_KW):
            result.append((restore(name).strip(), restore(address).strip(), plain))
    return result


def _clean_address(name: str, address: str, source: str) -> tuple[str, str]:
    address = address.strip().strip("<>").strip()
    if address and re.search(r"\s", address):
        # `From: Test test@example.com`: the words before the address are its name.
        if f"<{address}" not in source and (match := _ADDR_IN_TEXT.search(address)):
            words = address[: match.start()].strip()
            return (name or words), match.group(0)
        local, _, domain = address.rpartition("@")
        if local and domain and '"' not in local:
            address = f'"{local}"@{domain}'  # the RFC 5322 spelling of a local part with spaces
    return name, address


def parse_addresses(raw_values: list[str], hint: str | None = None) -> list[tuple[str, str]]:
    """(display name, addr-spec) pairs from raw header values; entries without an address are dropped."""
    pairs: list[tuple[str, str]] = []
    for name, address, source in _split_addresses(raw_values, hint):
        name, address = _clean_address(name, address, source)
        if address and ("@" in address or not re.search(r"[\s?]", address)):
            pairs.append((name, address))
    return pairs


def pick_sender(raw_values: list[str], hint: str | None = None) -> tuple[str, str]:
    """The sender's (name, address) from one or more From values: the first real address wins.

    Fallbacks, in order: an address written anywhere in the header text, then a bare local name such as
    MAILER-DAEMON. Returns ("", "") when the headers name nobody.
    """
    entries = _split_addresses(raw_values, hint)
    for name, address, source in entries:
        name, address = _clean_address(name, address, source)
        if "@" in address and _ADDR_SPEC.match(address.replace('"', "").replace(" ", "")):
            return name, address
    for name, _address, source in entries:
        match = _ADDR_IN_TEXT.search(source)
        if match:
            found = match.group(0).rstrip(_TRAILING_PUNCT)
            return (name if found not in name else ""), found
    for name, address, _source in entries:
        if address and re.fullmatch(r"[\w.+-]+", address):
            return name, address
    return "", ""


def parse_date(value: str, defects: list[str] | None = None) -> datetime | None:
    """An aware datetime from a Date header; None (with a defect) when it cannot be read."""
    value = (value or "").strip()
    if not value:
        return None
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        parsed = None
    if parsed is None:
        if defects is not None:
            defects.append("InvalidDateDefect")
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)  # "-0000": the time is UTC, the zone unknown (RFC 5322 3.3)
    return parsed


def parse_message_ids(value: str) -> list[str]:
    """Message-IDs in a header value, without angle brackets; a lone bare ID counts too."""
    text = decode_header_value(value)
    ids = [m.group(1) for m in _MSG_ID.finditer(text)]
    if not ids:
        ids = [token.strip("<>") for token in text.split() if "@" in token or len(text.split()) == 1]
    return [i for i in dict.fromkeys(ids) if i and len(i) <= 998]
