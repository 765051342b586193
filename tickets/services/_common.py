"""What the domain services share: their errors, the status rules and small helpers."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.text import slugify

from accounts.models import User
from tickets.models import (
    Customer,
    Message,
    Tag,
    Team,
    Ticket,
    TicketEvent,
)

Status = Ticket.Status
Direction = Message.Direction


class InvalidTransition(ValidationError):
    pass


class TicketClosed(ValidationError):
    """The ticket is closed: a new message needs a follow-up ticket instead."""


class InvalidMerge(ValidationError):
    pass


class IdentityTaken(ValidationError):
    def __init__(self, message: str, *, owner: Customer) -> None:
        super().__init__(message, code="identity_taken")
        self.owner = owner


# Which status may follow which. Closed is final: a customer writing again gets a follow-up ticket.
ALLOWED_TRANSITIONS: dict[str, set[str]] = {
    Status.NEW: {Status.OPEN, Status.PENDING, Status.ON_HOLD, Status.SOLVED},
    Status.OPEN: {Status.PENDING, Status.ON_HOLD, Status.SOLVED},
    Status.PENDING: {Status.OPEN, Status.ON_HOLD, Status.SOLVED},
    Status.ON_HOLD: {Status.OPEN, Status.PENDING, Status.SOLVED},
    Status.SOLVED: {Status.OPEN, Status.PENDING, Status.ON_HOLD, Status.CLOSED},
    Status.CLOSED: set(),
}

_UNCHANGED: Any = object()


def _lock(ticket: Ticket) -> Ticket:
    """Reload the ticket under a row lock, so two writers see each other's changes."""
    return Ticket.objects.select_for_update().get(pk=ticket.pk)


def _copy_state(source: Ticket, into: Ticket) -> None:
    # Let the caller's instance reflect what was saved without another query.
    for field in Ticket._meta.concrete_fields:
        setattr(into, field.attname, getattr(source, field.attname))


def _event(ticket: Ticket, kind: str, actor: User | None, from_value: Any = "", to_value: Any = "", at=None):
    return TicketEvent(
        ticket=ticket,
        kind=kind,
        actor=actor,
        from_value="" if from_value is None else str(from_value)[:200],
        to_value="" if to_value is None else str(to_value)[:200],
        created_at=at or timezone.now(),
    )


def _tags_get_or_create(names: Iterable[str]) -> list[Tag]:
    slugs = sorted({slugify(name, allow_unicode=True) for name in names} - {""})
    if not slugs:
        return []
    Tag.objects.bulk_create([Tag(name=slug) for slug in slugs], ignore_conflicts=True)
    return list(Tag.objects.filter(name__in=slugs))


def resolve_merged(ticket: Ticket) -> Ticket:
    """The ticket `ticket` lives on now: itself, or the ticket it was (transitively) merged into."""
    seen = set()
    while ticket.merged_into_id and ticket.pk not in seen:
        seen.add(ticket.pk)
        ticket = Ticket.objects.get(pk=ticket.merged_into_id)
    return ticket


def _in_team(user: User, team: Team | None) -> bool:
    return team is None or team.members.filter(pk=user.pk).exists()
