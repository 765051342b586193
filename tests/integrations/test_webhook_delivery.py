"""Delivering webhooks to a real HTTP receiver: signed, retried with backoff, in order per ticket.

The clock is driven through the `now` arguments; the database commits for real (see
test_webhook_dispatch.py for why), and tasks are recorded instead of run (`task_queue`).
"""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection, connections
from django.utils import timezone

from integrations import webhook_delivery
from integrations.models import WebhookAttempt, WebhookDelivery
from integrations.signing import payload_body, signature_verify
from integrations.webhook_delivery import address_kind_refused, webhook_line_deliver, webhooks_sweep
from integrations.webhooks import webhook_ping, webhook_redeliver, webhook_secret_rotate, webhook_subscription_update
from tests.integrations.steps import dispatch_all, subscribe
from tests.parts import missing
from tickets import services
from tickets.models import Channel, Ticket

pytestmark = pytest.mark.django_db(transaction=True)

Status = WebhookDelivery.Status


@pytest.fixture
def customer():
    return services.customer_create(name="Sara Karimi", identities=[("email", "sara@mail.example")])


@pytest.fixture
def retry_settings(settings):
    settings.HELPDESK_WEBHOOK_RETRY_SECONDS = 30
    settings.HELPDESK_WEBHOOK_MAX_ATTEMPTS = 8
    settings.HELPDESK_WEBHOOK_PAUSE_AFTER_FAILURES = 20
    settings.HELPDESK_WEBHOOK_TIMEOUT_SECONDS = 5
    return settings


def _ticket(customer, subject: str = "Invoice is wrong") -> Ticket:
    return services.ticket_create(customer=customer, subject=subject, channel=Channel.EMAIL, body_text="3 items?")


def _deliver(subscription, key: str, at) -> int:
    return webhook_line_deliver(subscription_id=subscription.pk, ordering_key=key, now=at)


def _line(ticket: Ticket) -> str:
    return f"ticket:{ticket.pk}"


def _ticket_ids(requests) -> list[int]:
    return [request.json()["data"]["object"]["id"] for request in requests]


# --- what is sent -------------------------------------------------------------------------------------


def test_a_delivery_is_posted_as_signed_json_with_its_headers(customer, receiver, task_queue):
    subscription, _secret = subscribe(receiver.url, events=["ticket.created"])
    ticket = _ticket(customer)
    dispatch_all()
    delivery = WebhookDelivery.objects.get()
    at = timezone.now()

    assert _deliver(subscription, _line(ticket), at) == 1

    [request] = receiver.requests
    assert request.method == "POST" and request.path == "/hooks"
    assert request.body == payload_body(delivery.payload), "the stored payload, as compact JSON"
    assert request.json()["id"] == f"evt_{delivery.change_id}"
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["User-Agent"] == "Helpdesk-Webhooks/1.0"
    assert request.headers["X-Helpdesk-Event"] == "ticket.created"
    assert request.headers["X-Helpdesk-Event-Id"] == f"evt_{delivery.change_id}"
    assert request.headers["X-Helpdesk-Delivery"] == str(delivery.pk)
    assert request.headers["X-Helpdesk-Timestamp"] == str(int(at.timestamp()))
    assert request.headers["X-Helpdesk-Signature"].startswith("v1=")
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == (Status.DELIVERED, 1, 200)
    assert delivery.delivered_at == at


def test_the_signature_verifies_with_the_secret_and_the_exact_bytes_received(customer, receiver, task_queue):
    subscription, secret = subscribe(receiver.url, events=["ticket.created"])
    ticket = _ticket(customer)
    dispatch_all()
    at = timezone.now()
    _deliver(subscription, _line(ticket), at)
    [request] = receiver.requests
    timestamp, header = request.headers["X-Helpdesk-Timestamp"], request.headers["X-Helpdesk-Signature"]

    def verify(secret=secret, body=request.body, now=at):
        return signature_verify(secret=secret, timestamp=timestamp, body=body, header=header, now=now)

    assert verify()
    assert not verify(secret="whsec_someone-else")
    assert not verify(body=request.body[:-1] + b" ")
    assert not verify(body=request.body.replace(b"ticket.created", b"ticket.updated"))
    assert not verify(now=at + timedelta(seconds=301)), "an old request replayed later"
    assert verify(now=at + timedelta(seconds=299))


