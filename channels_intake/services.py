"""The one ingestion service: every channel hands its parsed InboundMessage here."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import gettext as _

from channels_intake.inbound import InboundMessage
from tickets import services as ticket_services
from tickets.models import Customer, Message, Team, Ticket, TicketParticipant
from tickets.services import resolve_merged


@dataclass(frozen=True)
class IngestResult:
    message: Message
    ticket: Ticket
    customer: Customer
    created_ticket: bool
    duplicate: bool
    reopened: bool = False
    thread_found_by: str = ""  # the code of the hint that put the message on an existing ticket
    followup_of: Ticket | None = None  # the closed ticket this new one continues


class _AlreadyStored(Exception):
    def __init__(self, message: Message) -> None:
        self.message = message


def ticket_to_continue(*, hints: list[tuple[int, str]], customer: Customer) -> tuple[Ticket, str] | None:
    """The ticket a message continues: the first hint naming a ticket this customer takes part in.

    Every hint can be forged or reach the wrong person (a ticket number is easy to guess, a mail
    gets forwarded), so the sender must be the ticket's customer or one of its participants.
    Merged tickets lead to the ticket they were merged into. The ticket may be closed: the caller
    decides what a message to a closed ticket means.
    """
    for number, how in hints:
        ticket = Ticket.objects.filter(pk=number).first()
        if ticket is None:
            continue
        ticket = resolve_merged(ticket)
        if (
            ticket.customer_id == customer.pk
            or TicketParticipant.objects.filter(ticket=ticket, customer=customer).exists()
        ):
            return ticket, how
    return None


def inbound_message_ingest(*, inbound: InboundMessage, customer: Customer | None = None) -> IngestResult:
    """Store a customer message: find or create the customer, thread it into a ticket, add it once.

    A message to a solved ticket reopens it; to a closed ticket it opens a follow-up ticket linked to
    the old one. Runs in one transaction, so a failure leaves no half-made customer or ticket behind.
    A message already stored (same channel and external id) changes nothing. `customer` may be given
    when the caller already resolved the sender.
    """
    if customer is None:
        # Checked first so a duplicate does not create a customer; with `customer` given, the check
        # inside message_add_once below is enough.
        existing = Message.objects.select_related("ticket__customer").filter(
            channel=inbound.channel, external_id=inbound.external_id
        )
        if (found := existing.first()) is not None:
            return IngestResult(found, found.ticket, found.ticket.customer, created_ticket=False, duplicate=True)
    try:
        with transaction.atomic():
            if customer is None:
                customer, _created = ticket_services.customer_get_or_create_by_identity(
                    kind=inbound.sender_kind, value=inbound.sender_value, name=inbound.sender_name
                )
            thread = ticket_to_continue(hints=inbound.hints(), customer=customer)
            ticket, found_by = thread if thread else (None, "")
            followup_of = None
            if ticket is not None and ticket.status == Ticket.Status.CLOSED:
                followup_of, ticket, found_by = ticket, None, ""
            created_ticket = ticket is None
            reopened = ticket is not None and ticket.status == Ticket.Status.SOLVED
            if ticket is None:
                ticket = ticket_services.ticket_create(
                    customer=customer,
                    subject=(inbound.subject or inbound.body_text[:80] or _("(no subject)"))[:255],
                    channel=inbound.channel,
                    team=Team.objects.filter(pk=inbound.team_id).first() if inbound.team_id else None,
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
                email_recipients=inbound.email_recipients,
                quoted_text_start=inbound.quoted_text_start,
                created_at=inbound.received_at,
            )
            if not created:
                # Another worker stored it between our check and now: undo our customer/ticket.
                raise _AlreadyStored(message)
            if followup_of is not None:
                ticket_services.ticket_link(ticket=ticket, related=followup_of, actor=None)
    except _AlreadyStored as race:
        found = race.message
        return IngestResult(found, found.ticket, found.ticket.customer, created_ticket=False, duplicate=True)
    return IngestResult(
        message,
        ticket,
        customer,
        created_ticket=created_ticket,
        duplicate=False,
        reopened=reopened,
        thread_found_by=found_by,
        followup_of=followup_of,
    )
