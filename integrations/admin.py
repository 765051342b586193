"""Admin pages for webhooks (subscriptions, deliveries and their attempts) and the change log.

Subscriptions are written through the services, so the secret is made and shown once, a resume
sends what waited, and the dispatcher's cache hears about it. Deliveries and the change log are
read-only: the workers own their state, and the log is history.
"""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from integrations.models import Change, ChangeKind, WebhookAttempt, WebhookDelivery, WebhookSubscription
from integrations.webhook_queue import webhooks_active_forget
from integrations.webhooks import (
    ALL_EVENTS,
    webhook_ping,
    webhook_redeliver,
    webhook_secret_rotate,
    webhook_subscription_clean,
    webhook_subscription_create,
    webhook_subscription_delete,
    webhook_subscription_update,
)

EVENT_CHOICES = [(ALL_EVENTS, _("Every event (*)")), *ChangeKind.choices]


def _pretty_json(value: Any) -> str:
    return format_html("<pre>{}</pre>", json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True))


def _staff(request: HttpRequest) -> User | None:
    # The admin is only open to logged-in staff; the type says "maybe anonymous".
    return request.user if isinstance(request.user, User) else None


class WebhookSubscriptionForm(forms.ModelForm):
    url = forms.URLField(label=_("URL"), max_length=1000, assume_scheme="https")
    events = forms.MultipleChoiceField(label=_("events"), choices=EVENT_CHOICES, widget=forms.CheckboxSelectMultiple)

    class Meta:
        model = WebhookSubscription
        fields = ("name", "url", "events", "is_active")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        try:
            # The service's own checks, so the admin and the API refuse the same things.
            webhook_subscription_clean(name=data.get("name"), url=data.get("url"), events=data.get("events"))
        except ValidationError as exc:
            for field, errors in exc.error_dict.items():
                self.add_error(field, errors)
        return data


def _copy(source: WebhookSubscription, target: WebhookSubscription) -> None:
    # The admin keeps using the object it built; it must be the row the service wrote.
    for field in WebhookSubscription._meta.concrete_fields:
        setattr(target, field.attname, getattr(source, field.attname))
    target._state.adding = False


def _secret_message(request: HttpRequest, subscription: WebhookSubscription, secret: str) -> None:
    messages.success(
        request,
        format_html(
            "{} <code>{}</code> {}",
            _("Signing secret of “%(name)s”:") % {"name": subscription.name},
            secret,
            _("Copy it now: it is not shown again."),
        ),
    )


