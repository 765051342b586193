"""The domain layer: the only code that changes customers and tickets.

Views, the API, Celery tasks, commands and the admin call these functions. Each is atomic,
validates what it is asked, stamps the derived fields (first response, solves, reopens,
channel switches) and records a TicketEvent, so the audit trail and the metrics can trust
the tables.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Min
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from accounts.models import User
from tickets.html import html_sanitize
from tickets.identities import normalize_identity
from tickets.models import (
    Channel,
    Customer,
    CustomerIdentity,
    CustomerMerge,
    Message,
    Organization,
    Tag,
    Team,
    Ticket,
    TicketEvent,
    TimeEntry,
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


# --- Customers ----------------------------------------------------------------------------


def customer_create(
    *,
    name: str = "",
    identities: Iterable[tuple[str, str]] = (),
    organization: Organization | None = None,
    locale: str = "",
    time_zone: str = "",
    external_id: str = "",
    attributes: dict | None = None,
) -> Customer:
    """Create a customer with its identities. An identity already owned by someone raises IdentityTaken."""
    with transaction.atomic():
        customer = Customer.objects.create(
            name=name.strip(),
            organization=organization,
            locale=locale,
            time_zone=time_zone,
            external_id=external_id,
            attributes=attributes or {},
        )
        for index, (kind, value) in enumerate(identities):
            customer_identity_add(customer=customer, kind=kind, value=value, is_primary=index == 0)
    return customer


def customer_identity_add(*, customer: Customer, kind: str, value: str, is_primary: bool = False) -> CustomerIdentity:
    """Give a customer an address. Adding one they already have is a no-op; one of another customer's is refused."""
    normalized = normalize_identity(kind, value)
    existing = CustomerIdentity.objects.select_related("customer").filter(kind=kind, value=normalized).first()
    if existing is not None:
        if existing.customer_id == customer.pk:
            return existing
        raise IdentityTaken(
            _("%(value)s already belongs to customer “%(owner)s”. Merge the two customers instead.")
            % {"value": normalized, "owner": existing.customer},
            owner=existing.customer,
        )
    try:
        with transaction.atomic():
            return CustomerIdentity.objects.create(
                customer=customer, kind=kind, value=normalized, is_primary=is_primary
            )
    except IntegrityError:
        # Someone added it between our read and our insert: report it like any taken identity.
        return customer_identity_add(customer=customer, kind=kind, value=value, is_primary=is_primary)


def customer_get_or_create_by_identity(*, kind: str, value: str, name: str = "") -> tuple[Customer, bool]:
    """The customer who owns this address, created on first contact. Safe under concurrent intake."""
    normalized = normalize_identity(kind, value)
    identity = CustomerIdentity.objects.select_related("customer").filter(kind=kind, value=normalized).first()
    if identity is not None:
        return identity.customer, False
    try:
        with transaction.atomic():
            customer = Customer.objects.create(name=name.strip())
            CustomerIdentity.objects.create(customer=customer, kind=kind, value=normalized, is_primary=True)
            return customer, True
    except IntegrityError:
        identity = CustomerIdentity.objects.select_related("customer").get(kind=kind, value=normalized)
        return identity.customer, False


