"""The normalized form every channel parses its input into before ingestion."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from tickets.models import CustomerIdentity


@dataclass(frozen=True)
class InboundMessage:
    """A customer message from any channel, independent of how it arrived.

    `external_id` must identify the message at its source (mailbox + Message-ID, chat
    session + message id, provider event id): the same id delivered twice is stored once.
    `ticket_hint` is a ticket number the source already knows (a reply address, a chat
    session bound to a ticket, "[#1042]" in a subject); it is only trusted for the ticket's
    own customer.
    """

    channel: str
    external_id: str
    sender_kind: CustomerIdentity.Kind | str
    sender_value: str
    body_text: str
    sender_name: str = ""
    subject: str = ""
    body_html: str = ""
    received_at: datetime | None = None
    ticket_hint: int | None = None
    email_message_id: str = ""
    email_in_reply_to: str = ""
    email_references: str = ""
    extra: dict = field(default_factory=dict)