@admin.register(WebhookSubscription)
class WebhookSubscriptionAdmin(admin.ModelAdmin):
    form = WebhookSubscriptionForm
    list_display = ("name", "url", "event_list", "is_active", "paused_at", "consecutive_failures", "created_at")
    list_filter = ("is_active",)
    search_fields = ("name", "url")
    readonly_fields = (
        "paused_at",
        "pause_reason",
        "consecutive_failures",
        "delivery_log",
        "created_by",
        "created_at",
        "updated_at",
    )
    actions = ["send_ping", "pause", "resume", "rotate_secret"]

    def get_fields(self, request: HttpRequest, obj: WebhookSubscription | None = None) -> list[str]:  # type: ignore[override]
        if obj is None:
            return ["name", "url", "events"]  # a new subscription is active; its secret is shown once saved
        return ["name", "url", "events", "is_active", *self.readonly_fields]

    def get_readonly_fields(self, request: HttpRequest, obj: WebhookSubscription | None = None) -> tuple[str, ...]:
        return self.readonly_fields if obj is not None else ()

    @admin.display(description=_("events"))
    def event_list(self, subscription: WebhookSubscription) -> str:
        return ", ".join(subscription.events)

    @admin.display(description=_("deliveries"))
    def delivery_log(self, subscription: WebhookSubscription) -> str:
        url = reverse("admin:integrations_webhookdelivery_changelist")
        return format_html('<a href="{}?subscription__id__exact={}">{}</a>', url, subscription.pk, _("Delivery log"))

    def save_model(self, request: HttpRequest, obj: WebhookSubscription, form: forms.ModelForm, change: bool) -> None:
        data = form.cleaned_data
        if not change:
            created, secret = webhook_subscription_create(
                name=data["name"], url=data["url"], events=data["events"], created_by=_staff(request)
            )
            _copy(created, obj)
            _secret_message(request, created, secret)
            return
        updated = webhook_subscription_update(
            subscription=obj,
            name=data["name"],
            url=data["url"],
            events=data["events"],
            is_active=data.get("is_active"),
        )
        _copy(updated, obj)

    def delete_model(self, request: HttpRequest, obj: WebhookSubscription) -> None:
        webhook_subscription_delete(subscription=obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[WebhookSubscription]) -> None:
        super().delete_queryset(request, queryset)
        webhooks_active_forget()

    @admin.action(description=_("Send a ping"))
    def send_ping(self, request: HttpRequest, queryset: QuerySet[WebhookSubscription]) -> None:
        for subscription in queryset:
            webhook_ping(subscription=subscription)
        self.message_user(
            request,
            _("Pings sent: %(count)d. The delivery log shows the answers.") % {"count": len(queryset)},
            messages.SUCCESS,
        )

    @admin.action(description=_("Pause"))
    def pause(self, request: HttpRequest, queryset: QuerySet[WebhookSubscription]) -> None:
        paused = [webhook_subscription_update(subscription=s, is_active=False) for s in queryset.filter(is_active=True)]
        self.message_user(
            request,
            _("Subscriptions paused: %(count)d. No events are queued for them until they are resumed.")
            % {"count": len(paused)},
            messages.SUCCESS,
        )

    @admin.action(description=_("Resume"))
    def resume(self, request: HttpRequest, queryset: QuerySet[WebhookSubscription]) -> None:
        waiting = queryset.filter(is_active=False)
        resumed = [webhook_subscription_update(subscription=s, is_active=True) for s in waiting]
        self.message_user(
            request,
            _("Subscriptions resumed: %(count)d. What waited is being sent.") % {"count": len(resumed)},
            messages.SUCCESS,
        )

    @admin.action(description=_("Rotate the signing secret"))
    def rotate_secret(self, request: HttpRequest, queryset: QuerySet[WebhookSubscription]) -> None:
        for subscription in queryset:
            _secret_message(request, subscription, webhook_secret_rotate(subscription=subscription))
        self.message_user(
            request, _("The old secrets still sign for 24 hours, so receivers can switch over."), messages.INFO
        )


class WebhookAttemptInline(admin.TabularInline):
    model = WebhookAttempt
    fields = ("created_at", "status_code", "duration_ms", "error", "response_excerpt")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "created_at",
        "subscription",
        "event",
        "ordering_key",
        "status",
        "attempts",
        "last_status_code",
        "next_attempt_at",
        "delivered_at",
    )
    list_filter = ("status", "event", "subscription")
    list_select_related = ("subscription",)
    search_fields = ("=ordering_key",)
    show_full_result_count = False
    fields = (
        "subscription",
        "event",
        "ordering_key",
        "change",
        "status",
        "attempts",
        "next_attempt_at",
        "claimed_at",
        "last_status_code",
        "last_error",
        "delivered_at",
        "created_at",
        "payload_pretty",
    )
    readonly_fields = fields
    inlines = [WebhookAttemptInline]
    actions = ["deliver_again"]

    @admin.display(description=_("payload"))
    def payload_pretty(self, delivery: WebhookDelivery) -> str:
        return _pretty_json(delivery.payload)

    # Workers own a delivery's state: a form save here could undo what a worker just wrote.
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_redeliver_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("integrations.change_webhookdelivery")

    @admin.action(description=_("Deliver again"), permissions=["redeliver"])
    def deliver_again(self, request: HttpRequest, queryset: QuerySet[WebhookDelivery]) -> None:
        again = [webhook_redeliver(delivery=delivery) for delivery in queryset.order_by("pk")]
        self.message_user(
            request,
            _("Deliveries queued again: %(count)d, each behind what its line already holds.") % {"count": len(again)},
            messages.SUCCESS,
        )


@admin.register(Change)
class ChangeAdmin(admin.ModelAdmin):
    list_display = ("id", "created_at", "kind", "subject_type", "subject_id", "ticket_id", "customer_id", "actor_id")
    list_filter = ("kind", "subject_type")
    search_fields = ("=subject_id", "=ticket_id", "=customer_id")
    show_full_result_count = False
    fields = (
        "kind",
        "subject_type",
        "subject_id",
        "ticket_id",
        "customer_id",
        "actor_id",
        "changes_pretty",
        "txid",
        "created_at",
    )
    readonly_fields = fields

    @admin.display(description=_("what changed"))
    def changes_pretty(self, change: Change) -> str:
        return _pretty_json(change.changes)

    # The log is history, read by the export and the webhooks: nobody edits it.
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