def customer_merge(*, source: Customer, target: Customer, actor: User | None = None) -> CustomerMerge:
    """Fold `source` into `target`: identities, tickets, messages and the portal login move over.

    The source row stays, marked merged, and a CustomerMerge keeps what it held.
    """
    if source.pk == target.pk:
        raise InvalidMerge(_("A customer cannot be merged into itself."), code="merge_self")
    with transaction.atomic():
        first, second = sorted([source.pk, target.pk])
        locked = {c.pk: c for c in Customer.objects.select_for_update().filter(pk__in=[first, second]).order_by("pk")}
        source, target = locked[source.pk], locked[target.pk]
        if source.merged_into_id:
            raise InvalidMerge(_("This customer was already merged into another one."), code="already_merged")
        if target.merged_into_id:
            raise InvalidMerge(
                _("The target customer was merged into customer %(id)s; merge into that one.")
                % {"id": target.merged_into_id},
                code="target_merged",
            )
        identities = list(source.identities.values("kind", "value"))
        snapshot = {
            "name": source.name,
            "organization_id": source.organization_id,
            "locale": source.locale,
            "time_zone": source.time_zone,
            "external_id": source.external_id,
            "attributes": source.attributes,
            "user_id": source.user_id,
            "identities": identities,
            "churned_at": source.churned_at.isoformat() if source.churned_at else None,
        }
        ticket_ids = list(source.tickets.values_list("pk", flat=True))
        now = timezone.now()

        moved_identities = source.identities.update(customer=target, is_primary=False)
        Ticket.objects.filter(pk__in=ticket_ids).update(customer=target, updated_at=now)
        Message.objects.filter(author_customer=source).update(author_customer=target)
        TicketEvent.objects.bulk_create(
            [
                TicketEvent(
                    ticket_id=pk,
                    kind=TicketEvent.Kind.CUSTOMER,
                    actor=actor,
                    from_value=str(source.pk),
                    to_value=str(target.pk),
                    created_at=now,
                )
                for pk in ticket_ids
            ]
        )

        # Keep what only the source knew; where both know something, the target wins.
        update_fields = ["merged_into", "external_id", "user", "updated_at"]
        source_user, source_external_id = source.user, source.external_id
        source.merged_into = target
        source.external_id = ""
        source.user = None
        source.save(update_fields=update_fields)
        target_fields = ["attributes", "updated_at"]
        for field in ("name", "organization_id", "locale", "time_zone"):
            if not getattr(target, field) and getattr(source, field):
                setattr(target, field, getattr(source, field))
                target_fields.append(field)
        if not target.external_id and source_external_id:
            target.external_id = source_external_id
            target_fields.append("external_id")
        if target.user_id is None and source_user is not None:
            target.user = source_user
            target_fields.append("user")
        target.attributes = {**source.attributes, **target.attributes}
        target.save(update_fields=target_fields)

        return CustomerMerge.objects.create(
            source_id=source.pk,
            source_snapshot=snapshot,
            target=target,
            actor=actor,
            moved_tickets=len(ticket_ids),
            moved_identities=moved_identities,
        )


def customer_mark_churned(*, customer: Customer, at: datetime | None = None) -> Customer:
    customer.churned_at = at or timezone.now()
    customer.save(update_fields=["churned_at", "updated_at"])
    return customer


# --- Tickets ------------------------------------------------------------------------------


def _tags_get_or_create(names: Iterable[str]) -> list[Tag]:
    slugs = sorted({slugify(name, allow_unicode=True) for name in names} - {""})
    if not slugs:
        return []
    Tag.objects.bulk_create([Tag(name=slug) for slug in slugs], ignore_conflicts=True)
    return list(Tag.objects.filter(name__in=slugs))


def ticket_create(
    *,
    customer: Customer,
    subject: str,
    channel: str,
    body_text: str = "",
    body_html: str = "",
    team: Team | None = None,
    assignee: User | None = None,
    priority: str = Ticket.Priority.NORMAL,
    tags: Iterable[str] = (),
    actor: User | None = None,
    is_proactive: bool = False,
    created_at: datetime | None = None,
) -> Ticket:
    """Open a ticket, with its first message when there is a body.

    A ticket the support side opens (is_proactive) starts with an outbound message; any other
    starts with the customer's inbound message.
    """
    if channel not in Channel.values:
        raise ValidationError(_("Unknown channel “%(channel)s”.") % {"channel": channel}, code="bad_channel")
    if priority not in Ticket.Priority.values:
        raise ValidationError(_("Unknown priority “%(priority)s”.") % {"priority": priority}, code="bad_priority")
    if customer.merged_into_id:
        customer = Customer.objects.get(pk=customer.merged_into_id)
    subject = " ".join(subject.split())[:300] or _("(no subject)")
    now = created_at or timezone.now()
    with transaction.atomic():
        ticket = Ticket.objects.create(
            subject=subject,
            channel=channel,
            current_channel=channel,
            customer=customer,
            team=team,
            assignee=assignee,
            priority=priority,
            is_proactive=is_proactive,
            created_at=now,
            updated_at=now,
        )
        tag_rows = _tags_get_or_create(tags)
        if tag_rows:
            ticket.tags.set(tag_rows)
        TicketEvent.objects.create(
            ticket=ticket, kind=TicketEvent.Kind.CREATED, actor=actor, to_value=channel, created_at=now
        )
        if body_text or body_html:
            message_add(
                ticket=ticket,
                channel=channel,
                direction=Direction.OUTBOUND if is_proactive else Direction.INBOUND,
                body_text=body_text,
                body_html=body_html,
                author_customer=None if is_proactive else customer,
                author_agent=actor if is_proactive else None,
                created_at=now,
            )
    return ticket


