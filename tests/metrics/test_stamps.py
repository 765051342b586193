"""The per-ticket figures the services stamp (tickets.services.stamps), each checked against a hand count.

Tickets have no team: business hours are the site's, Monday to Friday 09:00–17:00. 2025-01-06 is a Monday.
"""

from __future__ import annotations

import pytest

from tests.metrics.conftest import at
from tickets import services
from tickets.models import Channel, Message, TimeEntry

pytestmark = pytest.mark.django_db

MON = (2025, 1, 6)
HOUR = 3600


def stamps(ticket):
    ticket.refresh_from_db()
    return ticket


def test_first_response_is_the_first_reply_by_a_person(desk):
    ticket = desk.ticket(at(*MON, 10))
    desk.automatic(ticket, at(*MON, 10, 1))
    desk.note(ticket, at(*MON, 10, 2))
    desk.inbound(ticket, at(*MON, 10, 3))
    assert stamps(ticket).first_response_at is None
    desk.reply(ticket, at(*MON, 10, 45))
    desk.reply(ticket, at(*MON, 11))  # the second reply changes nothing

    # 10:00 → 10:45 = 2700 s, inside business hours; two customer messages came before it.
    ticket = stamps(ticket)
    assert ticket.first_inbound_at == at(*MON, 10)
    assert ticket.first_response_at == at(*MON, 10, 45)
    assert (ticket.first_response_seconds, ticket.first_response_business_seconds) == (2700, 2700)
    assert ticket.inbound_before_first_reply == 2
    assert ticket.contact_count == 2


def test_a_proactive_ticket_never_gets_a_first_response_time(desk):
    ticket = desk.ticket(at(*MON, 10), is_proactive=True, body="Your card expires.")
    desk.inbound(ticket, at(*MON, 11))
    desk.reply(ticket, at(*MON, 11, 30))

    ticket = stamps(ticket)
    assert ticket.first_response_at == at(*MON, 10)  # the support side spoke first
    assert ticket.first_response_seconds is None
    assert ticket.first_response_business_seconds is None
    assert ticket.inbound_before_first_reply == 0


def test_an_answered_call_is_the_first_response_and_a_missed_call_waits(desk):
    taken = desk.ticket(at(*MON, 10), channel=Channel.PHONE, body="")
    desk.call(taken, at(*MON, 10))
    taken = stamps(taken)
    assert (taken.first_response_seconds, taken.contact_count, taken.inbound_before_first_reply) == (0, 1, 1)

    missed = desk.ticket(at(*MON, 10), channel=Channel.PHONE, body="Missed call")
    assert stamps(missed).first_response_at is None
    # The callback 20 minutes later, an outbound call by an agent: the first response, one contact.
    services.message_add(
        ticket=missed,
        channel=Channel.PHONE,
        direction=Message.Direction.OUTBOUND,
        body_text="Called back.",
        author_agent=desk.agent,
        created_at=at(*MON, 10, 20),
    )
    missed = stamps(missed)
    assert (missed.first_response_seconds, missed.contact_count) == (1200, 1)


def test_solve_reopen_solve_keeps_the_first_and_the_latest_resolution(desk):
    ticket = desk.ticket(at(*MON, 10))
    desk.solve(ticket, at(*MON, 12))  # 2 h
    ticket = stamps(ticket)
    assert (ticket.first_resolution_seconds, ticket.resolution_seconds) == (2 * HOUR, 2 * HOUR)

    desk.inbound(ticket, at(2025, 1, 7, 9))  # the customer writes again: reopened
    ticket = stamps(ticket)
    assert (ticket.status, ticket.reopen_count) == ("open", 1)
    assert (ticket.solved_at, ticket.resolution_seconds, ticket.resolution_business_seconds) == (None, None, None)
    assert ticket.first_solved_at == at(*MON, 12)

    desk.solve(ticket, at(2025, 1, 8, 10))  # Mon 10:00 → Wed 10:00 = 48 h; business 7 + 8 + 1 = 16 h
    desk.reopen(ticket, at(2025, 1, 8, 11))  # reopened by an agent
    desk.solve(ticket, at(2025, 1, 8, 12))  # Mon 10:00 → Wed 12:00 = 50 h; business 7 + 8 + 3 = 18 h
    services.ticket_change_status(ticket=ticket, status="closed", at=at(2025, 1, 12, 12))

    ticket = stamps(ticket)
    assert ticket.reopen_count == 2
    assert (ticket.solved_at, ticket.resolution_seconds, ticket.resolution_business_seconds) == (
        at(2025, 1, 8, 12),
        50 * HOUR,
        18 * HOUR,
    )
    assert (ticket.first_solved_at, ticket.first_resolution_seconds, ticket.first_resolution_business_seconds) == (
        at(*MON, 12),
        2 * HOUR,
        2 * HOUR,
    )


