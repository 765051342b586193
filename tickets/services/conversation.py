"""A ticket's life: created, messages added, status, assignment, merge, time."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from integrations.changes import changes_record, message_change, ticket_change
from integrations.models import ChangeKind
from tickets.attachments import NewAttachment, attachments_store
from tickets.delivery import outbound_enqueue
from tickets.html import html_sanitize
from tickets.models import (
    Channel,
    Customer,
    Message,
    Team,
    Ticket,
    TicketEvent,
    TimeEntry,
)
from tickets.services import stamps
from tickets.services._common import (
    _UNCHANGED,
    ALLOWED_TRANSITIONS,
    InvalidMerge,
    InvalidTransition,
    TicketClosed,
    _copy_state,
    _event,
    _in_team,
    _lock,
    _tags_get_or_create,
    resolve_merged,
)

Status = Ticket.Status
Direction = Message.Direction

# Which ticket field each kind of TicketEvent written by message_add changes, for the change log.
_EVENT_FIELDS: dict[str, str] = {TicketEvent.Kind.STATUS: "status", TicketEvent.Kind.CHANNEL_SWITCH: "current_channel"}


def _event_changes(events: list[TicketEvent]) -> dict[str, tuple[Any, Any]]:
    """The ticket's changed fields as (before, after), from the events a service is about to store."""
    changes: dict[str, tuple[Any, Any]] = {}
    for event in events:
        field = _EVENT_FIELDS.get(event.kind)
        if field is not None:
            before = changes[field][0] if field in changes else event.from_value
            changes[field] = (before, event.to_value)
    return changes


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
    attachments: Sequence[NewAttachment] = (),
) -> Ticket:
    """Open a ticket, with its first message (and its attachments) when there is a body.

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
        ticket = Ticket(
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
        stamps.stamp_sla_targets(ticket)
        ticket.save(force_insert=True)
        tag_rows = _tags_get_or_create(tags)
        if tag_rows:
            ticket.tags.add(*tag_rows)  # a new ticket has none: no need to read them first
        _event(ticket, TicketEvent.Kind.CREATED, actor, "", channel, now).save()
        changes_record([ticket_change(ticket, ChangeKind.TICKET_CREATED, actor=actor)])
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
                attachments=attachments,
                ticket_is_locked=True,
            )
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
    email_recipients: str = "",
    quoted_text_start: int | None = None,
    created_at: datetime | None = None,
    attachments: Sequence[NewAttachment] = (),
    ticket_is_locked: bool = False,
) -> Message:
    """Add a message (with its attachments) and apply what it means for the ticket.

    - an inbound message reopens a solved ticket and moves pending/on-hold back to open;
    - the first public reply by a person stamps first_response_at and opens a new ticket;
    - a customer or agent message on another channel than the current one is a channel switch.
    A closed ticket takes only internal notes (TicketClosed otherwise).
    `ticket_is_locked`: the caller's transaction holds the ticket's row already (ticket_create has
    just inserted it), so it is neither read again nor wrapped in a savepoint of its own.
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

    with transaction.atomic(savepoint=not ticket_is_locked):
        locked = ticket if ticket_is_locked else _lock(resolve_merged(ticket))
        if locked.status == Status.CLOSED and direction != Direction.NOTE:
            raise TicketClosed(
                _("Ticket #%(number)s is closed; open a follow-up ticket instead.") % {"number": locked.pk},
                code="ticket_closed",
            )
        events: list[TicketEvent] = []
        update_fields = {"updated_at"}
        locked.updated_at = max(locked.updated_at, now)

        answered_call = stamps.is_answered_call(
            channel=channel, direction=direction, author_agent_id=author_agent.pk if author_agent else None
        )
        if direction == Direction.INBOUND:
            if locked.first_inbound_at is None:
                locked.first_inbound_at = now
                update_fields.add("first_inbound_at")
            if locked.first_response_at is None:
                locked.inbound_before_first_reply += 1
                update_fields.add("inbound_before_first_reply")
            if locked.status == Status.SOLVED:
                events.append(_event(locked, TicketEvent.Kind.STATUS, None, locked.status, Status.OPEN, now))
                locked.status = Status.OPEN
                update_fields |= {"status", *stamps.stamp_reopen(locked)}
            elif locked.status in (Status.PENDING, Status.ON_HOLD):
                events.append(_event(locked, TicketEvent.Kind.STATUS, None, locked.status, Status.OPEN, now))
                locked.status = Status.OPEN
                update_fields.add("status")
        if stamps.is_public_reply(direction=direction, is_automatic=is_automatic) or answered_call:
            if stamps.starts_contact(ticket=locked, channel=channel, at=now):
                locked.contact_count += 1
                update_fields.add("contact_count")
            update_fields |= stamps.stamp_first_response(locked, now)
        if direction == Direction.OUTBOUND and not is_automatic and locked.status == Status.NEW:
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
            email_recipients=email_recipients,
            quoted_text_start=quoted_text_start,
            delivery_status=(
                Message.DeliveryStatus.QUEUED if direction == Direction.OUTBOUND else Message.DeliveryStatus.NONE
            ),
            created_at=now,
        )
        if attachments:
            attachments_store(message=message, files=attachments)
        locked.save(update_fields=sorted(update_fields))
        TicketEvent.objects.bulk_create(events)
        changed = _event_changes(events)
        changes_record(
            [
                message_change(message, ChangeKind.MESSAGE_CREATED, actor=author_agent),
                *([ticket_change(locked, changes=changed, actor=author_agent)] if changed else []),
            ]
        )
        outbound_enqueue(message)
    if locked.pk == ticket.pk:
        _copy_state(locked, ticket)
    return message