def _resolve_merged(ticket: Ticket) -> Ticket:
    # A message for a merged ticket belongs to the ticket it lives on now.
    seen = set()
    while ticket.merged_into_id and ticket.pk not in seen:
        seen.add(ticket.pk)
        ticket = Ticket.objects.get(pk=ticket.merged_into_id)
    return ticket


def message_add(
    *,
    ticket: Ticket,
    channel: str,
    direction: str,
    body_text: str = "",
    body_html: str = "",
    author_customer: Customer | None = None,
    author_agent: User | None = None,
    is_automatic: bool = False,
    external_id: str = "",
    email_message_id: str = "",
    email_in_reply_to: str = "",
    email_references: str = "",
    created_at: datetime | None = None,
) -> Message:
    """Add a message and apply what it means for the ticket.

    - an inbound message reopens a solved ticket and moves pending/on-hold back to open;
    - the first public reply by a person stamps first_response_at and opens a new ticket;
    - a customer or agent message on another channel than the current one is a channel switch.
    A closed ticket takes only internal notes (TicketClosed otherwise).
    """
    if channel not in Channel.values:
        raise ValidationError(_("Unknown channel “%(channel)s”.") % {"channel": channel}, code="bad_channel")
    if direction not in Direction.values:
        raise ValidationError(_("Unknown direction “%(direction)s”.") % {"direction": direction}, code="bad_direction")
    if direction != Direction.INBOUND and author_customer is not None:
        raise ValidationError(_("Only inbound messages have a customer as author."), code="bad_author")
    body_html = html_sanitize(body_html)
    if not (body_text.strip() or body_html.strip()):
        raise ValidationError(_("The message is empty."), code="empty_message")
    now = created_at or timezone.now()

    with transaction.atomic():
        locked = _lock(_resolve_merged(ticket))
        if locked.status == Status.CLOSED and direction != Direction.NOTE:
            raise TicketClosed(
                _("Ticket #%(number)s is closed; open a follow-up ticket instead.") % {"number": locked.pk},
                code="ticket_closed",
            )
        events: list[TicketEvent] = []
        update_fields = {"updated_at"}
        locked.updated_at = max(locked.updated_at, now)

        if direction == Direction.INBOUND:
            if locked.status == Status.SOLVED:
                events.append(_event(locked, TicketEvent.Kind.STATUS, None, locked.status, Status.OPEN, now))
                locked.status = Status.OPEN
                locked.solved_at = None
                locked.reopen_count += 1
                update_fields |= {"status", "solved_at", "reopen_count"}
            elif locked.status in (Status.PENDING, Status.ON_HOLD):
                events.append(_event(locked, TicketEvent.Kind.STATUS, None, locked.status, Status.OPEN, now))
                locked.status = Status.OPEN
                update_fields.add("status")
        elif direction == Direction.OUTBOUND and not is_automatic:
            if locked.first_response_at is None:
                locked.first_response_at = now
                update_fields.add("first_response_at")
            if locked.status == Status.NEW:
                events.append(_event(locked, TicketEvent.Kind.STATUS, author_agent, Status.NEW, Status.OPEN, now))
                locked.status = Status.OPEN
                update_fields.add("status")

        # Automatic messages (survey invitations, acknowledgements) do not move the conversation.
        if direction != Direction.NOTE and not is_automatic and channel != locked.current_channel:
            events.append(
                _event(locked, TicketEvent.Kind.CHANNEL_SWITCH, author_agent, locked.current_channel, channel, now)
            )
            locked.current_channel = channel
            locked.channel_switch_count += 1
            update_fields |= {"current_channel", "channel_switch_count"}

        message = Message.objects.create(
            ticket=locked,
            channel=channel,
            direction=direction,
            body_text=body_text,
            body_html=body_html,
            author_customer=author_customer,
            author_agent=author_agent,
            is_automatic=is_automatic,
            external_id=external_id,
            email_message_id=email_message_id,
            email_in_reply_to=email_in_reply_to,
            email_references=email_references,
            delivery_status=(
                Message.DeliveryStatus.QUEUED if direction == Direction.OUTBOUND else Message.DeliveryStatus.NONE
            ),
            created_at=now,
        )
        locked.save(update_fields=sorted(update_fields))
        TicketEvent.objects.bulk_create(events)
    if locked.pk == ticket.pk:
        _copy_state(locked, ticket)
    return message