def test_after_a_rotation_both_secrets_verify_for_a_while(customer, receiver, task_queue):
    subscription, old = subscribe(receiver.url, events=["ticket.created"])
    new = webhook_secret_rotate(subscription=subscription)
    ticket = _ticket(customer)
    dispatch_all()
    at = timezone.now()

    _deliver(subscription, _line(ticket), at)

    [request] = receiver.requests
    assert request.headers["X-Helpdesk-Signature"].count("v1=") == 2
    for secret in (new, old):
        assert signature_verify(
            secret=secret,
            timestamp=request.headers["X-Helpdesk-Timestamp"],
            body=request.body,
            header=request.headers["X-Helpdesk-Signature"],
            now=at,
        )


def test_a_subscription_for_ticket_created_never_receives_message_created(customer, receiver, task_queue):
    subscribe(receiver.url, events=["ticket.created"])
    _ticket(customer)
    dispatch_all()

    task_queue.run_lines()

    assert receiver.events == ["ticket.created"]


# --- retries, order, giving up, pausing ----------------------------------------------------------------


def test_a_failed_delivery_is_retried_with_growing_waits_until_it_gets_through(
    customer, receiver, task_queue, retry_settings
):
    receiver.answer(500, 500)
    subscription, _secret = subscribe(receiver.url, events=["ticket.created"])
    ticket = _ticket(customer)
    dispatch_all()
    delivery = WebhookDelivery.objects.get()
    t0 = timezone.now()

    assert _deliver(subscription, _line(ticket), t0) == 0
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_error) == (Status.PENDING, 1, "HTTP 500")
    assert delivery.next_attempt_at == t0 + timedelta(seconds=30)

    assert _deliver(subscription, _line(ticket), t0 + timedelta(seconds=29)) == 0, "not due yet"
    assert len(receiver.requests) == 1

    t1 = t0 + timedelta(seconds=30)
    assert _deliver(subscription, _line(ticket), t1) == 0
    delivery.refresh_from_db()
    assert delivery.next_attempt_at == t1 + timedelta(seconds=120), "four times longer"

    t2 = t1 + timedelta(seconds=120)
    assert _deliver(subscription, _line(ticket), t2) == 1

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.delivered_at) == (Status.DELIVERED, 3, t2)
    attempts = list(delivery.attempt_log.order_by("id"))
    assert [a.status_code for a in attempts] == [500, 500, 200]
    assert [a.created_at for a in attempts] == [t0, t1, t2]
    assert attempts[0].response_excerpt == "answered 500"
    assert len({request.body for request in receiver.requests}) == 1, "the same bytes every time"
    subscription.refresh_from_db()
    assert subscription.consecutive_failures == 0


def test_the_wait_between_retries_stops_growing_at_six_hours(customer, receiver, task_queue, retry_settings):
    retry_settings.HELPDESK_WEBHOOK_MAX_ATTEMPTS = 20
    receiver.answer(*[500] * 8)
    subscription, _secret = subscribe(receiver.url, events=["ticket.created"])
    ticket = _ticket(customer)
    dispatch_all()
    at = timezone.now()
    waits = []

    for _ in range(8):
        _deliver(subscription, _line(ticket), at)
        delivery = WebhookDelivery.objects.get()
        waits.append(delivery.next_attempt_at - at)
        at = delivery.next_attempt_at

    assert [wait.total_seconds() for wait in waits] == [30, 120, 480, 1920, 7680, 21600, 21600, 21600]


