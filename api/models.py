"""Credentials of integrators and the memory of the requests they may repeat."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Scope(models.TextChoices):
    """What a token may do, on top of what its user's role allows."""

    READ = "read", _("Read")
    WRITE = "write", _("Write")
    ADMIN = "admin", _("Administer tokens and webhooks")


class ApiToken(models.Model):
    """A secret an integrator sends as `Authorization: Bearer <token>`; it acts as its user, within its scopes.

    Only a hash of the secret is kept: the token is shown once, when it is created.
    """

    name = models.CharField(_("name"), max_length=100, help_text=_("Who uses it, for example “CRM sync”."))
    # The public part of the token: finds the row without comparing secrets against every row.
    prefix = models.CharField(_("token prefix"), max_length=16, unique=True)
    secret_hash = models.CharField(_("hash of the secret"), max_length=64)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="api_tokens",
        help_text=_(
            "The token acts as this user: an agent, manager or admin account for an integration, "
            "or a customer's portal login for a token that reaches only that customer's tickets."
        ),
    )
    scopes = models.JSONField(_("scopes"), default=list, help_text=_("Any of read, write and admin."))
    requests_per_minute = models.PositiveIntegerField(
        _("requests per minute"), null=True, blank=True, help_text=_("Empty: the site default.")
    )
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_usable(self) -> bool:
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > timezone.now())

    def allows(self, scope: str) -> bool:
        return scope in self.scopes


class IdempotencyRecord(models.Model):
    """The answer to a POST sent with an Idempotency-Key, returned again when the same request is retried."""

    # "token:<id>" or "user:<id>": keys are private to whoever sent them.
    owner = models.CharField(max_length=40)
    key = models.CharField(max_length=200)
    fingerprint = models.CharField(_("request hash"), max_length=64)
    status_code = models.PositiveSmallIntegerField()
    body = models.JSONField(null=True)
    headers = models.JSONField(default=dict)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("idempotency record")
        verbose_name_plural = _("idempotency records")
        constraints = [models.UniqueConstraint(fields=["owner", "key"], name="idempotency_owner_key_unique")]
        indexes = [models.Index(fields=["created_at"], name="idempotency_created_idx")]

    def __str__(self) -> str:
        return f"{self.owner} {self.key}"