# Delivery states an integrator hears about; queued and sending come and go while a channel retries.
_REPORTED_DELIVERY = (Message.DeliveryStatus.SENT, Message.DeliveryStatus.FAILED, Message.DeliveryStatus.BOUNCED)


def message_mark_delivery(*, message: Message, status: str, error: str = "", recipients: str | None = None) -> Message:
    """Record how delivering an outbound message went (a channel's sender calls this).

    `error` is the server's words, shown to agents; `recipients` who it finally went to.
    """
    message.delivery_status = status
    message.delivery_error = error
    fields = ["delivery_status", "delivery_error"]
    if recipients is not None:
        message.email_recipients = recipients
        fields.append("email_recipients")
    with transaction.atomic():
        # Read under the row's lock, so two writers cannot both log the same step.
        before = (
            Message.objects.select_for_update().filter(pk=message.pk).values_list("delivery_status", flat=True).first()
        )
        message.save(update_fields=fields)
        if status in _REPORTED_DELIVERY and before != status:
            changes_record([message_change(message, ChangeKind.MESSAGE_UPDATED, {"delivery_status": (before, status)})])
    return message


def messages_mark_failed(*, ids: Iterable[int], error: str, only_from: Iterable[str]) -> int:
    """Mark outbound messages failed, those of `ids` still in one of the `only_from` states. Returns how many."""
    with transaction.atomic():
        rows = list(
            Message.objects.select_for_update()
            .filter(pk__in=list(ids), delivery_status__in=list(only_from))
            .values_list("pk", "ticket_id", "delivery_status")
        )
        Message.objects.filter(pk__in=[pk for pk, _ticket, _status in rows]).update(
            delivery_status=Message.DeliveryStatus.FAILED, delivery_error=error
        )
        changes_record(
            message_change(
                Message(pk=pk, ticket_id=ticket_id),
                ChangeKind.MESSAGE_UPDATED,
                {"delivery_status": (status, Message.DeliveryStatus.FAILED)},
            )
            for pk, ticket_id, status in rows
        )
    return len(rows)


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
            update_fields += stamps.stamp_solve(locked, now)
        elif status == Status.CLOSED:
            locked.closed_at = now
            update_fields.append("closed_at")
        elif previous == Status.SOLVED:
            update_fields += stamps.stamp_reopen(locked)
        locked.status = status
        locked.updated_at = now
        locked.save(update_fields=update_fields)
        _event(locked, TicketEvent.Kind.STATUS, actor, previous, status, now).save()
        changes_record([ticket_change(locked, changes={"status": (previous, status)}, actor=actor)])
        if status == Status.SOLVED:
            # Imported here: the surveys module builds on these services.
            from metrics.surveys import survey_invite_on_commit

            survey_invite_on_commit(locked)
    _copy_state(locked, ticket)
    return ticket


