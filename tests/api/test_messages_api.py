"""A ticket's messages through the API: read, reply on the ticket's channel, notes, customers' replies."""

from __future__ import annotations

import pytest
from django.core import mail

from tests.factories import CustomerFactory, CustomerIdentityFactory, TeamFactory
from tickets import services
from tickets.models import Channel, Message, Ticket

pytestmark = pytest.mark.django_db

URL = "/api/v1/tickets/"


def _email_ticket(team=None, customer=None) -> Ticket:
    customer = customer or CustomerIdentityFactory(value="ann@example.com").customer
    return services.ticket_create(
        customer=customer, subject="Order 1042 is late", channel=Channel.EMAIL, body_text="Where is it?", team=team
    )


def test_a_staff_reply_goes_out_on_the_tickets_channel_and_can_set_the_status(
    api_agent, team, agent, django_capture_on_commit_callbacks
):
    ticket = _email_ticket(team=team)

    with django_capture_on_commit_callbacks(execute=True):
        response = api_agent.post(f"{URL}{ticket.pk}/messages/", {"body": "It ships today.", "status": "pending"})

    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["direction"], body["channel"], body["author"]) == (
        "outbound",
        "email",
        {"type": "agent", "id": agent.pk},
    )
    (sent,) = mail.outbox
    assert sent.to[0].endswith("<ann@example.com>")
    assert f"[#{ticket.pk}]" in sent.subject
    assert "It ships today." in sent.body
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.PENDING
    assert Message.objects.get(pk=body["id"]).delivery_status == Message.DeliveryStatus.SENT


def test_a_reply_on_the_api_channel_counts_as_delivered(api_agent, team, django_capture_on_commit_callbacks):
    ticket = services.ticket_create(
        customer=CustomerFactory(), subject="x", channel=Channel.API, body_text="y", team=team
    )

    with django_capture_on_commit_callbacks(execute=True):
        response = api_agent.post(f"{URL}{ticket.pk}/messages/", {"body": "Answered here"})

    assert Message.objects.get(pk=response.json()["id"]).delivery_status == Message.DeliveryStatus.SENT
    assert mail.outbox == []


def test_a_note_stays_internal_and_customers_never_see_it(api_agent, team, api_customer, portal_customer):
    ticket = _email_ticket(team=team, customer=portal_customer)

    note = api_agent.post(f"{URL}{ticket.pk}/messages/", {"kind": "note", "body": "VIP, be quick"})

    assert note.status_code == 201
    assert note.json()["direction"] == "note"
    assert mail.outbox == []
    staff_view = [m["direction"] for m in api_agent.get(f"{URL}{ticket.pk}/messages/").json()["results"]]
    customer_view = [m["direction"] for m in api_customer.get(f"{URL}{ticket.pk}/messages/").json()["results"]]
    assert staff_view == ["inbound", "note"]
    assert customer_view == ["inbound"]
    assert api_customer.get(f"/api/v1/messages/{note.json()['id']}/").status_code == 404


def test_a_customers_message_is_their_reply_and_reopens_a_solved_ticket(api_customer, portal_customer):
    ticket = _email_ticket(customer=portal_customer)
    services.ticket_change_status(ticket=ticket, status=Ticket.Status.SOLVED)

    response = api_customer.post(f"{URL}{ticket.pk}/messages/", {"body": "Still broken"})

    assert response.status_code == 201
    assert response.json()["author"] == {"type": "customer", "id": portal_customer.pk}
    assert response.json()["direction"] == "inbound"
    ticket.refresh_from_db()
    assert (ticket.status, ticket.reopen_count) == (Ticket.Status.OPEN, 1)


def test_a_customer_may_not_write_notes_or_set_the_status(api_customer, portal_customer):
    ticket = _email_ticket(customer=portal_customer)

    note = api_customer.post(f"{URL}{ticket.pk}/messages/", {"kind": "note", "body": "x"})
    status = api_customer.post(f"{URL}{ticket.pk}/messages/", {"body": "x", "status": "solved"})

    assert note.status_code == status.status_code == 403
    assert set(note.json()["field_errors"]) == {"kind"}
    assert set(status.json()["field_errors"]) == {"status"}
    assert ticket.messages.count() == 1


def test_a_closed_ticket_takes_no_reply(api_agent, team):
    ticket = _email_ticket(team=team)
    services.ticket_change_status(ticket=ticket, status=Ticket.Status.SOLVED)
    services.ticket_change_status(ticket=ticket, status=Ticket.Status.CLOSED)

    response = api_agent.post(f"{URL}{ticket.pk}/messages/", {"body": "hello?"})

    assert response.status_code == 409
    assert response.json()["code"] == "ticket_closed"


def test_an_empty_message_is_refused(api_agent, team):
    ticket = _email_ticket(team=team)

    response = api_agent.post(f"{URL}{ticket.pk}/messages/", {"body": "   "})

    assert response.status_code == 400
    assert set(response.json()["field_errors"]) == {"body"}


def test_hostile_html_in_a_reply_is_stored_sanitized(api_agent, team):
    ticket = _email_ticket(team=team)

    response = api_agent.post(
        f"{URL}{ticket.pk}/messages/",
        {"body": "hi", "body_html": '<p onclick="x()">Hi</p><script>alert(1)</script><a href="javascript:x()">y</a>'},
    )

    html = response.json()["body_html"]
    assert "<script" not in html and "onclick" not in html and "javascript:" not in html
    assert "Hi" in html


@pytest.mark.parametrize("count", [3, 30])
def test_messages_list_in_a_fixed_number_of_queries(api_agent, team, count, django_assert_max_num_queries):
    ticket = _email_ticket(team=team)
    for index in range(count):
        services.note_add(ticket=ticket, agent=api_agent.user, body_text=f"note {index}")

    # token, role, ticket, tags, messages, attachments
    with django_assert_max_num_queries(7):
        response = api_agent.get(f"{URL}{ticket.pk}/messages/", {"page_size": 100})

    assert len(response.json()["results"]) == count + 1


def test_a_message_of_a_ticket_out_of_reach_is_404(api_agent):
    hidden = _email_ticket(team=TeamFactory())

    assert api_agent.get(f"/api/v1/messages/{hidden.messages.get().pk}/").status_code == 404
