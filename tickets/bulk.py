"""Bulk actions on the queue: one domain service call per ticket, each in its own transaction.

A ticket that cannot take the change (an invalid transition, an agent outside the team, ...)
is reported and the others go ahead; tickets the actor cannot see are never touched.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum

from django.core.exceptions import ValidationError
from django.utils.text import slugify
from django.utils.translation import gettext as _

from accounts.models import User
from tickets import services
from tickets.models import Team, Ticket
from tickets.selectors import agents_for_filter, tickets_visible_to

MAX_TICKETS = 500


class BulkAction(StrEnum):
    ASSIGN_ME = "assign_me"
    ASSIGN_AGENT = "assign_agent"
    ASSIGN_TEAM = "assign_team"
    STATUS = "status"
    PRIORITY = "priority"
    ADD_TAG = "add_tag"
    MERGE = "merge"


@dataclass
class BulkResult:
    updated: list[int] = field(default_factory=list)
    failed: list[tuple[int, str]] = field(default_factory=list)  # (ticket number, why)


class BulkInvalid(Exception):
    """The action itself is wrong (no such agent, no tag, a merge target not among the selected)."""


def _message(error: ValidationError) -> str:
    return " ".join(error.messages)


def tickets_bulk_apply(*, actor: User, ticket_ids: Iterable[int], action: str, value: str = "") -> BulkResult:
    """Apply `action` to every ticket of `ticket_ids` that `actor` may see, through the domain services."""
    ids = sorted({int(pk) for pk in ticket_ids})[:MAX_TICKETS]
    # Ordered by id, so two bulk runs over the same tickets lock rows in the same order.
    tickets = list(
        tickets_visible_to(actor)
        .filter(pk__in=ids)
        .select_related("team", "assignee")
        .prefetch_related("tags")
        .order_by("pk")
    )
    apply = _action(actor=actor, action=action, value=value, tickets=tickets)
    result = BulkResult()
    for ticket in tickets:
        try:
            if apply(ticket):
                result.updated.append(ticket.pk)
        except ValidationError as error:
            result.failed.append((ticket.pk, _message(error)))
    return result


def _action(*, actor: User, action: str, value: str, tickets: list[Ticket]):
    """The per-ticket call for `action`; returns False for a ticket the action leaves as it is."""
    if action == BulkAction.ASSIGN_ME:
        return lambda t: bool(services.ticket_assign(ticket=t, assignee=actor, actor=actor))
    if action == BulkAction.ASSIGN_AGENT:
        agent = agents_for_filter().filter(pk=_int(value) or 0).first()
        if agent is None:
            raise BulkInvalid(_("Choose an agent."))
        return lambda t: bool(services.ticket_assign(ticket=t, assignee=agent, actor=actor))
    if action == BulkAction.ASSIGN_TEAM:
        team = Team.objects.filter(pk=_int(value) or 0).first()
        if team is None:
            raise BulkInvalid(_("Choose a team."))
        return lambda t: bool(services.ticket_assign(ticket=t, team=team, actor=actor))
    if action == BulkAction.STATUS:
        if value not in Ticket.Status.values:
            raise BulkInvalid(_("Choose a status."))
        return lambda t: bool(services.ticket_change_status(ticket=t, status=value, actor=actor))
    if action == BulkAction.PRIORITY:
        if value not in Ticket.Priority.values:
            raise BulkInvalid(_("Choose a priority."))
        return lambda t: bool(services.ticket_change_priority(ticket=t, priority=value, actor=actor))
    if action == BulkAction.ADD_TAG:
        tag = slugify(value, allow_unicode=True)[:50]
        if not tag:
            raise BulkInvalid(_("Type a tag."))

        def add_tag(ticket: Ticket) -> bool:
            names = [t.name for t in ticket.tags.all()]
            return bool(services.ticket_set_tags(ticket=ticket, tags=[*names, tag], actor=actor))

        return add_tag
    if action == BulkAction.MERGE:
        target = next((t for t in tickets if t.pk == _int(value)), None)
        if target is None:
            raise BulkInvalid(_("Choose one of the selected tickets to merge into."))

        def merge(ticket: Ticket) -> bool:
            if ticket.pk == target.pk:
                return False
            services.ticket_merge(source=ticket, target=target, actor=actor)
            return True

        return merge
    raise BulkInvalid(_("Choose an action."))


def _int(value: str) -> int | None:
    return int(value) if value.isascii() and value.isdigit() and len(value) < 19 else None
