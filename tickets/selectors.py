"""Reads: which tickets a person may see, the queues, and what a ticket page shows.

Every function here issues a fixed number of queries, whatever the number of rows, so the
pages built on them stay fast as queues and conversations grow.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from typing import Any

from django.core.cache import cache
from django.db.models import Case, Count, Exists, F, IntegerField, OuterRef, Q, QuerySet, Subquery, Value, When
from django.http import Http404, QueryDict
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import User
from accounts.roles import GROUP_NAMES, Role, user_role
from tickets.models import (
    Channel,
    Customer,
    CustomerIdentity,
    Message,
    Organization,
    SavedView,
    Tag,
    Team,
    Ticket,
    TicketEvent,
    TicketParticipant,
)
from tickets.search import customers_with_identity, ticket_search

PAGE_SIZE = 50
OTHER_TICKETS_SHOWN = 20
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


def tickets_reachable_by(user: User) -> QuerySet[Ticket]:
    """Every ticket `user` may read through the API: the workspace's tickets for staff, and for a
    customer their own (merged ones included, so a client can follow where they went)."""
    if user_role(user) == Role.CUSTOMER:
        return Ticket.objects.filter(customer_id=user.customer_profile.pk)
    return tickets_visible_to(user)


def ticket_participants(ticket: Ticket) -> QuerySet[TicketParticipant]:
    """Cc'd people of a ticket with the address they were copied on (`email`), in one query."""
    email = CustomerIdentity.objects.filter(customer=OuterRef("customer"), kind=CustomerIdentity.Kind.EMAIL)
    return (
        TicketParticipant.objects.filter(ticket=ticket)
        .select_related("customer")
        .annotate(email=Subquery(email.order_by("-is_primary", "pk").values("value")[:1]))
        .order_by("pk")
    )


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

# Columns the list sorts by, and the direction a first click on their header gives.
SORT_COLUMNS = {
    "number": "asc",
    "subject": "asc",
    "customer": "asc",
    "status": "asc",
    "priority": "desc",
    "channel": "asc",
    "team": "asc",
    "assignee": "asc",
    "created": "desc",
    "updated": "desc",
}
SORTS = tuple(SORT_COLUMNS)
RECENTLY_SOLVED_DAYS = 7
# Query-string keys a saved view keeps (never the page).
FILTER_KEYS = (
    "view",
    "status",
    "priority",
    "team",
    "assignee",
    "channel",
    "q",
    "sort",
    "dir",
    "tag",
    "customer",
    "org",
    "created_from",
    "created_to",
    "updated_from",
    "updated_to",
)


class BuiltinView(StrEnum):
    MINE = "mine"
    UNASSIGNED = "unassigned"
    MY_TEAMS = "my_teams"
    ALL_OPEN = "open"
    PENDING = "pending"
    SOLVED_RECENTLY = "solved_recently"


BUILTIN_VIEW_LABELS = {
    BuiltinView.MINE: gettext_lazy("Mine"),
    BuiltinView.UNASSIGNED: gettext_lazy("Unassigned"),
    BuiltinView.MY_TEAMS: gettext_lazy("My teams"),
    BuiltinView.ALL_OPEN: gettext_lazy("All open"),
    BuiltinView.PENDING: gettext_lazy("Waiting on customer"),
    BuiltinView.SOLVED_RECENTLY: gettext_lazy("Solved recently"),
}


def _my_team_ids(user: User) -> QuerySet:
    return Team.members.through.objects.filter(user_id=user.pk).values("team_id")