def ticket_assign(
    *, ticket: Ticket, assignee: User | None = _UNCHANGED, team: Team | None = _UNCHANGED, actor: User | None = None
) -> Ticket:
    """Set the team and/or the assignee (None clears). An assignee must be a member of the ticket's team."""
    with transaction.atomic():
        locked = _lock(ticket)
        events = []
        changed: dict[str, tuple[Any, Any]] = {}
        now = timezone.now()
        if team is not _UNCHANGED and team != locked.team:
            events.append(_event(locked, TicketEvent.Kind.TEAM, actor, locked.team, team, now))
            changed["team"] = (locked.team_id, team.pk if team else None)
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
            changed["assignee"] = (locked.assignee_id, assignee.pk if assignee else None)
            locked.assignee = assignee
        if events:
            locked.updated_at = now
            locked.save(update_fields=["team", "assignee", "updated_at"])
            TicketEvent.objects.bulk_create(events)
            changes_record([ticket_change(locked, changes=changed, actor=actor)])
    _copy_state(locked, ticket)
    return ticket


def ticket_change_priority(*, ticket: Ticket, priority: str, actor: User | None = None) -> Ticket:
    if priority not in Ticket.Priority.values:
        raise ValidationError(_("Unknown priority “%(priority)s”.") % {"priority": priority}, code="bad_priority")
    with transaction.atomic():
        locked = _lock(ticket)
        if locked.priority != priority:
            now = timezone.now()
            _event(locked, TicketEvent.Kind.PRIORITY, actor, locked.priority, priority, now).save()
            changes_record([ticket_change(locked, changes={"priority": (locked.priority, priority)}, actor=actor)])
            locked.priority, locked.updated_at = priority, now
            locked.save(update_fields=["priority", "updated_at", *stamps.stamp_sla_targets(locked)])
    _copy_state(locked, ticket)
    return ticket


def ticket_change_subject(*, ticket: Ticket, subject: str, actor: User | None = None) -> Ticket:
    subject = " ".join(subject.split())[:300]
    if not subject:
        raise ValidationError(_("A ticket needs a subject."), code="blank_subject")
    with transaction.atomic():
        locked = _lock(ticket)
        if locked.subject != subject:
            changes_record([ticket_change(locked, changes={"subject": (locked.subject, subject)}, actor=actor)])
            locked.subject, locked.updated_at = subject, timezone.now()
            locked.save(update_fields=["subject", "updated_at"])
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
            _event(locked, TicketEvent.Kind.TAGS, actor, ", ".join(before), ", ".join(after), now).save()
            changes_record([ticket_change(locked, changes={"tags": (before, after)}, actor=actor)])
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
            _event(locked, TicketEvent.Kind.CHANNEL_SWITCH, actor, locked.current_channel, channel, now).save()
            changes_record(
                [ticket_change(locked, changes={"current_channel": (locked.current_channel, channel)}, actor=actor)]
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
        moved_messages = list(Message.objects.filter(ticket=locked_source).values_list("pk", flat=True))
        Message.objects.filter(ticket=locked_source).update(ticket=locked_target)
        TimeEntry.objects.filter(ticket=locked_source).update(ticket=locked_target)
        locked_target.tags.add(*locked_source.tags.all())

        # The source's messages now count on the target: its first response and contacts follow them.
        locked_target.updated_at = now
        locked_target.save(update_fields=[*stamps.ticket_stamps_recompute(ticket=locked_target), "updated_at"])

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
        changes_record(
            [
                ticket_change(
                    locked_source,
                    ChangeKind.TICKET_MERGED,
                    {"merged_into": (None, locked_target.pk), "status": (previous_status, Status.CLOSED)},
                    actor,
                ),
                ticket_change(locked_target, changes={"merged_from": (None, locked_source.pk)}, actor=actor),
                *(
                    message_change(
                        Message(pk=pk, ticket_id=locked_target.pk),
                        ChangeKind.MESSAGE_UPDATED,
                        {"ticket": (locked_source.pk, locked_target.pk)},
                        actor,
                    )
                    for pk in moved_messages
                ),
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
        ticket=resolve_merged(ticket), agent=agent, seconds=seconds, source=source, note=note
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
