"""Addresses and ids that let replies find their ticket: signed reply addresses and our Message-IDs."""

from __future__ import annotations

import re
import secrets
from email.utils import parseaddr

from django.conf import settings
from django.utils.crypto import constant_time_compare, salted_hmac

from channels_intake.models import Mailbox

_SALT = "helpdesk.email.reply-address"
# support+t1042-3f9a0c1b2d4e@example.com: the ticket number and a signature only we can make.
_TOKEN = re.compile(r"^t(\d{1,12})-([0-9a-f]{12})$")
# "[#1042]" anywhere in a subject (also "Re: [#1042] ..."); our own outbound subjects carry it.
_SUBJECT_NUMBER = re.compile(r"\[#(\d{1,12})\]")


def _signature(ticket_number: int) -> str:
    return salted_hmac(_SALT, str(ticket_number), algorithm="sha256").hexdigest()[:12]


def reply_address(*, mailbox: Mailbox, ticket_number: int) -> str:
    """The Reply-To of our mail about a ticket: the mailbox address with a signed +tag."""
    local, _at, domain = mailbox.email_address.partition("@")
    return f"{local}+t{ticket_number}-{_signature(ticket_number)}@{domain}"


def ticket_from_reply_address(address: str, *, mailbox: Mailbox) -> int | None:
    """The ticket number in a reply address to `mailbox`, if its signature is ours."""
    local, _at, domain = address.strip().lower().partition("@")
    box_local, _at, box_domain = mailbox.email_address.lower().partition("@")
    if domain != box_domain or not local.startswith(box_local + "+"):
        return None
    match = _TOKEN.match(local[len(box_local) + 1 :])
    if match is None:
        return None
    number = int(match.group(1))
    return number if constant_time_compare(match.group(2), _signature(number)) else None


def ticket_from_subject(subject: str) -> int | None:
    match = _SUBJECT_NUMBER.search(subject or "")
    return int(match.group(1)) if match else None


def subject_with_number(subject: str, ticket_number: int) -> str:
    """'[#1042] subject', keeping the number only once however many times it bounced back and forth."""
    tag = f"[#{ticket_number}]"
    if tag in subject:
        return subject
    return f"{tag} {subject}".strip()


def new_message_id(*, mailbox: Mailbox, ticket_number: int, message_pk: int) -> str:
    """A globally unique Message-ID (without brackets) in the mailbox's domain."""
    domain = mailbox.email_address.rpartition("@")[2] or "localhost"
    return f"helpdesk.{ticket_number}.{message_pk}.{secrets.token_hex(6)}@{domain}"


def our_addresses() -> set[str]:
    """Every address we send from: the mailboxes and the default sender (lower case)."""
    ours = {address.lower() for address in Mailbox.objects.values_list("email_address", flat=True)}
    ours.add(parseaddr(settings.DEFAULT_FROM_EMAIL)[1].lower())
    return ours


def address_without_tag(address: str) -> str:
    """support+t1042-...@example.com -> support@example.com (lower case): the mailbox a tagged address belongs to."""
    local, _at, domain = address.lower().rpartition("@")
    return f"{local.partition('+')[0]}@{domain}"


def is_our_address(address: str, ours: set[str]) -> bool:
    """One of `ours`, or its +tagged reply address (support+t1042-...@): never a customer, never Cc'd."""
    return address.lower() in ours or address_without_tag(address) in ours