def message_add_once(*, external_id: str, channel: str, **kwargs: Any) -> tuple[Message, bool]:
    """message_add keyed on (channel, external_id): a message delivered twice is stored once.

    Returns the message and whether it was created now.
    """
    if not external_id:
        raise ValueError("message_add_once needs an external_id")
    existing = Message.objects.filter(channel=channel, external_id=external_id).first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            return message_add(external_id=external_id, channel=channel, **kwargs), True
    except IntegrityError:
        return Message.objects.get(channel=channel, external_id=external_id), False


def ticket_change_status(
    *, ticket: Ticket, status: str, actor: User | None = None, at: datetime | None = None
) -> Ticket:
    """Move a ticket to another status, if the move is allowed (see ALLOWED_TRANSITIONS)."""
    if status not in Status.values:
        raise InvalidTransition(_("Unknown status “%(status)s”.") % {"status": status}, code="bad_status")
    now = at or timezone.now()
    with transaction.atomic():
        locked = _lock(ticket)
        if locked.merged_into_id:
            raise InvalidTransition(
                _("Ticket #%(number)s was merged into #%(target)s; change that one.")
                % {"number": locked.pk, "target": locked.merged_into_id},
                code="ticket_merged",
            )
        if status == locked.status:
            _copy_state(locked, ticket)
            return ticket
        if status not in ALLOWED_TRANSITIONS[locked.status]:
            raise InvalidTransition(
                _("A %(from)s ticket cannot become %(to)s.")
                % {"from": Status(locked.status).label, "to": Status(status).label},
                code="invalid_transition",
            )
        previous = locked.status
        update_fields = ["status", "updated_at"]
        if status == Status.SOLVED:
            locked.solved_at = now
            update_fields.append("solved_at")
            if locked.first_solved_at is None:
                locked.first_solved_at = now
                update_fields.append("first_solved_at")
        elif status == Status.CLOSED:
            locked.closed_at = now
            update_fields.append("closed_at")
        elif previous == Status.SOLVED:
            locked.reopen_count += 1
            locked.solved_at = None
            update_fields += ["reopen_count", "solved_at"]
        locked.status = status
        locked.updated_at = now
        locked.save(update_fields=update_fields)
        TicketEvent.objects.create(
            ticket=locked,
            kind=TicketEvent.Kind.STATUS,
            actor=actor,
            from_value=previous,
            to_value=status,
            created_at=now,
        )
    _copy_state(locked, ticket)
    return ticket


def _in_team(user: User, team: Team | None) -> bool:
    return team is None or team.members.filter(pk=user.pk).exists()


