"""Reads: which tickets a person may see, the queues, and what a ticket page shows.

Every function here issues a fixed number of queries, whatever the number of rows, so the
pages built on them stay fast as queues and conversations grow.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db.models import Case, IntegerField, Q, QuerySet, Value, When
from django.http import Http404, QueryDict
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import User
from accounts.roles import GROUP_NAMES, Role, user_role
from tickets.models import Channel, Customer, CustomerIdentity, Message, Team, Ticket, TicketEvent

PAGE_SIZE = 50
OTHER_TICKETS_SHOWN = 20
SORTS = ("updated", "created", "priority")
_NUMBER = re.compile(r"#?\s*(\d{1,18})")
_DIGITS = re.compile(r"\d{1,18}")
_PAGE = re.compile(r"\d{1,6}")


# --- Visibility ---------------------------------------------------------------------------


def tickets_visible_to(user: User) -> QuerySet[Ticket]:
    """Every ticket `user` may open in the agent workspace.

    Managers and admins see all; an agent sees their teams' tickets, tickets assigned to them
    and tickets no team owns yet; anyone else sees none.
    """
    role = user_role(user)
    if role in (Role.MANAGER, Role.ADMIN):
        return Ticket.objects.all()
    if role == Role.AGENT:
        # A subquery, not a join on team members: a join would repeat rows of unowned tickets.
        my_teams = Team.members.through.objects.filter(user_id=user.pk).values("team_id")
        return Ticket.objects.filter(Q(team_id__in=my_teams) | Q(assignee_id=user.pk) | Q(team__isnull=True))
    return Ticket.objects.none()


def get_ticket_for_user(*, user: User, pk: int) -> Ticket:
    """The ticket for the agent workspace, or Http404 when `user` may not see it.

    404 rather than 403, so a ticket number does not reveal that the ticket exists.
    """
    ticket = (
        tickets_visible_to(user)
        .select_related("customer__organization", "team", "assignee")
        .prefetch_related("tags")
        .filter(pk=pk)
        .first()
    )
    if ticket is None:
        raise Http404(_("No such ticket."))
    return ticket


# --- Queues -------------------------------------------------------------------------------


@dataclass(frozen=True)
class TicketFilters:
    """What a queue shows, read from the query string. Unknown values are ignored, not errors."""

    statuses: tuple[str, ...] = tuple(Ticket.OPEN_STATUSES)
    all_statuses: bool = False
    priority: str = ""
    team: str = ""  # "", "none" or a team id
    assignee: str = ""  # "", "me", "none" or a user id
    channel: str = ""
    q: str = ""
    sort: str = "updated"
    page: int = 1

    @classmethod
    def from_query(cls, params: QueryDict) -> TicketFilters:
        requested = params.getlist("status")
        team = params.get("team", "")
        assignee = params.get("assignee", "")
        return cls(
            statuses=tuple(s for s in Ticket.Status.values if s in requested) or tuple(Ticket.OPEN_STATUSES),
            all_statuses="all" in requested,
            priority=_one_of(params.get("priority", ""), Ticket.Priority.values),
            team="none" if team == "none" else _id(team),
            assignee=assignee if assignee in ("me", "none") else _id(assignee),
            channel=_one_of(params.get("channel", ""), Channel.values),
            q=params.get("q", "").strip()[:200],
            sort=_one_of(params.get("sort", ""), SORTS) or "updated",
            page=page_number(params.get("page", "")),
        )

    @property
    def number(self) -> int | None:
        """The ticket number when the search is one ("#1042" or "1042")."""
        match = _NUMBER.fullmatch(self.q)
        return int(match.group(1)) if match else None


def _one_of(value: str, allowed: Any) -> str:
    return value if value in allowed else ""


def _id(value: str) -> str:
    # Persian and Arabic digits are digits too; the length cap keeps ids inside a bigint.
    return str(int(value)) if _DIGITS.fullmatch(value) else ""


def page_number(value: str) -> int:
    """A page number from the query string: 1 for anything that is not a sensible one."""
    return max(1, int(value)) if _PAGE.fullmatch(value) else 1


def ticket_list_for_user(*, user: User, filters: TicketFilters) -> QuerySet[Ticket]:
    """The queue `user` asked for: visible tickets, filtered and sorted, ready to slice."""
    tickets = tickets_visible_to(user).select_related("customer", "team", "assignee").prefetch_related("tags")
    if filters.number is not None:
        # A number goes straight to that ticket, whatever the other filters say (merged ones too).
        return tickets.filter(pk=filters.number)

    tickets = tickets.filter(merged_into__isnull=True)
    if not filters.all_statuses:
        tickets = tickets.filter(status__in=filters.statuses)
    if filters.priority:
        tickets = tickets.filter(priority=filters.priority)
    if filters.team == "none":
        tickets = tickets.filter(team__isnull=True)
    elif filters.team:
        tickets = tickets.filter(team_id=int(filters.team))
    if filters.assignee == "me":
        tickets = tickets.filter(assignee_id=user.pk)
    elif filters.assignee == "none":
        tickets = tickets.filter(assignee__isnull=True)
    elif filters.assignee:
        tickets = tickets.filter(assignee_id=int(filters.assignee))
    if filters.channel:
        tickets = tickets.filter(channel=filters.channel)
    if filters.q:
        tickets = tickets.filter(subject__icontains=filters.q)

    if filters.sort == "created":
        return tickets.order_by("-created_at", "-id")
    if filters.sort == "priority":
        rank = Case(
            *(When(priority=value, then=Value(i)) for i, value in enumerate(reversed(Ticket.Priority.values))),
            output_field=IntegerField(),
        )
        return tickets.annotate(priority_rank=rank).order_by("priority_rank", "-updated_at", "-id")
    return tickets.order_by("-updated_at", "-id")


@dataclass
class Page:
    rows: list[Any]
    number: int
    has_next: bool

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def next_number(self) -> int:
        return self.number + 1

    @property
    def previous_number(self) -> int:
        return self.number - 1


def page_fetch(queryset: QuerySet, *, number: int, page_size: int = PAGE_SIZE) -> Page:
    """One page of rows without COUNT(*): fetch one row more than shown to learn whether a next page exists."""
    start = (number - 1) * page_size
    rows = list(queryset[start : start + page_size + 1])
    return Page(rows=rows[:page_size], number=number, has_next=len(rows) > page_size)


def agents_for_filter() -> QuerySet[User]:
    """People a ticket can be assigned to, for the assignee filter."""
    return (
        User.objects.filter(groups__name__in=GROUP_NAMES.values(), is_active=True)
        .distinct()
        .order_by("first_name", "last_name", "username")
    )


def teams_for_filter() -> QuerySet[Team]:
    return Team.objects.only("id", "name").order_by("name")


# --- One ticket ---------------------------------------------------------------------------


@dataclass
class TimelineEntry:
    """A message or an event, so the template walks one list in time order."""

    at: datetime
    message: Message | None = None
    event: TicketEvent | None = None
    from_label: str = ""
    to_label: str = ""

    @property
    def is_message(self) -> bool:
        return self.message is not None


# Which choices translate the stored values of each event kind.
_EVENT_VALUE_CHOICES = {
    TicketEvent.Kind.CREATED: Channel,
    TicketEvent.Kind.STATUS: Ticket.Status,
    TicketEvent.Kind.PRIORITY: Ticket.Priority,
    TicketEvent.Kind.CHANNEL_SWITCH: Channel,
}


def _value_label(kind: str, value: str) -> str:
    choices = _EVENT_VALUE_CHOICES.get(kind)
    if choices is not None and value in choices.values:
        return str(choices(value).label)
    return value


def ticket_timeline(*, ticket: Ticket, for_customer: bool = False) -> list[TimelineEntry]:
    """Messages and events of a ticket, oldest first, in three queries (two for the customer).

    The customer sees only what was said to and by them: no internal notes and no events.
    """
    messages = ticket.messages.select_related("author_customer", "author_agent").prefetch_related("attachments")
    if for_customer:
        messages = messages.filter(direction__in=(Message.Direction.INBOUND, Message.Direction.OUTBOUND))
    entries = [TimelineEntry(at=m.created_at, message=m) for m in messages]
    if not for_customer:
        entries += [
            TimelineEntry(
                at=e.created_at,
                event=e,
                from_label=_value_label(e.kind, e.from_value),
                to_label=_value_label(e.kind, e.to_value),
            )
            for e in ticket.events.select_related("actor")
        ]
    entries.sort(key=_timeline_order)
    return entries


def _timeline_order(entry: TimelineEntry) -> tuple:
    # At one instant: "created" first, then the message, then what the message caused (reopen, switch).
    if entry.message is not None:
        return (entry.at, 1, entry.message.pk)
    return (entry.at, 0 if entry.event.kind == TicketEvent.Kind.CREATED else 2, entry.event.pk)


@dataclass(frozen=True)
class CrmField:
    label: str
    text: str = ""
    items: tuple[str, ...] = ()


def _crm_text(value: Any) -> str:
    if isinstance(value, dict):
        return " · ".join(f"{key}: {_crm_text(item)}" for key, item in value.items())
    if isinstance(value, list):
        return ", ".join(_crm_text(item) for item in value)
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if value is None or value == "":
        return "—"
    return str(value)


# Labels for the CRM keys we know; any other key is shown as written.
_CRM_LABELS = {
    "plan": gettext_lazy("Plan"),
    "recent_orders": gettext_lazy("Recent orders"),
    "newsletter": gettext_lazy("Newsletter"),
}


def crm_fields(attributes: dict) -> list[CrmField]:
    """Customer.attributes (free JSON from a CRM) as labelled lines; a list becomes one line per item."""
    fields = []
    for key, value in (attributes or {}).items():
        label = str(_CRM_LABELS.get(key) or str(key).replace("_", " ").strip().capitalize())
        if isinstance(value, list):
            fields.append(CrmField(label=label, items=tuple(_crm_text(item) for item in value)))
        else:
            fields.append(CrmField(label=label, text=_crm_text(value)))
    return fields


@dataclass
class CustomerPanel:
    customer: Customer
    identities: list[CustomerIdentity]
    attributes: list[CrmField] = field(default_factory=list)
    other_tickets: list[Ticket] = field(default_factory=list)


def customer_panel(*, user: User, ticket: Ticket) -> CustomerPanel:
    """Who the customer is and what else they asked, in two queries.

    Other tickets are limited to those `user` may open, so the panel links nowhere it would 404.
    """
    customer = ticket.customer
    identities = list(customer.identities.order_by("kind", "-is_primary", "value"))
    others = list(
        tickets_visible_to(user)
        .filter(customer_id=customer.pk)
        .exclude(pk=ticket.pk)
        .only("id", "subject", "status", "created_at", "merged_into_id")
        .order_by("-created_at", "-id")[:OTHER_TICKETS_SHOWN]
    )
    return CustomerPanel(
        customer=customer, identities=identities, attributes=crm_fields(customer.attributes), other_tickets=others
    )


# --- The customer portal ------------------------------------------------------------------


def portal_ticket_list(*, customer: Customer) -> QuerySet[Ticket]:
    """A customer's own tickets, latest activity first; merged ones live on in their target."""
    return Ticket.objects.filter(customer=customer, merged_into__isnull=True).order_by("-updated_at", "-id")


def portal_ticket_get(*, customer: Customer, pk: int) -> Ticket:
    """One of the customer's own tickets, or Http404 (the same answer for a ticket that does not exist)."""
    ticket = Ticket.objects.filter(customer=customer, pk=pk).first()
    if ticket is None:
        raise Http404(_("No such ticket."))
    return ticket
