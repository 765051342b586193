"""What the email parser gives the rest of the channel: one neutral shape for any raw message."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class AutoKind(StrEnum):
    """What kind of machine mail a message is; NONE is mail written by a person."""

    NONE = "none"
    AUTO_REPLY = "auto-reply"  # vacation responders, "we got your mail" (RFC 3834)
    BOUNCE = "bounce"  # a delivery failure report about mail we sent
    DSN_DELIVERED = "dsn-delivered"  # a positive delivery report
    COMPLAINT = "complaint"  # an abuse/spam feedback report (ARF)
    MDN = "mdn"  # a read receipt
    BULK = "bulk"  # newsletters and mailing lists


@dataclass
class Bounce:
    status: str = ""  # the DSN status code, such as "5.1.1"; empty when the report has none
    recipients: list[str] = field(default_factory=list)  # addresses that failed
    original_message_id: str = ""  # Message-ID of the mail that bounced, when the report includes it
    diagnostic: str = ""  # the remote server's words, for the agent


@dataclass
class Classification:
    auto: AutoKind = AutoKind.NONE
    reason: str = ""  # which header or structure decided it, for the admin
    bounce: Bounce | None = None


@dataclass
class ParsedAttachment:
    filename: str
    content_type: str
    data: bytes
    content_id: str = ""  # without angle brackets
    inline: bool = False

    @property
    def size(self) -> int:
        return len(self.data)


@dataclass
class ParsedMail:
    from_email: str = ""
    from_name: str = ""
    to: list[str] = field(default_factory=list)
    cc: list[str] = field(default_factory=list)
    reply_to: list[str] = field(default_factory=list)
    subject: str = ""
    date: datetime | None = None
    message_id: str = ""  # without angle brackets
    in_reply_to: str = ""  # without angle brackets
    references: list[str] = field(default_factory=list)  # without angle brackets, oldest first
    body_text: str = ""  # plain text to store; HTML-only mail converted to text
    body_html: str = ""  # the HTML body as sent (not yet sanitized); empty when there is none
    attachments: list[ParsedAttachment] = field(default_factory=list)
    classification: Classification = field(default_factory=Classification)
    headers: dict[str, str] = field(default_factory=dict)  # lower-case name -> first value, decoded
    defects: list[str] = field(default_factory=list)  # what was wrong with the message, for the admin