def test_events_of_a_ticket_wait_for_the_one_before_them_and_other_tickets_do_not(
    customer, receiver, task_queue, retry_settings
):
    subscription, _secret = subscribe(receiver.url, events=["ticket.created", "ticket.updated"])
    held = _ticket(customer, "Held")
    services.ticket_change_status(ticket=held, status=Ticket.Status.PENDING)
    services.ticket_change_priority(ticket=held, priority=Ticket.Priority.HIGH)
    other = _ticket(customer, "Other")
    dispatch_all()
    first, second, third = WebhookDelivery.objects.filter(ordering_key=_line(held)).order_by("id")
    receiver.answer(500)
    t0 = timezone.now()

    assert _deliver(subscription, _line(held), t0) == 0
    assert _deliver(subscription, _line(other), t0) == 1
    assert _deliver(subscription, _line(held), t0 + timedelta(seconds=10)) == 0

    other_delivery = WebhookDelivery.objects.get(ordering_key=_line(other))
    assert [r.headers["X-Helpdesk-Delivery"] for r in receiver.requests] == [str(first.pk), str(other_delivery.pk)]
    second.refresh_from_db()
    assert (second.status, second.attempts) == (Status.PENDING, 0), "not sent before the first got through"

    assert _deliver(subscription, _line(held), t0 + timedelta(seconds=30)) == 3

    held_requests = [r for r in receiver.requests if r.json()["data"]["object"]["id"] == held.pk]
    assert [r.headers["X-Helpdesk-Delivery"] for r in held_requests] == [
        str(first.pk),
        str(first.pk),
        str(second.pk),
        str(third.pk),
    ]
    assert [r.json()["data"]["changes"] for r in held_requests[2:]] == [
        {"status": ["new", "pending"]},
        {"priority": ["normal", "high"]},
    ]


def test_a_delivery_is_given_up_after_the_last_attempt_and_its_line_goes_on(
    customer, receiver, task_queue, retry_settings
):
    retry_settings.HELPDESK_WEBHOOK_MAX_ATTEMPTS = 2
    receiver.answer(500, 503)
    subscription, _secret = subscribe(receiver.url, events=["ticket.created", "ticket.updated"])
    ticket = _ticket(customer)
    services.ticket_change_status(ticket=ticket, status=Ticket.Status.PENDING)
    dispatch_all()
    first, second = WebhookDelivery.objects.order_by("id")
    t0 = timezone.now()

    assert _deliver(subscription, _line(ticket), t0) == 0
    assert _deliver(subscription, _line(ticket), t0 + timedelta(seconds=30)) == 1

    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, first.attempts, first.last_status_code) == (Status.FAILED, 2, 503)
    assert (second.status, second.attempts) == (Status.DELIVERED, 1)


def test_a_subscription_pauses_itself_after_failing_again_and_again_and_resumes_by_hand(
    customer, receiver, task_queue, retry_settings
):
    retry_settings.HELPDESK_WEBHOOK_PAUSE_AFTER_FAILURES = 3
    receiver.answer(500, 500, 500)
    subscription, _secret = subscribe(receiver.url, events=["ticket.created"])
    tickets = [_ticket(customer, f"Ticket {n}") for n in range(3)]
    dispatch_all()
    t0 = timezone.now()

    for ticket in tickets:
        _deliver(subscription, _line(ticket), t0)

    subscription.refresh_from_db()
    assert not subscription.is_active
    assert subscription.paused_at == t0
    assert subscription.consecutive_failures == 3
    assert "HTTP 500" in subscription.pause_reason

    while_paused = _ticket(customer, "While paused")
    dispatch_all()
    assert not WebhookDelivery.objects.filter(ordering_key=_line(while_paused)).exists(), "nothing new is queued"
    assert _deliver(subscription, _line(tickets[0]), t0 + timedelta(hours=1)) == 0, "queued ones wait"
    assert len(receiver.requests) == 3

    webhook_subscription_update(subscription=subscription, is_active=True)
    assert task_queue.run_lines() == 3

    assert sorted(_ticket_ids(receiver.requests[3:])) == sorted(ticket.pk for ticket in tickets)
    assert not WebhookDelivery.objects.exclude(status=Status.DELIVERED).exists()