def builtin_view_q(view: str, *, user: User, now: datetime | None = None) -> Q:
    """The condition of a built-in view for `user` (merged tickets are left out by the caller)."""
    is_open = Q(status__in=Ticket.OPEN_STATUSES)
    if view == BuiltinView.MINE:
        return is_open & Q(assignee_id=user.pk)
    if view == BuiltinView.UNASSIGNED:
        return is_open & Q(assignee__isnull=True) & (Q(team_id__in=_my_team_ids(user)) | Q(team__isnull=True))
    if view == BuiltinView.MY_TEAMS:
        return is_open & Q(team_id__in=_my_team_ids(user))
    if view == BuiltinView.ALL_OPEN:
        return is_open
    if view == BuiltinView.PENDING:
        return Q(status=Ticket.Status.PENDING)
    if view == BuiltinView.SOLVED_RECENTLY:
        since = (now or timezone.now()) - timedelta(days=RECENTLY_SOLVED_DAYS)
        return Q(status=Ticket.Status.SOLVED, solved_at__gte=since)
    raise ValueError(view)


@dataclass(frozen=True)
class QueueCount:
    view: str
    label: str
    count: int


# The sidebar counts scan every open ticket the agent may see (tens of ms at a million tickets),
# on every page view. Counts a few seconds old are fine for a sidebar; the list itself is never cached.
QUEUE_COUNTS_CACHE_SECONDS = 20


def queue_counts(*, user: User) -> list[QueueCount]:
    """How many tickets each built-in view holds for `user`: one query of conditional counts, cached briefly."""
    key = f"tickets:queue-counts:{user.pk}"
    counts = cache.get(key)
    if counts is None:
        counts = _queue_counts_query(user)
        cache.set(key, counts, QUEUE_COUNTS_CACHE_SECONDS)
    return [
        QueueCount(view=view.value, label=str(BUILTIN_VIEW_LABELS[view]), count=counts[view]) for view in BuiltinView
    ]


def queue_counts_forget(*, user: User) -> None:
    """Drop `user`'s cached counts after they changed tickets, so their own change shows at once."""
    cache.delete(f"tickets:queue-counts:{user.pk}")


def _queue_counts_query(user: User) -> dict[str, int]:
    now = timezone.now()
    conditions = {view.value: builtin_view_q(view, user=user, now=now) for view in BuiltinView}
    # Only open and recently solved rows can count anywhere: narrowing to them lets the status index help.
    # Merged tickets are always closed (ticket_merge), so no merged_into test is needed here.
    candidates = Q(status__in=Ticket.OPEN_STATUSES) | conditions[BuiltinView.SOLVED_RECENTLY]
    return (
        tickets_visible_to(user)
        .filter(candidates)
        .aggregate(**{name: Count("pk", filter=condition) for name, condition in conditions.items()})
    )


@dataclass(frozen=True)
class TicketFilters:
    """What a queue shows, read from the query string. Unknown values are ignored, not errors."""

    statuses: tuple[str, ...] = ()  # as asked; empty: open statuses, unless a built-in view decides
    all_statuses: bool = False
    view: str = ""  # a BuiltinView or ""
    priority: str = ""
    team: str = ""  # "", "none" or a team id
    assignee: str = ""  # "", "me", "none" or a user id
    channel: str = ""
    tag: str = ""
    customer: str = ""  # a customer id
    org: str = ""  # an organization id
    created_from: date | None = None
    created_to: date | None = None
    updated_from: date | None = None
    updated_to: date | None = None
    q: str = ""
    sort: str = "updated"
    dir: str = "desc"
    page: int = 1

    @classmethod
    def from_query(cls, params: QueryDict) -> TicketFilters:
        requested = params.getlist("status")
        team = params.get("team", "")
        assignee = params.get("assignee", "")
        sort = _one_of(params.get("sort", ""), SORTS) or "updated"
        return cls(
            statuses=tuple(s for s in Ticket.Status.values if s in requested),
            all_statuses="all" in requested,
            view=_one_of(params.get("view", ""), BuiltinView.__members__.values()),
            priority=_one_of(params.get("priority", ""), Ticket.Priority.values),
            team="none" if team == "none" else _id(team),
            assignee=assignee if assignee in ("me", "none") else _id(assignee),
            channel=_one_of(params.get("channel", ""), Channel.values),
            tag=params.get("tag", "").strip().lower()[:50],
            customer=_id(params.get("customer", "")),
            org=_id(params.get("org", "")),
            created_from=_date(params.get("created_from", "")),
            created_to=_date(params.get("created_to", "")),
            updated_from=_date(params.get("updated_from", "")),
            updated_to=_date(params.get("updated_to", "")),
            q=params.get("q", "").strip()[:200],
            sort=sort,
            dir=_one_of(params.get("dir", ""), ("asc", "desc")) or SORT_COLUMNS[sort],
            page=page_number(params.get("page", "")),
        )

    @property
    def number(self) -> int | None:
        """The ticket number when the search is one ("#1042" or "1042")."""
        match = _NUMBER.fullmatch(self.q)
        return int(match.group(1)) if match else None

    @property
    def shown_statuses(self) -> tuple[str, ...]:
        """The statuses ticked in the form."""
        if self.all_statuses:
            return ()
        return self.statuses or (() if self.view else tuple(Ticket.OPEN_STATUSES))