def ticket_assign(
    *, ticket: Ticket, assignee: User | None = _UNCHANGED, team: Team | None = _UNCHANGED, actor: User | None = None
) -> Ticket:
    """Set the team and/or the assignee (None clears). An assignee must be a member of the ticket's team."""
    with transaction.atomic():
        locked = _lock(ticket)
        events = []
        now = timezone.now()
        if team is not _UNCHANGED and team != locked.team:
            events.append(_event(locked, TicketEvent.Kind.TEAM, actor, locked.team, team, now))
            locked.team = team
        if assignee is _UNCHANGED:
            # Moving a ticket to a team its assignee is not in hands it to that team unassigned.
            current = locked.assignee
            if team is not _UNCHANGED and current is not None and not _in_team(current, locked.team):
                assignee = None
        elif assignee is not None and not _in_team(assignee, locked.team):
            raise ValidationError(
                _("%(agent)s is not a member of team %(team)s.") % {"agent": assignee, "team": locked.team},
                code="not_in_team",
            )
        if assignee is not _UNCHANGED and assignee != locked.assignee:
            events.append(_event(locked, TicketEvent.Kind.ASSIGNEE, actor, locked.assignee, assignee, now))
            locked.assignee = assignee
        if events:
            locked.updated_at = now
            locked.save(update_fields=["team", "assignee", "updated_at"])
            TicketEvent.objects.bulk_create(events)
    _copy_state(locked, ticket)
    return ticket


def ticket_change_priority(*, ticket: Ticket, priority: str, actor: User | None = None) -> Ticket:
    if priority not in Ticket.Priority.values:
        raise ValidationError(_("Unknown priority “%(priority)s”.") % {"priority": priority}, code="bad_priority")
    with transaction.atomic():
        locked = _lock(ticket)
        if locked.priority != priority:
            now = timezone.now()
            TicketEvent.objects.create(
                ticket=locked,
                kind=TicketEvent.Kind.PRIORITY,
                actor=actor,
                from_value=locked.priority,
                to_value=priority,
                created_at=now,
            )
            locked.priority, locked.updated_at = priority, now
            locked.save(update_fields=["priority", "updated_at"])
    _copy_state(locked, ticket)
    return ticket


def ticket_set_tags(*, ticket: Ticket, tags: Iterable[str], actor: User | None = None) -> Ticket:
    with transaction.atomic():
        locked = _lock(ticket)
        before = sorted(locked.tags.values_list("name", flat=True))
        rows = _tags_get_or_create(tags)
        after = sorted(tag.name for tag in rows)
        if before != after:
            locked.tags.set(rows)
            now = timezone.now()
            locked.updated_at = now
            locked.save(update_fields=["updated_at"])
            TicketEvent.objects.create(
                ticket=locked,
                kind=TicketEvent.Kind.TAGS,
                actor=actor,
                from_value=", ".join(before),
                to_value=", ".join(after),
                created_at=now,
            )
    _copy_state(locked, ticket)
    return ticket


def ticket_switch_channel(*, ticket: Ticket, channel: str, actor: User | None = None) -> Ticket:
    """Move the conversation to another channel (an escalation by an agent or a rule)."""
    if channel not in Channel.values:
        raise ValidationError(_("Unknown channel “%(channel)s”.") % {"channel": channel}, code="bad_channel")
    with transaction.atomic():
        locked = _lock(ticket)
        if locked.current_channel != channel:
            now = timezone.now()
            TicketEvent.objects.create(
                ticket=locked,
                kind=TicketEvent.Kind.CHANNEL_SWITCH,
                actor=actor,
                from_value=locked.current_channel,
                to_value=channel,
                created_at=now,
            )
            locked.current_channel = channel
            locked.channel_switch_count += 1
            locked.updated_at = now
            locked.save(update_fields=["current_channel", "channel_switch_count", "updated_at"])
    _copy_state(locked, ticket)
    return ticket


