"""The dispatcher: committed changes become one delivery per interested subscription, in log order.

These tests commit for real (transactional database): on PostgreSQL the log is read only up to the
oldest transaction still running, so a change in an open test transaction would never be read.
"""

from __future__ import annotations

import pytest
from django.db import connection

from integrations import webhooks
from integrations.models import Change, ChangeKind, LogCursor, WebhookDelivery
from integrations.tasks import dispatch_webhooks
from integrations.webhooks import WEBHOOKS_CURSOR, webhook_subscription_update, webhooks_dispatch
from tests.integrations.steps import dispatch_all, eventually, readable, subscribe
from tickets import services
from tickets.models import Channel, Ticket

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def customer():
    return services.customer_create(name="Sara Karimi", identities=[("email", "sara@mail.example")])


def _ticket(customer, subject: str = "Invoice is wrong") -> Ticket:
    return services.ticket_create(customer=customer, subject=subject, channel=Channel.EMAIL, body_text="3 items?")


def _sent(subscription) -> list[tuple[str, str]]:
    rows = WebhookDelivery.objects.filter(subscription=subscription).order_by("id")
    return [(delivery.event, delivery.ordering_key) for delivery in rows]


def test_a_subscription_gets_each_event_committed_after_it_was_made_and_none_before(customer, task_queue):
    before = _ticket(customer, "Before")
    subscription, _secret = subscribe("https://crm.example.com/hooks")

    after = _ticket(customer, "After")
    dispatch_all()

    assert _sent(subscription) == [
        ("ticket.created", f"ticket:{after.pk}"),
        ("message.created", f"ticket:{after.pk}"),
    ]
    assert not WebhookDelivery.objects.filter(ordering_key=f"ticket:{before.pk}").exists()


def test_the_payload_carries_the_event_the_object_and_what_changed(customer, task_queue):
    ticket = _ticket(customer)
    subscription, _secret = subscribe("https://crm.example.com/hooks", events=["ticket.updated"])

    services.ticket_change_status(ticket=ticket, status=Ticket.Status.PENDING)
    dispatch_all()

    delivery = WebhookDelivery.objects.get(subscription=subscription)
    change = Change.objects.get(kind=ChangeKind.TICKET_UPDATED)
    assert delivery.change == change
    payload = delivery.payload
    assert set(payload) == {"id", "type", "created_at", "data"}
    assert (payload["id"], payload["type"]) == (f"evt_{change.pk}", "ticket.updated")
    assert payload["created_at"] == change.created_at.isoformat()
    assert set(payload["data"]) == {"object", "changes"}
    assert payload["data"]["object"]["id"] == ticket.pk, "as the API shows it"
    assert payload["data"]["changes"] == {"status": ["new", "pending"]}


def test_an_object_that_is_gone_is_sent_as_null(customer, task_queue, monkeypatch):
    subscription, _secret = subscribe("https://crm.example.com/hooks", events=["ticket.created"])
    monkeypatch.setattr(webhooks, "represent", lambda subject_type, ids: {})

    _ticket(customer)
    dispatch_all()

    assert WebhookDelivery.objects.get(subscription=subscription).payload["data"]["object"] is None


def test_objects_are_represented_once_per_type_for_a_whole_batch(customer, task_queue, monkeypatch):
    subscribe("https://crm.example.com/hooks")
    subscribe("https://erp.example.com/hooks")
    tickets = [_ticket(customer, f"Ticket {n}") for n in range(3)]
    readable(6)
    calls = []
    real = webhooks.represent
    monkeypatch.setattr(webhooks, "represent", lambda kind, ids: calls.append((kind, list(ids))) or real(kind, ids))

    assert webhooks_dispatch() == 6

    assert WebhookDelivery.objects.count() == 2 * 6
    assert sorted(kind for kind, _ids in calls) == ["message", "ticket"]
    assert dict(calls)["ticket"] == [ticket.pk for ticket in tickets]


def test_a_subscription_gets_only_the_events_it_asked_for(customer, task_queue):
    created_only, _secret = subscribe("https://crm.example.com/hooks", events=["ticket.created"])
    everything, _secret = subscribe("https://erp.example.com/hooks", events=["*"])

    ticket = _ticket(customer)
    dispatch_all()

    assert _sent(created_only) == [("ticket.created", f"ticket:{ticket.pk}")]
    assert [event for event, _key in _sent(everything)] == ["ticket.created", "message.created"]


def test_customer_events_are_lined_up_by_customer(task_queue):
    subscription, _secret = subscribe("https://crm.example.com/hooks", events=["customer.created"])

    customer = services.customer_create(name="Reza", identities=[("email", "reza@mail.example")])
    dispatch_all()

    assert _sent(subscription) == [("customer.created", f"customer:{customer.pk}")]


