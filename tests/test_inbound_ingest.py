"""Every channel's messages go through one ingestion service: one customer, threaded, stored once."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from channels_intake.inbound import InboundMessage
from channels_intake.services import inbound_message_ingest
from tickets import services
from tickets.models import Channel, Customer, CustomerIdentity, Message, Ticket

pytestmark = pytest.mark.django_db

Kind = CustomerIdentity.Kind


def _email(external_id="box1:<m1@example.com>", sender="Alice@Example.com", **kwargs) -> InboundMessage:
    return InboundMessage(
        channel=Channel.EMAIL,
        external_id=external_id,
        sender_kind=Kind.EMAIL,
        sender_value=sender,
        sender_name="Alice",
        subject=kwargs.pop("subject", "Broken charger"),
        body_text=kwargs.pop("body_text", "My charger stopped working."),
        **kwargs,
    )


def test_a_first_message_creates_customer_ticket_and_message():
    result = inbound_message_ingest(inbound=_email())

    assert result.created_ticket and not result.duplicate
    assert result.ticket.subject == "Broken charger"
    assert result.ticket.status == Ticket.Status.NEW
    assert result.customer.identities.get().value == "alice@example.com"
    assert result.message.author_customer == result.customer


def test_the_same_message_delivered_twice_is_stored_once():
    first = inbound_message_ingest(inbound=_email())
    again = inbound_message_ingest(inbound=_email())

    assert again.duplicate
    assert again.message.pk == first.message.pk
    assert (Ticket.objects.count(), Message.objects.count(), Customer.objects.count()) == (1, 1, 1)


def test_a_reply_with_the_ticket_number_joins_the_ticket():
    first = inbound_message_ingest(inbound=_email())

    reply = inbound_message_ingest(inbound=_email(external_id="box1:<m2@example.com>", ticket_hint=first.ticket.pk))

    assert not reply.created_ticket
    assert reply.ticket.pk == first.ticket.pk
    assert reply.ticket.messages.count() == 2


def test_someone_else_quoting_a_ticket_number_gets_their_own_ticket():
    alices = inbound_message_ingest(inbound=_email())

    mallory = inbound_message_ingest(
        inbound=_email(
            external_id="box1:<evil@example.com>", sender="mallory@example.net", ticket_hint=alices.ticket.pk
        )
    )

    assert mallory.created_ticket
    assert alices.ticket.messages.count() == 1


def test_a_reply_to_a_solved_ticket_reopens_it_and_to_a_closed_one_opens_a_new_ticket():
    first = inbound_message_ingest(inbound=_email())
    services.ticket_change_status(ticket=first.ticket, status=Ticket.Status.SOLVED)

    reopened = inbound_message_ingest(inbound=_email(external_id="box1:<m2>", ticket_hint=first.ticket.pk))
    assert reopened.ticket.pk == first.ticket.pk
    assert reopened.ticket.status == Ticket.Status.OPEN
    assert reopened.ticket.reopen_count == 1

    services.ticket_change_status(ticket=first.ticket, status=Ticket.Status.SOLVED)
    services.ticket_change_status(ticket=first.ticket, status=Ticket.Status.CLOSED)
    follow_up = inbound_message_ingest(inbound=_email(external_id="box1:<m3>", ticket_hint=first.ticket.pk))
    assert follow_up.created_ticket
    assert follow_up.customer == first.customer


def test_the_same_person_on_chat_and_phone_is_one_customer_after_identities_are_known():
    email = inbound_message_ingest(inbound=_email())
    services.customer_identity_add(customer=email.customer, kind=Kind.PHONE, value="+98 912 345 6789")

    call = inbound_message_ingest(
        inbound=InboundMessage(
            channel=Channel.PHONE,
            external_id="pbx:call-1",
            sender_kind=Kind.PHONE,
            sender_value="0912 345 6789",
            body_text="Missed call",
            received_at=timezone.now() - timedelta(minutes=5),
        )
    )

    assert call.customer == email.customer
    assert call.ticket.channel == Channel.PHONE
    assert Customer.objects.count() == 1


def test_a_bad_sender_address_stores_nothing():
    with pytest.raises(ValidationError):
        inbound_message_ingest(inbound=_email(sender="not-an-address"))
    assert (Ticket.objects.count(), Customer.objects.count()) == (0, 0)
