"""Races that real intake produces, on real PostgreSQL: no duplicates, no deadlocks, no lost updates."""

import threading
from itertools import pairwise

import pytest
from django.db import connection, connections

from tests.factories import CustomerFactory
from tests.parts import missing
from tickets import services
from tickets.models import Channel, Customer, CustomerIdentity, Message, Ticket

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]


@pytest.fixture(autouse=True)
def _needs_postgresql():
    if connection.vendor != "postgresql":
        missing("needs PostgreSQL (set DATABASE_URL): SQLite runs one writer at a time, so there is no race")


def _in_threads(count: int, work) -> list:
    barrier = threading.Barrier(count)
    results: list = [None] * count

    def run(index: int) -> None:
        try:
            barrier.wait()
            results[index] = work(index)
        except Exception as error:  # the test inspects what each thread got
            results[index] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def test_the_same_new_sender_arriving_at_once_becomes_one_customer():
    results = _in_threads(
        6, lambda i: services.customer_get_or_create_by_identity(kind="email", value=f"NEW@example.com{' ' * i}")
    )

    assert not [r for r in results if isinstance(r, Exception)]
    assert len({customer.pk for customer, _created in results}) == 1
    assert sum(created for _customer, created in results) == 1
    assert CustomerIdentity.objects.count() == 1


def test_the_same_message_delivered_by_two_workers_is_stored_once():
    ticket = services.ticket_create(customer=CustomerFactory(), subject="x", channel=Channel.EMAIL, body_text="x")

    results = _in_threads(
        4,
        lambda i: services.message_add_once(
            ticket=ticket,
            channel=Channel.EMAIL,
            external_id="box:<same@example.com>",
            direction=Message.Direction.INBOUND,
            body_text="hello",
        ),
    )

    assert not [r for r in results if isinstance(r, Exception)]
    assert sum(created for _message, created in results) == 1
    assert ticket.messages.count() == 2


def test_concurrent_replies_keep_every_stamp():
    ticket = services.ticket_create(customer=CustomerFactory(), subject="x", channel=Channel.CHAT, body_text="x")
    channels = [Channel.EMAIL, Channel.PHONE, Channel.EMAIL, Channel.PHONE]

    _in_threads(
        4,
        lambda i: services.message_add(
            ticket=Ticket(pk=ticket.pk), channel=channels[i], direction=Message.Direction.INBOUND, body_text=f"m{i}"
        ),
    )

    ticket.refresh_from_db()
    # Each message saw the channel the one before it left, because the row lock serializes them:
    # the stamps match the order in which the messages were stored, with no lost update.
    stored = list(ticket.messages.order_by("pk").values_list("channel", flat=True))
    changes = sum(1 for before, after in pairwise(stored) if before != after)
    assert len(stored) == 5
    assert ticket.channel_switch_count == changes
    assert ticket.events.filter(kind="channel_switch").count() == changes
    assert ticket.current_channel == stored[-1]


def test_opposite_merges_at_once_do_not_deadlock_and_leave_one_survivor():
    def make():
        return services.ticket_create(customer=CustomerFactory(), subject="x", channel=Channel.EMAIL, body_text="x")

    a, b = make(), make()

    results = _in_threads(
        2,
        lambda i: services.ticket_merge(source=a, target=b) if i == 0 else services.ticket_merge(source=b, target=a),
    )

    errors = [r for r in results if isinstance(r, Exception)]
    assert len(errors) == 1
    assert isinstance(errors[0], services.InvalidMerge)
    assert Ticket.objects.filter(merged_into__isnull=True).count() == 1
    assert Customer.objects.count() == 2
