"""Acting on a ticket under races, on real PostgreSQL: a double-posted reply is one reply, a link is one link."""

import pytest
from django.db import connection

from tests.factories import AgentFactory, CustomerFactory
from tests.parts import missing
from tests.test_concurrency import _in_threads
from tickets import services
from tickets.models import Channel, Message, Ticket, TicketEvent, TicketLink

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]


@pytest.fixture(autouse=True)
def _needs_postgresql():
    if connection.vendor != "postgresql":
        missing("needs PostgreSQL (set DATABASE_URL): SQLite runs one writer at a time, so there is no race")


def _ticket():
    return services.ticket_create(customer=CustomerFactory(), subject="x", channel=Channel.EMAIL, body_text="x")


def test_the_same_reply_posted_four_times_at_once_is_stored_and_solves_once():
    agent, ticket = AgentFactory(), _ticket()

    results = _in_threads(
        4,
        lambda i: services.ticket_reply(
            ticket=Ticket.objects.get(pk=ticket.pk),
            agent=agent,
            body_text="Done.",
            status_after=Ticket.Status.SOLVED,
            idempotency_key="same-click",
        ),
    )

    assert not [r for r in results if isinstance(r, Exception)]
    assert len({message.pk for message in results}) == 1
    assert ticket.messages.filter(direction=Message.Direction.OUTBOUND).count() == 1
    assert ticket.events.filter(kind=TicketEvent.Kind.STATUS, to_value=Ticket.Status.SOLVED).count() == 1


def test_two_agents_linking_the_same_pair_from_both_sides_make_one_link():
    agent, first, second = AgentFactory(), _ticket(), _ticket()
    pairs = [(first, second), (second, first)] * 2

    results = _in_threads(4, lambda i: services.ticket_link(ticket=pairs[i][0], related=pairs[i][1], actor=agent))

    assert not [r for r in results if isinstance(r, Exception)]
    assert TicketLink.objects.count() == 1
    assert TicketEvent.objects.filter(kind=TicketEvent.Kind.LINKED).count() == 2