def _one_of(value: str, allowed: Any) -> str:
    return value if value in allowed else ""


def _id(value: str) -> str:
    # Persian and Arabic digits are digits too; the length cap keeps ids inside a bigint.
    return str(int(value)) if _DIGITS.fullmatch(value) else ""


def _date(value: str) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=timezone.get_current_timezone())


def page_number(value: str) -> int:
    """A page number from the query string: 1 for anything that is not a sensible one."""
    return max(1, int(value)) if _PAGE.fullmatch(value) else 1


_SORT_FIELDS = {
    "number": (),
    "subject": ("subject",),
    "customer": ("customer__name",),
    "status": ("status",),
    "channel": ("current_channel",),
    "team": ("team__name",),
    "assignee": ("assignee__first_name", "assignee__last_name", "assignee__username"),
    "created": ("created_at",),
    "updated": ("updated_at",),
}


def priority_rank() -> Case:
    """Urgent 0 ... low 3: sorting by it ascending puts the most urgent first."""
    return Case(
        *(When(priority=value, then=Value(i)) for i, value in enumerate(reversed(Ticket.Priority.values))),
        output_field=IntegerField(),
    )


def sort_keys(filters: TicketFilters) -> list[tuple[str, bool]]:
    """The queue's order as (field, descending) pairs, ending in the id so pages never overlap.

    "priority" sorts on the `priority_rank` annotation; descending there means most urgent first.
    """
    desc = filters.dir == "desc"
    if filters.sort == "priority":
        return [("priority_rank", not desc), ("updated_at", True), ("id", desc)]
    return [(name, desc) for name in _SORT_FIELDS[filters.sort]] + [("id", desc)]


def _ordered(tickets: QuerySet[Ticket], filters: TicketFilters) -> QuerySet[Ticket]:
    if filters.sort == "priority":
        tickets = tickets.annotate(priority_rank=priority_rank())
    # Plain ASC/DESC (no NULLS clause), so the (status, -updated_at)-style indexes serve the default order.
    order = [F(name).desc() if desc else F(name).asc() for name, desc in sort_keys(filters)]
    return tickets.order_by(*order)


