"""The first step for every email, whatever brought it: keep the raw bytes, once per mailbox."""

from __future__ import annotations

import hashlib
import re
from email.parser import BytesHeaderParser
from email.policy import compat32
from email.utils import parseaddr

from django.db import IntegrityError, transaction

from channels_intake.models import InboundEmail, Mailbox

# Enough header to find Message-ID, From and Subject without parsing a huge message twice.
_HEAD_BYTES = 256 * 1024
_MESSAGE_ID = re.compile(r"<?\s*([^<>\s]+)\s*>?")


def _header_summary(raw: bytes) -> tuple[str, str, str]:
    """Message-ID (no brackets), sender address and subject, read leniently; empty strings when unreadable."""
    head = raw[:_HEAD_BYTES]
    end = head.find(b"\n\n")
    end_crlf = head.find(b"\r\n\r\n")
    ends = [e for e in (end, end_crlf) if e >= 0]
    if ends:
        head = head[: min(ends)]
    try:
        # compat32 does no decoding work: this only needs the raw values.
        headers = BytesHeaderParser(policy=compat32).parsebytes(head)
        message_id_match = _MESSAGE_ID.search(str(headers.get("Message-ID", "") or ""))
        message_id = message_id_match.group(1) if message_id_match else ""
        from_address = parseaddr(str(headers.get("From", "") or ""))[1].lower()
        subject = str(headers.get("Subject", "") or "")
    except Exception:
        return "", "", ""
    return message_id[:500], from_address[:320], " ".join(subject.split())[:500]


def dedupe_key_for(raw: bytes, message_id: str) -> str:
    """The Message-ID, or a content hash when a message has none (or one too long to index)."""
    if message_id and len(message_id) <= 240:
        return f"id:{message_id}"
    return f"sha256:{hashlib.sha256(raw).hexdigest()}"


def inbound_email_store(
    *, mailbox: Mailbox, raw: bytes, source: str, source_detail: str = "", is_spam: bool = False
) -> tuple[InboundEmail, bool]:
    """Store `raw` for `mailbox` unless the same message is already there. Returns (row, created).

    Committed on its own, so the caller may acknowledge the message to its source (IMAP flag,
    webhook 200, pipe exit 0) only after this returns.
    """
    message_id, from_address, subject = _header_summary(raw)
    key = dedupe_key_for(raw, message_id)
    existing = InboundEmail.objects.filter(mailbox=mailbox, dedupe_key=key).defer("raw").first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            row = InboundEmail.objects.create(
                mailbox=mailbox,
                source=source,
                source_detail=source_detail[:100],
                raw=raw,
                size=len(raw),
                sha256=hashlib.sha256(raw).hexdigest(),
                dedupe_key=key,
                email_message_id=message_id,
                from_address=from_address,
                subject=subject,
                is_spam=is_spam,
            )
    except IntegrityError:
        # Another worker stored the same message a moment ago.
        return InboundEmail.objects.defer("raw").get(mailbox=mailbox, dedupe_key=key), False
    return row, True


def inbound_email_receive(
    *, mailbox: Mailbox, raw: bytes, source: str, source_detail: str = "", is_spam: bool = False
) -> tuple[InboundEmail, bool]:
    """Store `raw` and, once that is committed, have a worker process it. Returns (row, created)."""
    from channels_intake.tasks import process_inbound_email

    with transaction.atomic():
        row, created = inbound_email_store(
            mailbox=mailbox, raw=raw, source=source, source_detail=source_detail, is_spam=is_spam
        )
        if created:
            # robust: the mail is stored; if the broker is down, the stale-mail sweep processes it later.
            transaction.on_commit(lambda: process_inbound_email.delay(row.pk), robust=True)
    return row, created
