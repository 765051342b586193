"""The admin for webhooks and the change log: writes go through the services, the logs are read-only."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from integrations.models import Change, ChangeKind, WebhookAttempt, WebhookDelivery, WebhookSubscription
from integrations.webhooks import webhook_subscription_create
from tests.factories import AdminFactory
from tickets import services

pytestmark = pytest.mark.django_db

Status = WebhookDelivery.Status


@pytest.fixture
def admin_client(client):
    client.force_login(AdminFactory())
    return client


@pytest.fixture
def subscription():
    subscription, _secret = webhook_subscription_create(
        name="CRM sync", url="https://crm.example.com/hooks", events=["ticket.created"]
    )
    return subscription


def _messages(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def _action(admin_client, model: str, action: str, ids: list[int]):
    return admin_client.post(
        reverse(f"admin:integrations_{model}_changelist"), {"action": action, "_selected_action": ids}
    )


def _delivery(subscription, **fields) -> WebhookDelivery:
    return WebhookDelivery.objects.create(
        subscription=subscription,
        event=fields.pop("event", "ticket.created"),
        ordering_key=fields.pop("ordering_key", "ticket:1"),
        payload={"id": "evt_1", "type": "ticket.created", "data": {"object": {"id": 1}, "changes": {}}},
        **fields,
    )


# --- subscriptions ------------------------------------------------------------------------------------


def test_adding_a_subscription_shows_its_secret_once(admin_client):
    response = admin_client.post(
        reverse("admin:integrations_webhooksubscription_add"),
        {"name": "CRM sync", "url": "https://crm.example.com/hooks", "events": ["ticket.created", "ticket.updated"]},
        follow=True,
    )

    assert response.status_code == 200
    subscription = WebhookSubscription.objects.get()
    assert subscription.events == ["ticket.created", "ticket.updated"]
    assert subscription.created_by is not None
    assert subscription.secret in response.content.decode()
    page = admin_client.get(reverse("admin:integrations_webhooksubscription_change", args=[subscription.pk]))
    assert page.status_code == 200
    assert subscription.secret not in page.content.decode()


def test_a_bad_url_is_shown_on_its_field(admin_client):
    response = admin_client.post(
        reverse("admin:integrations_webhooksubscription_add"),
        {"name": "CRM sync", "url": "ftp://crm.example.com/hooks", "events": ["ticket.created"]},
    )

    assert response.status_code == 200
    assert "url" in response.context["adminform"].form.errors
    assert not WebhookSubscription.objects.exists()


def test_unticking_active_pauses_the_subscription(admin_client, subscription):
    response = admin_client.post(
        reverse("admin:integrations_webhooksubscription_change", args=[subscription.pk]),
        {"name": "CRM sync", "url": subscription.url, "events": ["*"]},
    )

    assert response.status_code == 302
    subscription.refresh_from_db()
    assert (subscription.is_active, subscription.events) == (False, ["*"])
    assert subscription.paused_at is not None


def test_the_ping_action_queues_a_ping(admin_client, subscription):
    response = _action(admin_client, "webhooksubscription", "send_ping", [subscription.pk])

    assert response.status_code == 302
    ping = WebhookDelivery.objects.get()
    assert (ping.subscription, ping.event, ping.status) == (subscription, "ping", Status.PENDING)


def test_the_pause_and_resume_actions(admin_client, subscription):
    _action(admin_client, "webhooksubscription", "pause", [subscription.pk])
    subscription.refresh_from_db()
    assert not subscription.is_active

    _action(admin_client, "webhooksubscription", "resume", [subscription.pk])
    subscription.refresh_from_db()
    assert subscription.is_active and subscription.paused_at is None


def test_rotating_the_secret_shows_the_new_one_once(admin_client, subscription):
    old = subscription.secret

    response = _action(admin_client, "webhooksubscription", "rotate_secret", [subscription.pk])

    subscription.refresh_from_db()
    assert subscription.secret != old
    assert subscription.previous_secret == old
    assert any(subscription.secret in message for message in _messages(response))


def test_deleting_a_subscription_in_the_admin_takes_its_deliveries_along(admin_client, subscription):
    _delivery(subscription, status=Status.PENDING)
    url = reverse("admin:integrations_webhooksubscription_delete", args=[subscription.pk])

    assert admin_client.post(url, {"post": "yes"}).status_code == 302

    assert not WebhookSubscription.objects.exists()
    assert not WebhookDelivery.objects.exists()


# --- deliveries ---------------------------------------------------------------------------------------


def test_the_delivery_log_filters_by_status_event_and_subscription(
    admin_client, subscription, django_assert_max_num_queries
):
    for n in range(30):
        _delivery(subscription, ordering_key=f"ticket:{n}", status=Status.FAILED if n % 3 else Status.DELIVERED)
    url = reverse("admin:integrations_webhookdelivery_changelist")

    with django_assert_max_num_queries(12):
        response = admin_client.get(url, {"status__exact": "failed"})

    assert response.status_code == 200
    assert len(response.context["cl"].result_list) == 20
    for query in ({"event": "ticket.created"}, {"subscription__id__exact": subscription.pk}):
        assert admin_client.get(url, query).status_code == 200


def test_a_delivery_is_read_only_with_its_attempts(admin_client, subscription):
    delivery = _delivery(subscription, status=Status.PENDING, attempts=1, last_error="HTTP 500")
    WebhookAttempt.objects.create(delivery=delivery, status_code=500, response_excerpt="Internal trouble")
    url = reverse("admin:integrations_webhookdelivery_change", args=[delivery.pk])

    page = admin_client.get(url)

    assert page.status_code == 200
    assert "Internal trouble" in page.content.decode()
    assert 'name="_save"' not in page.content.decode()
    assert admin_client.post(url, {"status": "delivered"}).status_code == 403
    assert admin_client.get(reverse("admin:integrations_webhookdelivery_add")).status_code == 403


def test_deliver_again_queues_a_copy_and_keeps_the_original(admin_client, subscription):
    original = _delivery(subscription, status=Status.FAILED, attempts=8)

    _action(admin_client, "webhookdelivery", "deliver_again", [original.pk])

    again = WebhookDelivery.objects.exclude(pk=original.pk).get()
    assert (again.status, again.attempts, again.payload) == (Status.PENDING, 0, original.payload)
    assert (again.event, again.ordering_key) == (original.event, original.ordering_key)
    original.refresh_from_db()
    assert (original.status, original.attempts) == (Status.FAILED, 8)


# --- the change log -----------------------------------------------------------------------------------


def test_the_change_log_lists_changes_and_changes_nothing(admin_client):
    services.customer_create(name="Sara Karimi", identities=[("email", "sara@mail.example")])
    change = Change.objects.get()
    list_url = reverse("admin:integrations_change_changelist")
    change_url = reverse("admin:integrations_change_change", args=[change.pk])

    listing = admin_client.get(list_url, {"kind__exact": ChangeKind.CUSTOMER_CREATED})
    page = admin_client.get(change_url)

    assert listing.status_code == 200
    assert list(listing.context["cl"].result_list) == [change]
    assert page.status_code == 200 and 'name="_save"' not in page.content.decode()
    assert admin_client.post(change_url, {"kind": "ticket.created"}).status_code == 403
    assert admin_client.get(reverse("admin:integrations_change_add")).status_code == 403
    assert admin_client.get(reverse("admin:integrations_change_delete", args=[change.pk])).status_code == 403
    assert admin_client.get(list_url, {"q": "not a number"}).status_code == 200
