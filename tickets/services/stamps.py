"""The figures a ticket carries for the reports, stamped when they happen (see docs: metrics definitions).

- first response: from the first customer message to the first public reply by a person; tickets
  opened by support (proactive) get no first response time;
- resolution: from creation to the first and to the latest solve;
- contacts: one per public reply on email, portal, social or API, one per chat session with an
  agent message (a gap of CHAT_SESSION_GAP starts a new session), one per call;
- customer messages before the first reply.
Durations are stamped in calendar seconds and in the business hours of the ticket's team.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import Q

from tickets.business_hours import schedule_for_team
from tickets.models import Channel, Message, SlaPolicy, Ticket

Direction = Message.Direction

# A chat conversation with no agent message for this long (or longer) is a new session (a new contact).
CHAT_SESSION_GAP = timedelta(minutes=30)


def elapsed_seconds(start: datetime, end: datetime) -> int:
    """Whole calendar seconds from start to end, never negative."""
    return max(0, round((end - start).total_seconds()))


def is_public_reply(*, direction: str, is_automatic: bool) -> bool:
    """An outbound message by a person: not a note, not an acknowledgement, survey or rule."""
    return direction == Direction.OUTBOUND and not is_automatic


def is_answered_call(*, channel: str, direction: str, author_agent_id: int | None) -> bool:
    """A call an agent took is logged as an inbound phone message with the agent as its author.

    It is the customer's message and the first response at once (first response time 0).
    A missed call is an inbound phone message without an agent.
    """
    return channel == Channel.PHONE and direction == Direction.INBOUND and author_agent_id is not None


def stamp_first_response(ticket: Ticket, at: datetime) -> set[str]:
    """Stamp the first public reply on `ticket` (already locked). Returns the changed fields."""
    if ticket.first_response_at is not None:
        return set()
    ticket.first_response_at = at
    changed = {"first_response_at"}
    if ticket.first_inbound_at is not None and not ticket.is_proactive:
        schedule = schedule_for_team(ticket.team_id)
        ticket.first_response_seconds = elapsed_seconds(ticket.first_inbound_at, at)
        ticket.first_response_business_seconds = schedule.seconds_between(ticket.first_inbound_at, at)
        changed |= {"first_response_seconds", "first_response_business_seconds"}
    return changed


def stamp_solve(ticket: Ticket, at: datetime) -> list[str]:
    """Stamp a solve: the latest resolution always, the first resolution once."""
    schedule = schedule_for_team(ticket.team_id)
    business = schedule.seconds_between(ticket.created_at, at)
    ticket.solved_at = at
    ticket.resolution_seconds = elapsed_seconds(ticket.created_at, at)
    ticket.resolution_business_seconds = business
    changed = ["solved_at", "resolution_seconds", "resolution_business_seconds"]
    if ticket.first_solved_at is None:
        ticket.first_solved_at = at
        ticket.first_resolution_seconds = ticket.resolution_seconds
        ticket.first_resolution_business_seconds = business
        changed += ["first_solved_at", "first_resolution_seconds", "first_resolution_business_seconds"]
    return changed


def stamp_reopen(ticket: Ticket) -> list[str]:
    """A reopened ticket is unsolved again: its latest resolution waits for the next solve."""
    ticket.reopen_count += 1
    ticket.solved_at = None
    ticket.resolution_seconds = None
    ticket.resolution_business_seconds = None
    return ["reopen_count", "solved_at", "resolution_seconds", "resolution_business_seconds"]


def starts_contact(*, ticket: Ticket, channel: str, at: datetime) -> bool:
    """Whether a public reply (or a taken call) on `channel` is a new contact.

    A chat reply continues the session when the ticket had a public agent chat message less than
    CHAT_SESSION_GAP before; every other reply and every call is a contact of its own.
    """
    if channel != Channel.CHAT:
        return True
    return not Message.objects.filter(
        ticket=ticket,
        channel=Channel.CHAT,
        direction=Direction.OUTBOUND,
        is_automatic=False,
        created_at__gt=at - CHAT_SESSION_GAP,
        created_at__lte=at,
    ).exists()


def ticket_stamps_recompute(*, ticket: Ticket) -> list[str]:
    """Recompute the conversation stamps of `ticket` (locked) from its messages, after a merge or split.

    Sets first_inbound_at, first_response_at, the first response times, the contacts and the
    customer messages before the first reply. Returns the changed fields for save().
    """
    messages = list(
        Message.objects.filter(ticket=ticket)
        .filter(Q(direction=Direction.INBOUND) | Q(direction=Direction.OUTBOUND, is_automatic=False))
        .order_by("created_at", "id")
        .values("channel", "direction", "author_agent_id", "created_at")
    )
    ticket.first_inbound_at = None
    ticket.first_response_at = None
    ticket.first_response_seconds = None
    ticket.first_response_business_seconds = None
    ticket.contact_count = 0
    ticket.inbound_before_first_reply = 0
    last_chat_reply: datetime | None = None
    for row in messages:
        at = row["created_at"]
        call = is_answered_call(
            channel=row["channel"], direction=row["direction"], author_agent_id=row["author_agent_id"]
        )
        if row["direction"] == Direction.INBOUND:
            if ticket.first_inbound_at is None:
                ticket.first_inbound_at = at
            if ticket.first_response_at is None:
                ticket.inbound_before_first_reply += 1
        if row["direction"] == Direction.OUTBOUND or call:
            stamp_first_response(ticket, at)
            if row["channel"] == Channel.CHAT:
                if last_chat_reply is None or at - last_chat_reply >= CHAT_SESSION_GAP:
                    ticket.contact_count += 1
                last_chat_reply = at
            else:
                ticket.contact_count += 1
    return [
        "first_inbound_at",
        "first_response_at",
        "first_response_seconds",
        "first_response_business_seconds",
        "contact_count",
        "inbound_before_first_reply",
    ]


def stamp_sla_targets(ticket: Ticket) -> list[str]:
    """Copy the SLA targets of the ticket's priority onto it (none when no policy covers the priority)."""
    policy = SlaPolicy.objects.filter(priority=ticket.priority).first()
    ticket.sla_first_response_target = policy.first_response_minutes * 60 if policy else None
    ticket.sla_resolution_target = policy.resolution_minutes * 60 if policy else None
    return ["sla_first_response_target", "sla_resolution_target"]