def ticket_list_for_user(*, user: User, filters: TicketFilters) -> QuerySet[Ticket]:
    """The queue `user` asked for: visible tickets, filtered and sorted, ready to slice."""
    tickets = tickets_visible_to(user).select_related("customer", "team", "assignee").prefetch_related("tags")
    if filters.number is not None:
        # A number goes straight to that ticket, whatever the other filters say (merged ones too);
        # digits that also read as a phone number find that customer's tickets as well.
        customers = customers_with_identity(filters.q)
        match = Q(pk=filters.number)
        if customers is not None:
            match |= Q(customer_id__in=customers, merged_into__isnull=True)
        return _ordered(tickets.filter(match), filters)

    if filters.all_statuses or Ticket.Status.CLOSED in filters.statuses:
        # Merged tickets are closed (ticket_merge), so only a queue that shows closed ones must skip them;
        # elsewhere the test would only make PostgreSQL scan the merged_into index as well.
        tickets = tickets.filter(merged_into__isnull=True)
    if filters.view:
        tickets = tickets.filter(builtin_view_q(filters.view, user=user))
    if filters.statuses and not filters.all_statuses:
        tickets = tickets.filter(status__in=filters.statuses)
    elif not filters.view and not filters.all_statuses:
        tickets = tickets.filter(status__in=Ticket.OPEN_STATUSES)
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
    if filters.tag:
        tickets = tickets_tagged(tickets, filters.tag)
    if filters.customer:
        tickets = tickets.filter(customer_id=int(filters.customer))
    if filters.org:
        tickets = tickets.filter(customer__organization_id=int(filters.org))
    # Date ranges are whole days, both ends included.
    if filters.created_from:
        tickets = tickets.filter(created_at__gte=_day_start(filters.created_from))
    if filters.created_to:
        tickets = tickets.filter(created_at__lt=_day_start(filters.created_to + timedelta(days=1)))
    if filters.updated_from:
        tickets = tickets.filter(updated_at__gte=_day_start(filters.updated_from))
    if filters.updated_to:
        tickets = tickets.filter(updated_at__lt=_day_start(filters.updated_to + timedelta(days=1)))
    if filters.q:
        tickets = ticket_search(tickets, filters.q)

    return _ordered(tickets, filters)


def tickets_tagged(tickets: QuerySet[Ticket], name: str) -> QuerySet[Ticket]:
    """`tickets` that carry the tag `name`.

    The tag's id is read first and the test is a correlated EXISTS on (ticket, tag): with the id as a
    constant, PostgreSQL walks the list's index and probes each ticket for a common tag, and for a
    rare one still stays within tens of milliseconds at a million tickets (a join on the tag's name
    built a hash of every tagged ticket instead: most of a second).
    """
    tag_id = Tag.objects.filter(name=name).values_list("pk", flat=True).first()
    if tag_id is None:
        return tickets.none()
    tagged = Ticket.tags.through.objects.filter(ticket_id=OuterRef("pk"), tag_id=tag_id)
    return tickets.filter(Exists(tagged))


def saved_views_for_user(*, user: User) -> QuerySet[SavedView]:
    """The agent's own saved views and those others shared, for the sidebar."""
    return SavedView.objects.filter(Q(owner_id=user.pk) | Q(is_shared=True)).select_related("owner")


def saved_view_query(params: QueryDict) -> str:
    """The filters of a queue as a query string worth saving: known keys only, no page."""
    kept = QueryDict(mutable=True)
    for key in FILTER_KEYS:
        values = [v for v in params.getlist(key) if v]
        if values:
            kept.setlist(key, values)
    return kept.urlencode()[:1000]


def organizations_for_filter(limit: int = 500) -> QuerySet[Organization]:
    return Organization.objects.only("id", "name").order_by("name")[:limit]


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


def ticket_page_fetch(queryset: QuerySet[Ticket], *, number: int, page_size: int = PAGE_SIZE) -> Page:
    """A page of the queue in two queries: the ids in order, then those rows with what they show.

    Sorting and slicing on the ticket table alone lets PostgreSQL keep the top rows while it
    scans, instead of joining customer, team and assignee to every matching ticket first.
    """
    start = (number - 1) * page_size
    ids = list(queryset.values_list("pk", flat=True)[start : start + page_size + 1])
    rows = (
        queryset.model.objects.select_related("customer", "team", "assignee")
        .prefetch_related("tags")
        .in_bulk(ids[:page_size])
    )
    return Page(rows=[rows[pk] for pk in ids[:page_size] if pk in rows], number=number, has_next=len(ids) > page_size)


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
_EVENT_VALUE_CHOICES: dict[str, Any] = {
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
    assert entry.event is not None  # an entry is a message or an event
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
