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
    `ticket_hints` are ticket numbers the source found, strongest first, each with a short code
    for how it was found (a signed reply address, a Message-ID we sent, "[#1042]" in a subject, a
    chat session bound to a ticket). A hint is only trusted for the ticket's customer or a participant.
    `ticket_hint` is the single-hint shorthand.
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
    ticket_hints: tuple[tuple[int, str], ...] = ()
    team_id: int | None = None  # the team a new ticket goes to
    email_recipients: str = ""
    quoted_text_start: int | None = None
    email_message_id: str = ""
    email_in_reply_to: str = ""
    email_references: str = ""
    extra: dict = field(default_factory=dict)

    def hints(self) -> list[tuple[int, str]]:
        single = [(self.ticket_hint, "ticket-number")] if self.ticket_hint is not None else []
        return [*self.ticket_hints, *single]
