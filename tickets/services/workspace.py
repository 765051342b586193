"""What agents do on a ticket page: replies, notes and mentions, split, links, following."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.roles import GROUP_NAMES
from integrations.changes import changes_record, message_change, ticket_change
from integrations.models import ChangeKind
from tickets.attachments import NewAttachment
from tickets.models import (
    Channel,
    Message,
    Ticket,
    TicketEvent,
    TicketFollower,
    TicketLink,
)
from tickets.services import stamps
from tickets.services._common import (
    InvalidTransition,
    _event,
    _lock,
)
from tickets.services.conversation import (
    message_add,
    message_add_once,
    ticket_change_status,
    ticket_create,
)

Status = Ticket.Status
Direction = Message.Direction


# Channels an agent may pick for a reply; the ticket's current channel is always allowed as well.
REPLY_CHANNELS = (Channel.EMAIL, Channel.CHAT, Channel.PHONE)
# "@" and a username (Django allows letters, digits and @.+-_), not the middle of an email address.
_MENTION = re.compile(r"(?<![\w@.+-])@([\w.+-]+)")
_MAX_MENTIONS = 50


def _refuse_merged(ticket: Ticket) -> None:
    if ticket.merged_into_id:
        raise ValidationError(
            _("Ticket #%(number)s was merged into #%(target)s; write there.")
            % {"number": ticket.pk, "target": ticket.merged_into_id},
            code="ticket_merged",
        )


def _web_message_add(*, idempotency_key: str, channel: str, **kwargs: Any) -> tuple[Message, bool]:
    """message_add, stored once per key: a double click or a retried POST finds the first message."""
    key = idempotency_key.strip()[:200]
    if not key:
        return message_add(channel=channel, **kwargs), True
    return message_add_once(external_id=f"web:{key}", channel=channel, **kwargs)


def ticket_reply(
    *,
    ticket: Ticket,
    agent: User,
    body_text: str,
    channel: str | None = None,
    status_after: str | None = None,
    idempotency_key: str = "",
    body_html: str = "",
    attachments: Sequence[NewAttachment] = (),
) -> Message:
    """A public reply by `agent`, then optionally a status change (send and set pending/solved), atomically.

    `channel` defaults to where the conversation is now; PHONE logs a call that already took place.
    The reply stays queued for the channel's sender. A repeated `idempotency_key` returns the reply
    stored the first time and changes nothing else.
    """
    channel = channel or ticket.current_channel
    if channel not in REPLY_CHANNELS and channel != ticket.current_channel:
        raise ValidationError(
            _("A reply cannot go out by %(channel)s.") % {"channel": channel}, code="bad_reply_channel"
        )
    if status_after and status_after not in Status.values:
        raise InvalidTransition(_("Unknown status “%(status)s”.") % {"status": status_after}, code="bad_status")
    _refuse_merged(ticket)
    with transaction.atomic():
        message, created = _web_message_add(
            idempotency_key=idempotency_key,
            ticket=ticket,
            channel=channel,
            direction=Direction.OUTBOUND,
            body_text=body_text.strip(),
            body_html=body_html,
            author_agent=agent,
            attachments=attachments,
        )
        if not created:
            return message
        if channel == Channel.PHONE:
            # The call has happened: there is nothing left for a sender to deliver.
            message.delivery_status = Message.DeliveryStatus.SENT
            message.save(update_fields=["delivery_status"])
        if status_after:
            ticket_change_status(ticket=ticket, status=status_after, actor=agent)
    return message


def mentioned_agents(text: str) -> list[User]:
    """Active agent-side users named as @username in `text` (any case); unknown names are ignored."""
    names = sorted({name.rstrip(".").lower() for name in _MENTION.findall(text)} - {""})[:_MAX_MENTIONS]
    if not names:
        return []
    by_name = Q()
    for name in names:
        by_name |= Q(username__iexact=name)
    staff = Q(groups__name__in=GROUP_NAMES.values()) | Q(is_superuser=True)
    return list(User.objects.filter(by_name, staff, is_active=True).distinct().order_by("username"))


def note_add(
    *,
    ticket: Ticket,
    agent: User,
    body_text: str,
    idempotency_key: str = "",
    body_html: str = "",
    attachments: Sequence[NewAttachment] = (),
) -> Message:
    """An internal note; the agents it @mentions are kept in Message.mentions."""
    _refuse_merged(ticket)
    with transaction.atomic():
        message, created = _web_message_add(
            idempotency_key=idempotency_key,
            ticket=ticket,
            channel=ticket.current_channel,
            direction=Direction.NOTE,
            body_text=body_text.strip(),
            body_html=body_html,
            author_agent=agent,
            attachments=attachments,
        )
        if created:
            mentioned = mentioned_agents(message.body_text)
            if mentioned:
                message.mentions.set(mentioned)
    return message


def ticket_split(*, message: Message, actor: User | None) -> Ticket:
    """Move one customer message out into a new ticket for the same customer; the two tickets are linked.

    The new ticket starts when the message arrived, so its response time counts from then.
    """
    if message.direction != Direction.INBOUND:
        raise ValidationError(_("Only a message from the customer can be split off."), code="split_not_inbound")
    with transaction.atomic():
        old = _lock(Ticket(pk=message.ticket_id))
        # Re-read under the ticket's lock: another agent may have split or merged it meanwhile.
        message = Message.objects.get(pk=message.pk)
        if message.ticket_id != old.pk:
            raise ValidationError(_("This message was moved to another ticket meanwhile."), code="split_moved")
        _refuse_merged(old)
        if not old.messages.exclude(pk=message.pk).exists():
            raise ValidationError(
                _("This is the only message of the ticket; there is nothing to split it from."), code="split_only"
            )
        now = timezone.now()
        new = ticket_create(
            customer=message.author_customer or old.customer,
            subject=_("Split: %(subject)s") % {"subject": old.subject},
            channel=message.channel,
            team=old.team,
            priority=old.priority,
            actor=actor,
            created_at=message.created_at,
        )
        Message.objects.filter(pk=message.pk).update(ticket=new)
        message.ticket = new
        for ticket in (old, new):
            ticket.updated_at = now
            ticket.save(update_fields=[*stamps.ticket_stamps_recompute(ticket=ticket), "updated_at"])
        TicketLink.objects.create(ticket=old, related=new, created_by=actor, created_at=now)
        TicketEvent.objects.bulk_create(
            [
                _event(old, TicketEvent.Kind.SPLIT, actor, message.pk, new.pk, now),
                _event(new, TicketEvent.Kind.SPLIT_FROM, actor, message.pk, old.pk, now),
            ]
        )
        changes_record(
            [
                ticket_change(old, changes={"split_into": (None, new.pk)}, actor=actor),
                message_change(message, ChangeKind.MESSAGE_UPDATED, {"ticket": (old.pk, new.pk)}, actor),
            ]
        )
    return new


def _lock_pair(ticket: Ticket, related: Ticket) -> None:
    # Both rows in id order, so two agents linking A-B and B-A at once neither deadlock nor both insert.
    list(Ticket.objects.select_for_update().filter(pk__in=[ticket.pk, related.pk]).order_by("pk"))


def _links_between(ticket: Ticket, related: Ticket) -> QuerySet[TicketLink]:
    return TicketLink.objects.filter(
        Q(ticket_id=ticket.pk, related_id=related.pk) | Q(ticket_id=related.pk, related_id=ticket.pk)
    )


def ticket_link(*, ticket: Ticket, related: Ticket, actor: User | None) -> TicketLink:
    """Link two related tickets (each keeps its conversation). Linking them again is a no-op."""
    if ticket.pk == related.pk:
        raise ValidationError(_("A ticket cannot be linked to itself."), code="link_self")
    with transaction.atomic():
        _lock_pair(ticket, related)
        existing = _links_between(ticket, related).first()
        if existing is not None:
            return existing
        now = timezone.now()
        link = TicketLink.objects.create(ticket=ticket, related=related, created_by=actor, created_at=now)
        Ticket.objects.filter(pk__in=[ticket.pk, related.pk]).update(updated_at=now)
        TicketEvent.objects.bulk_create(
            [
                _event(ticket, TicketEvent.Kind.LINKED, actor, "", related.pk, now),
                _event(related, TicketEvent.Kind.LINKED, actor, "", ticket.pk, now),
            ]
        )
        changes_record(
            [
                ticket_change(ticket, changes={"linked": (None, related.pk)}, actor=actor),
                ticket_change(related, changes={"linked": (None, ticket.pk)}, actor=actor),
            ]
        )
    return link


def ticket_unlink(*, ticket: Ticket, related: Ticket, actor: User | None) -> bool:
    """Remove the link between two tickets, whichever side made it. Returns whether there was one.

    Recorded as a LINKED event whose from_value is the other ticket and to_value is empty.
    """
    with transaction.atomic():
        _lock_pair(ticket, related)
        deleted, _rows = _links_between(ticket, related).delete()
        if deleted:
            now = timezone.now()
            Ticket.objects.filter(pk__in=[ticket.pk, related.pk]).update(updated_at=now)
            TicketEvent.objects.bulk_create(
                [
                    _event(ticket, TicketEvent.Kind.LINKED, actor, related.pk, "", now),
                    _event(related, TicketEvent.Kind.LINKED, actor, ticket.pk, "", now),
                ]
            )
            changes_record(
                [
                    ticket_change(ticket, changes={"linked": (related.pk, None)}, actor=actor),
                    ticket_change(related, changes={"linked": (ticket.pk, None)}, actor=actor),
                ]
            )
    return bool(deleted)


def ticket_follow(*, ticket: Ticket, user: User) -> TicketFollower:
    """Watch a ticket. Following it twice is one follower row (get_or_create also survives a race)."""
    follower, _created = TicketFollower.objects.get_or_create(ticket=ticket, user=user)
    return follower


def ticket_unfollow(*, ticket: Ticket, user: User) -> None:
    TicketFollower.objects.filter(ticket=ticket, user=user).delete()
