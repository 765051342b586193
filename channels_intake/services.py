"""The one ingestion service: every channel hands its parsed InboundMessage here."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import gettext as _

from channels_intake.inbound import InboundMessage
from tickets import services as ticket_services
from tickets.models import Customer, Message, Ticket


@dataclass(frozen=True)
class IngestResult:
    message: Message
    ticket: Ticket
    customer: Customer
    created_ticket: bool
    duplicate: bool


class _AlreadyStored(Exception):
    def __init__(self, message: Message) -> None:
        self.message = message


def _ticket_to_continue(hint: int | None, customer: Customer) -> Ticket | None:
    """The ticket a message continues, if the hint names one of this customer's tickets that is not closed."""
    if hint is None:
        return None
    ticket = Ticket.objects.filter(pk=hint).first()
    if ticket is None:
        return None
    while ticket.merged_into_id:
        ticket = Ticket.objects.get(pk=ticket.merged_into_id)
    # A ticket number is easy to guess: only its own customer may add to it.
    if ticket.customer_id != customer.pk or ticket.status == Ticket.Status.CLOSED:
        return None
    return ticket


def inbound_message_ingest(*, inbound: InboundMessage) -> IngestResult:
    """Store a customer message: find or create the customer, thread it into a ticket, add it once.

    Runs in one transaction, so a failure leaves no half-made customer or ticket behind.
    A message already stored (same channel and external id) changes nothing.
    """
    existing = Message.objects.select_related("ticket__customer").filter(
        channel=inbound.channel, external_id=inbound.external_id
    )
    if (found := existing.first()) is not None:
        return IngestResult(found, found.ticket, found.ticket.customer, created_ticket=False, duplicate=True)
    try:
        with transaction.atomic():
            customer, _created = ticket_services.customer_get_or_create_by_identity(
                kind=inbound.sender_kind, value=inbound.sender_value, name=inbound.sender_name
            )
            ticket = _ticket_to_continue(inbound.ticket_hint, customer)
            created_ticket = ticket is None
            if ticket is None:
                ticket = ticket_services.ticket_create(
                    customer=customer,
                    subject=inbound.subject or inbound.body_text[:80] or _("(no subject)"),
                    channel=inbound.channel,
                    created_at=inbound.received_at,
                )
            message, created = ticket_services.message_add_once(
                ticket=ticket,
                channel=inbound.channel,
                external_id=inbound.external_id,
                direction=Message.Direction.INBOUND,
                body_text=inbound.body_text,
                body_html=inbound.body_html,
                author_customer=customer,
                email_message_id=inbound.email_message_id,
                email_in_reply_to=inbound.email_in_reply_to,
                email_references=inbound.email_references,
                created_at=inbound.received_at,
            )
            if not created:
                # Another worker stored it between our check and now: undo our customer/ticket.
                raise _AlreadyStored(message)
    except _AlreadyStored as race:
        found = race.message
        return IngestResult(found, found.ticket, found.ticket.customer, created_ticket=False, duplicate=True)
    ticket.refresh_from_db()
    return IngestResult(message, ticket, customer, created_ticket=created_ticket, duplicate=False)
