"""What integrators are told: the log of changes, webhook subscriptions and their deliveries.

The domain services write a Change row in the same transaction as the change itself (an outbox),
so the incremental export and the webhooks see every committed change exactly where it happened,
and nothing that rolled back.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import BigIntegerField, Func, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class TransactionId(Func):
    """The id of the writing transaction on PostgreSQL; 0 on SQLite, whose writers commit one at a time.

    Readers of the log use it to skip changes of transactions that may still be running (see changes.py).
    """

    output_field = BigIntegerField()

    def as_sql(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list]:  # type: ignore[override]
        return "0", []

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list]:
        return "(pg_current_xact_id()::text::bigint)", []


class ChangeKind(models.TextChoices):
    """The events integrators can subscribe to; each Change row is one of them."""

    TICKET_CREATED = "ticket.created", _("Ticket created")
    TICKET_UPDATED = "ticket.updated", _("Ticket updated")
    TICKET_MERGED = "ticket.merged", _("Ticket merged into another")
    MESSAGE_CREATED = "message.created", _("Message added")
    MESSAGE_UPDATED = "message.updated", _("Message updated (delivery, moved)")
    CUSTOMER_CREATED = "customer.created", _("Customer created")
    CUSTOMER_UPDATED = "customer.updated", _("Customer updated")
    CUSTOMER_MERGED = "customer.merged", _("Customer merged into another")
    SURVEY_ANSWERED = "survey.answered", _("Survey answered")


class SubjectType(models.TextChoices):
    TICKET = "ticket", _("Ticket")
    MESSAGE = "message", _("Message")
    CUSTOMER = "customer", _("Customer")
    SURVEY_ANSWER = "survey_answer", _("Survey answer")


class Change(models.Model):
    """One committed change to a ticket, message, customer or survey answer, in commit order."""

    kind = models.CharField(_("event"), max_length=40, choices=ChangeKind.choices)
    subject_type = models.CharField(_("object type"), max_length=20, choices=SubjectType.choices)
    subject_id = models.BigIntegerField(_("object id"))
    # Plain ids, not foreign keys: the log must outlive nothing and lock nothing it points at.
    ticket_id = models.BigIntegerField(_("ticket"), null=True, blank=True)
    customer_id = models.BigIntegerField(_("customer"), null=True, blank=True)
    changes = models.JSONField(_("what changed"), default=dict, blank=True, help_text=_("Field: [before, after]."))
    actor_id = models.BigIntegerField(_("actor"), null=True, blank=True)
    txid = models.BigIntegerField(_("transaction"), db_default=TransactionId())
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("change")
        verbose_name_plural = _("changes")
        indexes = [
            # Readers walk the log in (transaction, id) order from a cursor.
            models.Index(fields=["txid", "id"], name="change_txid_id_idx"),
            models.Index(fields=["created_at"], name="change_created_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.subject_type} {self.subject_id}"


class WebhookSubscription(models.Model):
    """An integrator's URL that receives the events it asked for, signed with its own secret."""

    name = models.CharField(_("name"), max_length=100)
    url = models.URLField(_("URL"), max_length=1000)
    events = models.JSONField(
        _("events"), default=list, help_text=_('Event names such as "ticket.created"; ["*"] for every event.')
    )
    secret = models.CharField(_("signing secret"), max_length=100)
    # After a rotation, bodies are signed with the old secret too for a while, so receivers can switch over.
    previous_secret = models.CharField(_("previous signing secret"), max_length=100, blank=True)
    previous_secret_expires_at = models.DateTimeField(_("previous secret signs until"), null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    paused_at = models.DateTimeField(_("paused"), null=True, blank=True)
    pause_reason = models.CharField(_("why it was paused"), max_length=300, blank=True)
    consecutive_failures = models.PositiveIntegerField(_("failed attempts in a row"), default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # The log position when it was created: only changes after it are sent (no replay of history).
    starts_after_txid = models.BigIntegerField(_("starts after transaction"), default=-1)
    starts_after_change_id = models.BigIntegerField(_("starts after change"), default=0)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("webhook subscription")
        verbose_name_plural = _("webhook subscriptions")

    def __str__(self) -> str:
        return self.name

    def wants(self, kind: str) -> bool:
        return "*" in self.events or kind in self.events


class WebhookDelivery(models.Model):
    """One event for one subscription: its body, and whether it got through.

    Deliveries with the same ordering key (the ticket, else the customer) go out one after another.
    """

    class Status(models.TextChoices):
        PENDING = "pending", pgettext_lazy("webhook delivery", "Pending")
        SENDING = "sending", _("Sending")
        DELIVERED = "delivered", _("Delivered")
        FAILED = "failed", _("Failed")

    subscription = models.ForeignKey(
        WebhookSubscription, on_delete=models.CASCADE, related_name="deliveries", db_index=False
    )
    change = models.ForeignKey(Change, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    event = models.CharField(_("event"), max_length=40)
    ordering_key = models.CharField(_("ordering key"), max_length=40)
    payload = models.JSONField(_("payload"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), default=timezone.now)
    claimed_at = models.DateTimeField(_("sending since"), null=True, blank=True)
    last_status_code = models.PositiveIntegerField(_("last response code"), null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        indexes = [
            # The head of each key's line: the oldest unfinished delivery of a subscription and key.
            models.Index(
                fields=["subscription", "ordering_key", "id"],
                condition=Q(status__in=["pending", "sending"]),
                name="webhook_delivery_open_idx",
            ),
            # Which lines are due (the sweep), and the delivery log of a subscription.
            models.Index(fields=["next_attempt_at"], condition=Q(status="pending"), name="webhook_delivery_due_idx"),
            models.Index(fields=["subscription", "-id"], name="webhook_delivery_log_idx"),
            # The sweep: sends a dead worker left behind, and finished deliveries past the keep period.
            models.Index(fields=["claimed_at"], condition=Q(status="sending"), name="webhook_delivery_sending_idx"),
            models.Index(
                fields=["created_at"],
                condition=Q(status__in=["delivered", "failed"]),
                name="webhook_delivery_done_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event} → {self.subscription_id}"


class WebhookAttempt(models.Model):
    """One try at delivering: when, what the receiver answered, how long it took."""

    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="attempt_log")
    status_code = models.PositiveIntegerField(_("response code"), null=True, blank=True)
    error = models.CharField(_("error"), max_length=500, blank=True)
    response_excerpt = models.CharField(_("response"), max_length=500, blank=True)
    duration_ms = models.PositiveIntegerField(_("duration (ms)"), default=0)
    created_at = models.DateTimeField(_("at"), default=timezone.now)

    class Meta:
        ordering = ["id"]
        verbose_name = _("webhook attempt")
        verbose_name_plural = _("webhook attempts")

    def __str__(self) -> str:
        return f"{self.status_code or self.error} at {self.created_at:%Y-%m-%d %H:%M:%S}"


class LogCursor(models.Model):
    """How far a reader of the change log got (the webhook dispatcher keeps its place here)."""

    name = models.CharField(max_length=50, unique=True)
    txid = models.BigIntegerField(default=-1)
    change_id = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.name}: ({self.txid}, {self.change_id})"
