"""Webhook subscriptions: made with a secret shown once, checked, paused and resumed, secrets rotated."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from integrations import changes
from integrations.models import LogCursor, WebhookDelivery
from integrations.webhook_queue import webhooks_active
from integrations.webhooks import (
    WEBHOOKS_CURSOR,
    webhook_secret_rotate,
    webhook_signing_secrets,
    webhook_subscription_create,
    webhook_subscription_delete,
    webhook_subscription_update,
)
from tests.factories import AgentFactory
from tickets import services

pytestmark = pytest.mark.django_db

URL = "https://crm.example.com/hooks/helpdesk"


@pytest.fixture
def customer():
    return services.customer_create(name="Sara Karimi", identities=[("email", "sara@mail.example")])


def _create(**kwargs):
    return webhook_subscription_create(**{"name": "CRM sync", "url": URL, "events": ["ticket.created"], **kwargs})


def test_it_creates_an_active_subscription_and_returns_its_secret_once():
    agent = AgentFactory()

    subscription, secret = _create(created_by=agent)

    assert secret.startswith("whsec_") and len(secret) > 40
    assert subscription.secret == secret, "kept, to sign with"
    assert subscription.is_active
    assert (subscription.name, subscription.url, subscription.events) == ("CRM sync", URL, ["ticket.created"])
    assert subscription.created_by == agent
    assert _create()[1] != secret


def test_the_first_subscription_starts_the_dispatcher_at_the_end_of_the_log_not_at_its_beginning(customer):
    expected = changes.position_now()

    subscription, _secret = _create()
    _create()

    cursor = LogCursor.objects.get(name=WEBHOOKS_CURSOR)
    assert (cursor.txid, cursor.change_id) == (expected.txid, expected.change_id)
    assert (subscription.starts_after_txid, subscription.starts_after_change_id) == (expected.txid, expected.change_id)


@pytest.mark.parametrize(
    ("fields", "field", "code"),
    [
        ({"url": "ftp://crm.example.com/hooks"}, "url", "bad_url"),
        ({"url": "crm.example.com/hooks"}, "url", "bad_url"),
        ({"url": "https://"}, "url", "bad_url"),
        ({"url": "https://crm.example.com:port/"}, "url", "bad_url"),
        ({"events": []}, "events", "no_events"),
        ({"events": ["ticket.created", "ticket.exploded"]}, "events", "bad_events"),
        ({"events": "ticket.created"}, "events", "no_events"),
        ({"name": "   "}, "name", "blank_name"),
    ],
)
def test_it_refuses_a_bad_field_with_an_error_keyed_by_that_field(fields, field, code):
    with pytest.raises(ValidationError) as refused:
        _create(**fields)

    assert list(refused.value.error_dict) == [field]
    assert refused.value.error_dict[field][0].code == code


def test_an_unknown_event_is_named_in_the_error():
    with pytest.raises(ValidationError, match=r"ticket\.exploded"):
        _create(events=["ticket.exploded"])


def test_every_event_is_written_as_a_star():
    subscription, _secret = _create(events=["ticket.created", "*", "ticket.created"])

    assert subscription.events == ["*"]
    assert subscription.wants("survey.answered")


def test_an_update_changes_only_the_fields_it_is_given():
    subscription, _secret = _create()

    updated = webhook_subscription_update(subscription=subscription, url="https://new.example.com/hooks")

    updated.refresh_from_db()
    assert updated.url == "https://new.example.com/hooks"
    assert (updated.name, updated.events, updated.is_active) == ("CRM sync", ["ticket.created"], True)


def test_an_update_checks_what_it_is_given():
    subscription, _secret = _create()

    with pytest.raises(ValidationError) as refused:
        webhook_subscription_update(subscription=subscription, url="mailto:crm@example.com", events=["nope"])

    assert set(refused.value.error_dict) == {"url", "events"}


def test_pausing_by_hand_says_so():
    subscription, _secret = _create()

    paused = webhook_subscription_update(subscription=subscription, is_active=False)

    assert not paused.is_active
    assert paused.paused_at is not None
    assert paused.pause_reason == "Paused by hand."


def test_resuming_clears_the_pause_and_sends_what_waited_at_once(task_queue, django_capture_on_commit_callbacks):
    subscription, _secret = _create()
    later = timezone.now() + timedelta(hours=6)
    for key in ("ticket:1", "ticket:1", "ticket:2"):
        WebhookDelivery.objects.create(
            subscription=subscription, event="ticket.created", ordering_key=key, payload={}, next_attempt_at=later
        )
    WebhookDelivery.objects.create(
        subscription=subscription, event="ticket.created", ordering_key="ticket:3", payload={}, status="delivered"
    )
    subscription.is_active, subscription.consecutive_failures = False, 20
    subscription.paused_at, subscription.pause_reason = timezone.now(), "HTTP 500"
    subscription.save()

    with django_capture_on_commit_callbacks(execute=True):
        resumed = webhook_subscription_update(subscription=subscription, is_active=True)

    resumed.refresh_from_db()
    assert resumed.is_active
    assert (resumed.paused_at, resumed.pause_reason, resumed.consecutive_failures) == (None, "", 0)
    assert sorted(task_queue.lines) == [(subscription.pk, "ticket:1"), (subscription.pk, "ticket:2")]
    assert not WebhookDelivery.objects.filter(status="pending", next_attempt_at__gt=timezone.now()).exists()


def test_a_rotated_secret_signs_alongside_the_old_one_for_a_day():
    subscription, old = _create()

    new = webhook_secret_rotate(subscription=subscription)

    subscription.refresh_from_db()
    assert new != old and new.startswith("whsec_")
    assert subscription.secret == new
    now = timezone.now()
    assert webhook_signing_secrets(subscription=subscription, now=now) == [new, old]
    assert webhook_signing_secrets(subscription=subscription, now=now + timedelta(hours=25)) == [new]


def test_deleting_a_subscription_deletes_its_deliveries(django_capture_on_commit_callbacks):
    subscription, _secret = _create()
    WebhookDelivery.objects.create(subscription=subscription, event="ping", ordering_key="ping:1", payload={})
    assert webhooks_active() is True

    with django_capture_on_commit_callbacks(execute=True):
        webhook_subscription_delete(subscription=subscription)

    assert not WebhookDelivery.objects.exists()
    assert webhooks_active() is False


def test_whether_any_subscription_is_active_is_cached_and_forgotten_when_one_changes(
    django_capture_on_commit_callbacks,
):
    assert webhooks_active() is False

    with django_capture_on_commit_callbacks(execute=True):
        subscription, _secret = _create()
    assert webhooks_active() is True

    with django_capture_on_commit_callbacks(execute=True):
        webhook_subscription_update(subscription=subscription, is_active=False)
    assert webhooks_active() is False