def test_no_deliveries_are_made_while_a_subscription_is_paused(customer, task_queue):
    subscription, _secret = subscribe("https://crm.example.com/hooks", events=["ticket.created"])
    webhook_subscription_update(subscription=subscription, is_active=False)

    _ticket(customer, "While paused")
    dispatch_all()
    webhook_subscription_update(subscription=subscription, is_active=True)
    after = _ticket(customer, "After the pause")
    dispatch_all()

    assert _sent(subscription) == [("ticket.created", f"ticket:{after.pk}")]


def test_each_event_is_queued_once_however_often_the_dispatcher_runs(customer, task_queue):
    subscription, _secret = subscribe("https://crm.example.com/hooks")
    _ticket(customer)

    dispatch_all()
    webhooks_dispatch()
    dispatch_all()

    assert len(_sent(subscription)) == 2


def test_a_batch_reads_at_most_its_limit_and_the_next_run_goes_on(customer, task_queue):
    subscription, _secret = subscribe("https://crm.example.com/hooks")
    for n in range(3):
        _ticket(customer, f"Ticket {n}")  # two changes each
    readable(6)

    assert webhooks_dispatch(limit=4) == 4
    assert WebhookDelivery.objects.count() == 4
    assert webhooks_dispatch(limit=4) == 2
    assert [event for event, _key in _sent(subscription)] == ["ticket.created", "message.created"] * 3


def test_the_lines_are_enqueued_once_the_deliveries_are_committed(customer, task_queue):
    subscription, _secret = subscribe("https://crm.example.com/hooks")
    first, second = _ticket(customer, "One"), _ticket(customer, "Two")

    dispatch_all()

    assert sorted(task_queue.lines) == [
        (subscription.pk, f"ticket:{first.pk}"),
        (subscription.pk, f"ticket:{second.pk}"),
    ]


def test_without_an_active_subscription_the_dispatcher_skips_ahead(customer, task_queue):
    subscription, _secret = subscribe("https://crm.example.com/hooks")
    webhook_subscription_update(subscription=subscription, is_active=False)
    _ticket(customer)

    dispatch_all()

    cursor = LogCursor.objects.get(name=WEBHOOKS_CURSOR)
    last = Change.objects.order_by("-txid", "-id").first()
    assert (cursor.txid, cursor.change_id) >= (last.txid, last.pk)
    assert not WebhookDelivery.objects.exists()


def test_before_any_subscription_the_dispatcher_does_nothing(customer):
    assert webhooks_dispatch() == 0
    assert not LogCursor.objects.exists()


# --- woken up by commits ------------------------------------------------------------------------------


def test_a_ticket_created_reaches_the_receiver_right_after_it_commits(customer, receiver):
    subscribe(receiver.url, events=["ticket.created"])

    # Celery runs eagerly here: the commit's hook ran the dispatcher, and the dispatcher the delivery.
    ticket = _ticket(customer)

    [request] = eventually(lambda: receiver.requests, run=dispatch_webhooks.delay)
    assert request.event == "ticket.created"
    assert request.json()["data"]["object"]["id"] == ticket.pk
    assert WebhookDelivery.objects.get().status == WebhookDelivery.Status.DELIVERED


@pytest.mark.django_db
def test_inside_a_test_transaction_the_captured_commit_delivers_too(
    customer, receiver, django_capture_on_commit_callbacks
):
    if connection.vendor == "postgresql":
        pytest.skip("PostgreSQL readers never see a transaction that has not committed, so this needs a real commit")
    subscribe(receiver.url, events=["ticket.created"])

    with django_capture_on_commit_callbacks(execute=True):
        ticket = _ticket(customer)

    [request] = receiver.requests
    assert request.event == "ticket.created"
    assert request.json()["data"]["object"]["id"] == ticket.pk


def test_commits_wake_the_dispatcher_once_for_a_burst(customer, task_queue):
    subscribe("https://crm.example.com/hooks")

    for n in range(3):
        _ticket(customer, f"Ticket {n}")

    assert task_queue.dispatches == 1, "one wake-up; that run reads them all"


def test_commits_do_not_wake_the_dispatcher_when_no_subscription_is_active(customer, task_queue):
    subscription, _secret = subscribe("https://crm.example.com/hooks")
    webhook_subscription_update(subscription=subscription, is_active=False)

    _ticket(customer)

    assert task_queue.dispatches == 0


def test_a_broker_that_is_down_does_not_undo_the_change(customer, monkeypatch):
    subscribe("https://crm.example.com/hooks")

    def broker_down(*args, **kwargs):
        raise ConnectionRefusedError("Connection refused")

    monkeypatch.setattr(dispatch_webhooks, "delay", broker_down)

    ticket = _ticket(customer)

    assert Ticket.objects.filter(pk=ticket.pk).exists()
    assert not WebhookDelivery.objects.exists(), "the beat dispatch queues it later"