def test_a_redirect_is_not_followed(customer, receiver, task_queue):
    receiver.answer(301)
    subscription, _secret = subscribe(receiver.url, events=["ticket.created"])
    ticket = _ticket(customer)
    dispatch_all()

    assert _deliver(subscription, _line(ticket), timezone.now()) == 0

    assert len(receiver.requests) == 1
    attempt = WebhookAttempt.objects.get()
    assert attempt.status_code == 301
    assert "not followed" in attempt.error


def test_a_receiver_that_is_not_listening_is_a_failed_attempt_with_the_reason(customer, receiver, task_queue):
    subscription, _secret = subscribe(receiver.url, events=["ticket.created"])
    ticket = _ticket(customer)
    dispatch_all()
    receiver.stop()

    assert _deliver(subscription, _line(ticket), timezone.now()) == 0

    attempt = WebhookAttempt.objects.get()
    assert attempt.status_code is None
    assert "refused" in attempt.error.lower()
    assert WebhookDelivery.objects.get().status == Status.PENDING


def test_a_receiver_that_does_not_answer_in_time_is_a_failed_attempt(customer, receiver, task_queue, settings):
    settings.HELPDESK_WEBHOOK_TIMEOUT_SECONDS = 1
    receiver.stall(3)
    subscription, _secret = subscribe(receiver.url, events=["ticket.created"])
    ticket = _ticket(customer)
    dispatch_all()

    assert _deliver(subscription, _line(ticket), timezone.now()) == 0

    attempt = WebhookAttempt.objects.get()
    assert (attempt.status_code, attempt.error) == (None, "No answer within 1 s.")
    assert 1000 <= attempt.duration_ms < 2900


# --- by hand: deliver again, ping ---------------------------------------------------------------------


def test_a_redelivery_sends_the_same_body_again_with_a_new_timestamp(customer, receiver, task_queue):
    subscription, secret = subscribe(receiver.url, events=["ticket.created"])
    ticket = _ticket(customer)
    dispatch_all()
    original = WebhookDelivery.objects.get()
    t0 = timezone.now()
    _deliver(subscription, _line(ticket), t0)
    original.refresh_from_db()
    task_queue.lines.clear()

    again = webhook_redeliver(delivery=original)
    assert task_queue.lines == [(subscription.pk, _line(ticket))]
    assert _deliver(subscription, _line(ticket), t0 + timedelta(minutes=5)) == 1

    first, second = receiver.requests
    assert second.body == first.body
    assert second.headers["X-Helpdesk-Event-Id"] == first.headers["X-Helpdesk-Event-Id"]
    assert second.headers["X-Helpdesk-Delivery"] == str(again.pk) != first.headers["X-Helpdesk-Delivery"]
    assert int(second.headers["X-Helpdesk-Timestamp"]) == int(first.headers["X-Helpdesk-Timestamp"]) + 300
    assert signature_verify(
        secret=secret,
        timestamp=second.headers["X-Helpdesk-Timestamp"],
        body=second.body,
        header=second.headers["X-Helpdesk-Signature"],
        now=t0 + timedelta(minutes=5),
    )
    kept = WebhookDelivery.objects.get(pk=original.pk)
    assert (kept.status, kept.attempts, kept.delivered_at) == (Status.DELIVERED, 1, original.delivered_at)


