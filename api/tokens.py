"""API tokens: made by admins, shown once, stored as a hash, checked on every request."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable
from datetime import datetime

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.roles import Role, user_role
from api.models import ApiToken, Scope

TOKEN_START = "hd_"  # noqa: S105 - the public start of every token, not a secret
# last_used_at is written at most this often per token, not on every request.
LAST_USED_EVERY_SECONDS = 60


def _hash(secret: str) -> str:
    # The secret is 256 random bits, so a plain SHA-256 is as strong as a slow password hash here.
    return hashlib.sha256(secret.encode()).hexdigest()


def token_validate(
    *,
    name: str,
    user: User | None,
    scopes: Iterable[str],
    expires_at: datetime | None = None,
    requests_per_minute: int | None = None,
) -> None:
    """Raise ValidationError (by field) for a token that may not be made.

    The admin scope needs an admin user; any token needs an active user with a role.
    """
    errors: dict[str, list[str]] = {}
    scope_list = sorted(set(scopes))
    if not " ".join(name.split()):
        errors["name"] = [_("Give the token a name that says who uses it.")]
    if not scope_list or any(scope not in Scope.values for scope in scope_list):
        errors["scopes"] = [_("Choose one or more of read, write and admin.")]
    role = user_role(user) if user is not None else None
    if user is None or not user.is_active or role is None:
        errors["user"] = [_("The user must be active and have a role (agent, manager, admin or customer).")]
    elif Scope.ADMIN in scope_list and role != Role.ADMIN:
        errors["scopes"] = [_("Only an administrator's token can have the admin scope.")]
    if expires_at is not None and expires_at <= timezone.now():
        errors["expires_at"] = [_("The expiry must be in the future.")]
    if requests_per_minute is not None and requests_per_minute < 1:
        errors["requests_per_minute"] = [_("Allow at least one request per minute.")]
    if errors:
        raise ValidationError(errors)


def token_create(
    *,
    name: str,
    user: User,
    scopes: Iterable[str],
    expires_at: datetime | None = None,
    requests_per_minute: int | None = None,
    created_by: User | None = None,
) -> tuple[ApiToken, str]:
    """Make a token for `user` and return it with its full text, which is never shown again."""
    scope_list = sorted(set(scopes))
    token_validate(
        name=name, user=user, scopes=scope_list, expires_at=expires_at, requests_per_minute=requests_per_minute
    )
    prefix = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        name=" ".join(name.split()),
        prefix=prefix,
        secret_hash=_hash(secret),
        user=user,
        scopes=scope_list,
        expires_at=expires_at,
        requests_per_minute=requests_per_minute,
        created_by=created_by,
    )
    return token, f"{TOKEN_START}{prefix}_{secret}"


def token_revoke(*, token: ApiToken) -> ApiToken:
    """Stop the token working at once. Revoking twice keeps the first date."""
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token


def token_authenticate(text: str) -> ApiToken | None:
    """The usable token `text` is, with its user, or None for anything else (malformed, unknown, revoked, expired)."""
    if not text.startswith(TOKEN_START):
        return None
    prefix, _sep, secret = text[len(TOKEN_START) :].partition("_")
    if len(prefix) != 12 or not secret or len(secret) > 100:
        return None
    token = ApiToken.objects.select_related("user", "user__customer_profile").filter(prefix=prefix).first()
    if token is None or not hmac.compare_digest(token.secret_hash, _hash(secret)):
        return None
    if not token.is_usable or not token.user.is_active:
        return None
    _note_use(token)
    return token


def _note_use(token: ApiToken) -> None:
    # One write a minute per token at most: a busy integration must not turn every read into a write.
    if cache.add(f"api:token-used:{token.pk}", 1, LAST_USED_EVERY_SECONDS):
        now = timezone.now()
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