def ticket_merge(*, source: Ticket, target: Ticket, actor: User | None = None) -> Ticket:
    """Merge `source` into `target`: its messages, time and tags move; the source is closed and points at the target."""
    if source.pk == target.pk:
        raise InvalidMerge(_("A ticket cannot be merged into itself."), code="merge_self")
    with transaction.atomic():
        # Lock both rows in id order so two opposite merges cannot deadlock.
        rows = {
            t.pk: t for t in Ticket.objects.select_for_update().filter(pk__in=[source.pk, target.pk]).order_by("pk")
        }
        locked_source, locked_target = rows[source.pk], rows[target.pk]
        if locked_source.merged_into_id:
            raise InvalidMerge(
                _("Ticket #%(number)s was already merged into #%(target)s.")
                % {"number": locked_source.pk, "target": locked_source.merged_into_id},
                code="already_merged",
            )
        if locked_target.merged_into_id:
            raise InvalidMerge(
                _("Ticket #%(number)s was merged into #%(target)s; merge into that one.")
                % {"number": locked_target.pk, "target": locked_target.merged_into_id},
                code="target_merged",
            )
        if locked_target.status == Status.CLOSED:
            raise InvalidMerge(
                _("Ticket #%(number)s is closed and cannot take more messages.") % {"number": locked_target.pk},
                code="target_closed",
            )
        now = timezone.now()
        Message.objects.filter(ticket=locked_source).update(ticket=locked_target)
        TimeEntry.objects.filter(ticket=locked_source).update(ticket=locked_target)
        locked_target.tags.add(*locked_source.tags.all())

        first_reply = Message.objects.filter(
            ticket=locked_target, direction=Direction.OUTBOUND, is_automatic=False
        ).aggregate(first=Min("created_at"))["first"]
        locked_target.first_response_at = first_reply
        locked_target.updated_at = now
        locked_target.save(update_fields=["first_response_at", "updated_at"])

        previous_status = locked_source.status
        locked_source.merged_into = locked_target
        locked_source.status = Status.CLOSED
        locked_source.closed_at = now
        locked_source.updated_at = now
        locked_source.save(update_fields=["merged_into", "status", "closed_at", "updated_at"])
        TicketEvent.objects.bulk_create(
            [
                _event(locked_source, TicketEvent.Kind.MERGED_INTO, actor, "", locked_target.pk, now),
                _event(locked_source, TicketEvent.Kind.STATUS, actor, previous_status, Status.CLOSED, now),
                _event(locked_target, TicketEvent.Kind.MERGED_FROM, actor, "", locked_source.pk, now),
            ]
        )
    _copy_state(locked_source, source)
    _copy_state(locked_target, target)
    return target


def time_entry_add(*, ticket: Ticket, agent: User, seconds: int, source: str, note: str = "") -> TimeEntry:
    if seconds <= 0:
        raise ValidationError(_("Time spent must be more than zero seconds."), code="bad_seconds")
    if source not in TimeEntry.Source.values:
        raise ValidationError(_("Unknown time source “%(source)s”.") % {"source": source}, code="bad_source")
    return TimeEntry.objects.create(
        ticket=_resolve_merged(ticket), agent=agent, seconds=seconds, source=source, note=note
    )


def tickets_close_solved(*, older_than: datetime, limit: int = 500) -> int:
    """Close tickets solved before `older_than`, at most `limit` per call. Returns how many were closed."""
    ids = list(
        Ticket.objects.filter(status=Status.SOLVED, solved_at__lt=older_than, merged_into__isnull=True)
        .order_by("solved_at")
        .values_list("pk", flat=True)[:limit]
    )
    closed = 0
    for pk in ids:
        with transaction.atomic():
            # Re-check under the lock: it may have been reopened, or solved again, meanwhile.
            ticket = (
                Ticket.objects.select_for_update().filter(pk=pk, status=Status.SOLVED, solved_at__lt=older_than).first()
            )
            if ticket is None:
                continue
            ticket_change_status(ticket=ticket, status=Status.CLOSED)
        closed += 1
    return closed