def test_a_ping_goes_out_at_once_even_while_the_subscription_is_paused(receiver, task_queue):
    subscription, _secret = subscribe(receiver.url, events=["ticket.created"])
    webhook_subscription_update(subscription=subscription, is_active=False)

    ping = webhook_ping(subscription=subscription)
    assert task_queue.run_lines() == 1

    [request] = receiver.requests
    body = request.json()
    assert body["type"] == "ping" == request.headers["X-Helpdesk-Event"]
    assert body["id"].startswith("evt_ping_")
    assert body["data"] == {"subscription": subscription.pk}
    ping.refresh_from_db()
    assert ping.status == Status.DELIVERED
    assert ping.ordering_key.startswith("ping:")


# --- only public addresses ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        ("127.0.0.1", "loopback"),
        ("10.1.2.3", "private"),
        ("192.168.0.10", "private"),
        ("169.254.169.254", "link-local"),
        ("224.0.0.1", "multicast"),
        ("240.0.0.1", "reserved"),
        ("0.0.0.0", "unspecified"),  # noqa: S104 - an address to refuse, not one to listen on
        ("100.64.0.1", "non-public"),
        ("::1", "loopback"),
        ("::ffff:10.0.0.1", "private"),
        ("fd00::1", "private"),
        ("fe80::1", "link-local"),
        ("93.184.215.14", None),
        ("2606:4700:4700::1111", None),
    ],
)
def test_addresses_webhooks_may_not_reach(address, kind):
    assert address_kind_refused(address) == kind


def test_a_private_address_is_refused_when_not_allowed(customer, receiver, task_queue, settings):
    settings.HELPDESK_WEBHOOK_ALLOW_PRIVATE_NETWORKS = False
    subscription, _secret = subscribe(f"http://localhost:{receiver.port}/hooks", events=["ticket.created"])
    ticket = _ticket(customer)
    dispatch_all()

    assert _deliver(subscription, _line(ticket), timezone.now()) == 0

    assert receiver.requests == []
    attempt = WebhookAttempt.objects.get()
    assert attempt.status_code is None
    assert "loopback" in attempt.error and "HELPDESK_WEBHOOK_ALLOW_PRIVATE_NETWORKS" in attempt.error
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts) == (Status.PENDING, 1)
    assert delivery.last_error == attempt.error


def test_it_connects_to_the_address_it_checked_not_to_a_second_answer_of_the_name(
    customer, receiver, task_queue, monkeypatch
):
    answers = []

    def resolve(host, port):
        answers.append(host)
        return ["127.0.0.1"] if len(answers) == 1 else ["203.0.113.9"]  # the name "moves" after the check

    monkeypatch.setattr(webhook_delivery, "_resolve", resolve)
    subscription, _secret = subscribe(f"http://hooks.example.test:{receiver.port}/hooks", events=["ticket.created"])
    ticket = _ticket(customer)
    dispatch_all()

    assert _deliver(subscription, _line(ticket), timezone.now()) == 1

    assert answers == ["hooks.example.test"], "resolved once"
    assert receiver.requests[0].headers["Host"] == f"hooks.example.test:{receiver.port}"


# --- the sweep ----------------------------------------------------------------------------------------


def test_the_sweep_puts_back_a_delivery_whose_worker_died_and_enqueues_its_line(customer, task_queue, retry_settings):
    subscription, _secret = subscribe("https://crm.example.com/hooks", events=["ticket.created"])
    ticket = _ticket(customer)
    dispatch_all()
    t0 = timezone.now()
    WebhookDelivery.objects.update(status=Status.SENDING, claimed_at=t0)
    task_queue.lines.clear()

    assert webhooks_sweep(now=t0 + timedelta(seconds=2 * 5 + 59)) == 0
    assert WebhookDelivery.objects.get().status == Status.SENDING, "maybe still sending"

    assert webhooks_sweep(now=t0 + timedelta(seconds=2 * 5 + 61)) == 1

    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.claimed_at) == (Status.PENDING, 1, None)
    assert "interrupted" in delivery.last_error
    assert task_queue.lines == [(subscription.pk, _line(ticket))]


