"""Email providers' inbound webhooks (django-anymail, plus our CloudMailin view): each delivered email is stored raw
before the provider gets its 2xx, so a failure here makes the provider retry instead of losing the mail.

Connected from ChannelsIntakeConfig.ready(); anymail's views (under inbound/email/) check basic auth and the
provider's signature, parse the post and send the `inbound` signal that lands here.
"""

from __future__ import annotations

import logging
from email.policy import compat32
from email.utils import getaddresses
from typing import Any

from anymail.inbound import AnymailInboundMessage
from anymail.signals import AnymailInboundEvent, inbound
from django.db.models import Q
from django.dispatch import receiver
from django.http import HttpRequest

from channels_intake.email.addresses import address_without_tag
from channels_intake.email.store import inbound_email_receive
from channels_intake.models import InboundEmail, Mailbox

logger = logging.getLogger(__name__)

# SpamAssassin's default required_score: the line providers that only give a score (Mandrill, SendGrid) mean.
SPAM_SCORE_THRESHOLD = 5.0

# Where a provider hands over the message exactly as it arrived, so we keep those bytes rather than a rebuild.
_RAW_POST_FIELD = {"Mailgun": "body-mime", "SendGrid": "email"}

FALLBACK_MAILBOX_NAME = "inbound"


@receiver(inbound, dispatch_uid="channels_intake.email.webhooks.inbound_email_from_provider")
def inbound_email_from_provider(sender: type, event: AnymailInboundEvent, esp_name: str, **kwargs: Any) -> None:
    """Store one inbound email. Exceptions propagate on purpose: the view answers 5xx and the provider retries."""
    message = event.message
    if message is None:  # anymail always sets it for inbound events; guard against a provider's odd payload
        raise ValueError(f"{esp_name} inbound event without a message")
    raw = provider_raw_message(event, esp_name) or message_as_bytes(message)
    row, created = inbound_email_receive(
        mailbox=mailbox_for_message(message),
        raw=raw,
        source=InboundEmail.Source.WEBHOOK,
        source_detail=esp_name.lower(),
        is_spam=message_is_spam(message),
    )
    logger.info("%s webhook: inbound email %s %s", esp_name, row.pk, "stored" if created else "already stored")


def provider_raw_message(event: AnymailInboundEvent, esp_name: str) -> bytes | None:
    """The original MIME text when the provider posted it (raw-MIME options), else None."""
    esp_event = event.esp_event
    raw: Any = None
    if isinstance(esp_event, HttpRequest) and esp_name in _RAW_POST_FIELD:
        raw = esp_event.POST.get(_RAW_POST_FIELD[esp_name])
    elif isinstance(esp_event, dict):
        if esp_name == "Mandrill":
            raw = (esp_event.get("msg") or {}).get("raw_msg")
        elif esp_name == "Postmark":
            raw = esp_event.get("RawEmail")
        elif esp_name == "CloudMailin":
            raw = esp_event.get("raw_message")
    if isinstance(raw, str) and raw.strip():
        # Django and the JSON decoders hand us text; anymail parsed the same text as UTF-8 too.
        return raw.encode("utf-8", errors="surrogateescape")
    return None


def message_as_bytes(message: AnymailInboundMessage) -> bytes:
    """A provider's parsed fields rebuilt into one MIME message."""
    try:
        return message.as_bytes()
    except Exception:  # a header the modern policy cannot fold must not cost the mail; compat32 writes it as is
        logger.warning("inbound email could not be serialized with the default policy; using compat32")
        return message.as_bytes(policy=compat32)


def message_is_spam(message: AnymailInboundMessage) -> bool:
    """The provider's verdict when it gives one, else its spam score against SpamAssassin's default threshold."""
    if message.spam_detected is not None:
        return bool(message.spam_detected)
    try:
        return message.spam_score is not None and float(message.spam_score) >= SPAM_SCORE_THRESHOLD
    except (TypeError, ValueError):
        return False


def recipient_addresses(message: AnymailInboundMessage) -> list[str]:
    """Lower-cased addresses the mail was delivered to, most reliable first: envelope, To, Cc, Delivered-To."""
    found: list[str] = []
    if message.envelope_recipient:
        found.extend(address for _, address in getaddresses([str(message.envelope_recipient)]))
    for header in ("To", "Cc", "Delivered-To"):
        try:
            values = [str(value) for value in message.get_all(header, [])]
        except Exception:  # noqa: S112 - a malformed header only means one less hint
            continue
        found.extend(address for _, address in getaddresses(values))
    unique: list[str] = []
    for address in found:
        address = address.strip().lower()
        if "@" in address and address not in unique:
            unique.append(address)
    return unique


def mailbox_for_message(message: AnymailInboundMessage) -> Mailbox:
    """The mailbox a delivered email belongs to; never fails to find one, so nothing is dropped.

    Active mailbox by recipient (exact, then without a +tag); else the oldest active mailbox; else the oldest
    mailbox at all; else a new "inbound" mailbox for the recipient.
    """
    addresses = recipient_addresses(message)
    candidates = addresses + [address_without_tag(a) for a in addresses if address_without_tag(a) not in addresses]
    if candidates:
        query = Q()
        for address in candidates:
            query |= Q(email_address__iexact=address)
        by_address = {m.email_address.lower(): m for m in Mailbox.objects.filter(query, is_active=True)}
        for address in candidates:
            if address in by_address:
                return by_address[address]
    fallback = (
        Mailbox.objects.filter(is_active=True).order_by("created_at", "pk").first()
        or Mailbox.objects.order_by("created_at", "pk").first()
    )
    if fallback is not None:
        return fallback
    mailbox, _ = Mailbox.objects.get_or_create(
        name=FALLBACK_MAILBOX_NAME,
        defaults={"email_address": addresses[0] if addresses else "inbound@localhost"},
    )
    logger.warning("no mailbox configured: created %r for webhook mail", mailbox.name)
    return mailbox