@pytest.mark.parametrize(
    ("gap_minutes", "contacts"),
    [
        (5, 1),  # one chat session
        (29, 1),
        # "a gap of CHAT_SESSION_GAP (30 min) starts a new session" (tickets.services.stamps)
        (30, 2),
        (45, 2),
    ],
)
def test_chat_sessions_are_contacts(desk, gap_minutes, contacts):
    ticket = desk.ticket(at(*MON, 10), channel=Channel.CHAT)
    desk.reply(ticket, at(*MON, 10, 1))
    desk.inbound(ticket, at(*MON, 10, 1, 30))
    desk.reply(ticket, at(*MON, 10, 1 + gap_minutes))
    assert stamps(ticket).contact_count == contacts, (
        f"agent chat messages {gap_minutes} min apart gave {ticket.contact_count} contacts, expected {contacts}"
    )


@pytest.mark.parametrize("gap_minutes", [5, 29, 30, 45])
def test_a_merge_counts_chat_sessions_as_the_live_stamps_do(desk, gap_minutes):
    # The same conversation stamped message by message, and recomputed after a merge, gives the same contacts.
    live = desk.ticket(at(*MON, 10), channel=Channel.CHAT)
    desk.reply(live, at(*MON, 10, 1))
    desk.reply(live, at(*MON, 10, 1 + gap_minutes))
    merged_away = desk.ticket(at(*MON, 10), channel=Channel.CHAT)
    desk.reply(merged_away, at(*MON, 10, 1))
    desk.reply(merged_away, at(*MON, 10, 1 + gap_minutes))
    target = desk.ticket(at(*MON, 9), channel=Channel.CHAT)
    services.ticket_merge(source=merged_away, target=target)
    assert stamps(target).contact_count == stamps(live).contact_count


def test_a_merge_moves_the_first_response_contacts_and_time_to_the_target(desk):
    target = desk.ticket(at(*MON, 10))
    desk.reply(target, at(*MON, 14))  # 4 h
    source = desk.ticket(at(*MON, 9))
    desk.inbound(source, at(*MON, 9, 10))
    desk.reply(source, at(*MON, 9, 30))  # 30 min
    services.time_entry_add(ticket=source, agent=desk.agent, seconds=120, source=TimeEntry.Source.MANUAL)
    services.ticket_merge(source=source, target=target)
    # Time logged on the merged-away ticket afterwards lands on the target too.
    services.time_entry_add(ticket=source, agent=desk.agent, seconds=60, source=TimeEntry.Source.MANUAL)

    # Target's messages now: in 09:00, in 09:10, reply 09:30, in 10:00, reply 14:00.
    target = stamps(target)
    assert target.first_inbound_at == at(*MON, 9)
    assert target.first_response_at == at(*MON, 9, 30)
    assert (target.first_response_seconds, target.first_response_business_seconds) == (1800, 1800)
    assert (target.contact_count, target.inbound_before_first_reply) == (2, 2)
    assert sorted(TimeEntry.objects.filter(ticket=target).values_list("seconds", flat=True)) == [60, 120]
    assert stamps(source).merged_into_id == target.pk