def test_the_sweep_enqueues_each_line_whose_head_is_due_once(customer, task_queue, retry_settings):
    subscription, _secret = subscribe("https://crm.example.com/hooks", events=["ticket.created", "ticket.updated"])
    due = _ticket(customer, "Due")
    services.ticket_change_status(ticket=due, status=Ticket.Status.PENDING)
    waiting = _ticket(customer, "Retry later")
    dispatch_all()
    t0 = timezone.now()
    WebhookDelivery.objects.filter(ordering_key=_line(waiting)).update(
        attempts=1, next_attempt_at=t0 + timedelta(minutes=2)
    )
    task_queue.lines.clear()

    assert webhooks_sweep(now=t0 + timedelta(seconds=1)) == 1
    assert task_queue.lines == [(subscription.pk, _line(due))]

    task_queue.lines.clear()
    assert webhooks_sweep(now=t0 + timedelta(minutes=3)) == 2
    assert sorted(task_queue.lines) == sorted([(subscription.pk, _line(due)), (subscription.pk, _line(waiting))])


def test_the_sweep_leaves_the_lines_of_a_paused_subscription_but_not_its_pings(customer, task_queue):
    subscription, _secret = subscribe("https://crm.example.com/hooks", events=["ticket.created"])
    _ticket(customer)
    dispatch_all()
    webhook_subscription_update(subscription=subscription, is_active=False)
    ping = webhook_ping(subscription=subscription)
    task_queue.lines.clear()

    assert webhooks_sweep(now=timezone.now() + timedelta(seconds=1)) == 1

    assert task_queue.lines == [(subscription.pk, ping.ordering_key)]


def test_the_sweep_forgets_finished_deliveries_after_the_keep_period(customer, task_queue, settings):
    settings.HELPDESK_CHANGES_KEEP_DAYS = 30
    subscription, _secret = subscribe("https://crm.example.com/hooks", events=["ticket.created", "message.created"])
    _ticket(customer)
    dispatch_all()
    old_delivered, old_pending = WebhookDelivery.objects.order_by("id")
    old_delivered.status = Status.DELIVERED
    old_delivered.save()
    WebhookAttempt.objects.create(delivery=old_delivered, status_code=200)
    recent = webhook_ping(subscription=subscription)
    WebhookDelivery.objects.filter(pk=recent.pk).update(status=Status.FAILED)
    WebhookDelivery.objects.exclude(pk=recent.pk).update(created_at=timezone.now() - timedelta(days=31))

    webhooks_sweep()

    assert set(WebhookDelivery.objects.values_list("pk", flat=True)) == {old_pending.pk, recent.pk}
    assert not WebhookAttempt.objects.exists()


# --- two workers on one line, on PostgreSQL ------------------------------------------------------------


@pytest.mark.postgres
def test_two_workers_on_one_line_send_each_delivery_once_and_in_order(customer, receiver, task_queue):
    if connection.vendor != "postgresql":
        missing("needs PostgreSQL (set DATABASE_URL): SQLite runs one writer at a time, so there is no race")
    subscription, _secret = subscribe(receiver.url, events=["ticket.created", "ticket.updated"])
    ticket = _ticket(customer)
    for priority in ("high", "low", "urgent", "normal", "high", "low"):
        services.ticket_change_priority(ticket=ticket, priority=priority)
    dispatch_all()
    expected = list(WebhookDelivery.objects.order_by("id").values_list("pk", flat=True))
    barrier = threading.Barrier(3)
    results: list = []

    def worker() -> None:
        try:
            barrier.wait()
            results.append(webhook_line_deliver(subscription_id=subscription.pk, ordering_key=_line(ticket)))
        except Exception as error:  # the test reports it
            results.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert not [result for result in results if isinstance(result, Exception)]
    assert sum(results) == len(expected)
    assert [int(r.headers["X-Helpdesk-Delivery"]) for r in receiver.requests] == expected
    assert WebhookAttempt.objects.count() == len(expected)
