"""First contact resolution, reopen rate, unanswered and messages before the first reply, by hand, on both paths.

Everything happens in the week of Monday 2025-01-06, in the site's time zone (`at`).
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.utils import timezone

from metrics import figures
from metrics.scope import scope_for_days
from tests.metrics.conftest import at
from tickets import services
from tickets.models import Channel

MON = (2025, 1, 6)


def week():
    return scope_for_days(date(2025, 1, 6), date(2025, 1, 12))


def _solved_tickets(desk) -> dict:
    """Tickets solved on Monday, each showing one rule of FCR; named by what they show."""
    made = {}

    t = made["one_reply"] = desk.ticket(at(*MON, 10))
    desk.reply(t, at(*MON, 10, 30))
    desk.solve(t, at(*MON, 11))

    t = made["two_replies"] = desk.ticket(at(*MON, 10))
    desk.reply(t, at(*MON, 10, 30))
    desk.inbound(t, at(*MON, 11))
    desk.reply(t, at(*MON, 11, 30))
    desk.solve(t, at(*MON, 12))

    t = made["reopened"] = desk.ticket(at(*MON, 10))
    desk.reply(t, at(*MON, 10, 30))
    desk.solve(t, at(*MON, 11))
    desk.reopen(t, at(2025, 1, 7, 9))
    desk.solve(t, at(2025, 1, 7, 10))

    t = made["escalated"] = desk.ticket(at(*MON, 10), channel=Channel.CHAT)
    desk.reply(t, at(*MON, 10, 1))
    services.ticket_switch_channel(ticket=t, channel=Channel.EMAIL, actor=desk.agent)
    desk.solve(t, at(*MON, 11))

    t = made["customer_switched"] = desk.ticket(at(*MON, 10), channel=Channel.CHAT)
    desk.reply(t, at(*MON, 10, 1))
    desk.inbound(t, at(*MON, 10, 30), channel=Channel.EMAIL)
    desk.solve(t, at(*MON, 11))

    t = made["rules_only"] = desk.ticket(at(*MON, 10))
    desk.automatic(t, at(*MON, 10, 0, 10))
    desk.solve(t, at(*MON, 11))

    t = made["chat_5_min"] = desk.ticket(at(*MON, 10), channel=Channel.CHAT)
    desk.reply(t, at(*MON, 10, 1))
    desk.inbound(t, at(*MON, 10, 3))
    desk.reply(t, at(*MON, 10, 6))
    desk.solve(t, at(*MON, 10, 30))

    t = made["chat_45_min"] = desk.ticket(at(*MON, 10), channel=Channel.CHAT)
    desk.reply(t, at(*MON, 10, 1))
    desk.inbound(t, at(*MON, 10, 20))
    desk.reply(t, at(*MON, 10, 46))
    desk.solve(t, at(*MON, 11))

    t = made["answered_call"] = desk.ticket(at(*MON, 10), channel=Channel.PHONE, body="")
    desk.call(t, at(*MON, 10))
    desk.solve(t, at(*MON, 10, 10))

    # Two one-reply tickets, then one merged into the other: the source is gone, the target has two contacts.
    merged = desk.ticket(at(*MON, 10))
    desk.reply(merged, at(*MON, 10, 30))
    desk.solve(merged, at(*MON, 11))
    t = made["merge_target"] = desk.ticket(at(*MON, 12))
    desk.reply(t, at(*MON, 12, 30))
    desk.solve(t, at(*MON, 13))
    services.ticket_merge(source=merged, target=t)
    return made


def test_stamped_contacts_reopens_and_switches(desk):
    made = _solved_tickets(desk)
    stamped = {}
    for name, ticket in made.items():
        ticket.refresh_from_db()
        stamped[name] = (ticket.contact_count, ticket.reopen_count, ticket.channel_switch_count)
    assert stamped == {
        "one_reply": (1, 0, 0),
        "two_replies": (2, 0, 0),
        "reopened": (1, 1, 0),
        "escalated": (1, 0, 1),
        "customer_switched": (1, 0, 1),
        "rules_only": (0, 0, 0),
        "chat_5_min": (1, 0, 0),  # two agent chat messages 5 min apart: one session
        "chat_45_min": (2, 0, 0),  # 45 min apart: two sessions
        "answered_call": (1, 0, 0),
        "merge_target": (2, 0, 0),
    }


def test_first_contact_resolution(desk, source):
    made = _solved_tickets(desk)
    source.refresh()
    scope = week()
    source.check(scope)

    # Resolved at first contact: one_reply, chat_5_min, answered_call = 3.
    # With at least one contact: every solved ticket but rules_only (and the merged-away source) = 9.
    # FCR = 3 / 9 = 33.3%.
    fcr = figures.figure(scope, "fcr")
    assert (fcr.numerator, fcr.denominator) == (3, 9)
    assert fcr.percent == pytest.approx(100 / 3)
    resolved = set(figures.tickets_behind(scope, "fcr", "resolved"))
    assert resolved == {made["one_reply"], made["chat_5_min"], made["answered_call"]}
    assert made["rules_only"] not in set(figures.tickets_behind(scope, "fcr"))


def test_reopen_rate(desk, source):
    made = _solved_tickets(desk)
    source.refresh()
    scope = week()
    source.check(scope)

    # Solved in the week: the ten tickets of _solved_tickets (the merged-away source left out), rules_only
    # included (no contact is needed to be solved); reopened at least once: "reopened" → 1 / 10 = 10%.
    rate = figures.figure(scope, "reopen_rate")
    assert (rate.numerator, rate.denominator) == (1, 10)
    assert rate.percent == pytest.approx(10.0)
    assert list(figures.tickets_behind(scope, "reopen_rate", "reopened")) == [made["reopened"]]


def test_unanswered_count_and_share_of_created(desk, source):
    no_reply = desk.ticket(at(*MON, 9))
    rules_only = desk.ticket(at(*MON, 9))
    desk.automatic(rules_only, at(*MON, 9, 0, 5))
    note_only = desk.ticket(at(*MON, 9))
    desk.note(note_only, at(*MON, 9, 30))
    answered = desk.ticket(at(*MON, 10))
    desk.reply(answered, at(*MON, 10, 30))
    desk.ticket(at(*MON, 11), is_proactive=True, body="We noticed a failed payment.")  # no customer message
    taken = desk.ticket(at(*MON, 12), channel=Channel.PHONE, body="")
    desk.call(taken, at(*MON, 12))
    missed = desk.ticket(at(*MON, 13), channel=Channel.PHONE, body="Missed call")  # inbound, no agent
    # An unanswered ticket merged into an answered one: left out of both counts.
    services.ticket_merge(source=desk.ticket(at(*MON, 15)), target=answered)
    source.refresh()
    scope = week()
    source.check(scope)

    # Created: 7 (the merged-away ticket left out). Unanswered: no_reply, rules_only, note_only, missed = 4.
    # 4 / 7 = 57.1%.
    unanswered = figures.figure(scope, "unanswered")
    assert (unanswered.numerator, unanswered.denominator) == (4, 7)
    assert unanswered.percent == pytest.approx(400 / 7)
    assert set(figures.tickets_behind(scope, "unanswered")) == {no_reply, rules_only, note_only, missed}


def test_messages_before_first_reply(desk, source):
    one = desk.ticket(at(*MON, 9))
    desk.reply(one, at(*MON, 9, 30))
    desk.inbound(one, at(*MON, 10))  # after the reply: does not count
    three = desk.ticket(at(*MON, 10))
    desk.inbound(three, at(*MON, 10, 5))
    desk.inbound(three, at(*MON, 10, 10), channel=Channel.CHAT)  # any channel counts
    desk.reply(three, at(*MON, 11))
    two = desk.ticket(at(*MON, 11))
    desk.automatic(two, at(*MON, 11, 0, 5))  # a rule's acknowledgement is not the first reply
    desk.inbound(two, at(*MON, 11, 10))
    desk.note(two, at(*MON, 11, 15))
    desk.reply(two, at(*MON, 12))
    call = desk.ticket(at(*MON, 12), channel=Channel.PHONE, body="")
    desk.call(call, at(*MON, 12))
    proactive = desk.ticket(at(*MON, 13), is_proactive=True, body="Your order shipped.")
    desk.inbound(proactive, at(*MON, 14))
    desk.reply(proactive, at(*MON, 14, 30))
    desk.ticket(at(*MON, 15))  # never answered: not in the mean
    source.refresh()
    scope = week()
    source.check(scope)

    # Over tickets first answered in the week (the proactive one has no first response time):
    # 1 + 3 + 2 + 1 (the call is the customer's message) = 7 over 4 tickets = 1.75.
    mean = figures.figure(scope, "messages_before_first_reply")
    assert (mean.count, mean.total) == (4, 7)
    assert mean.mean == pytest.approx(1.75)


def test_a_message_taken_in_late_still_counts_once_the_rollups_were_built(desk, source):
    # Intake stamps a new ticket with the moment the mail was received (channels_intake: created_at=received_at);
    # a queue or a retry may process it minutes later. The rollups were built before it was processed.
    now = timezone.now()
    today = timezone.localdate()
    scope = scope_for_days(today - timedelta(days=1), today)
    answered = desk.ticket(now - timedelta(hours=1))
    desk.reply(answered, now - timedelta(minutes=50))
    source.refresh()
    late = desk.ticket(now - timedelta(minutes=5))  # received 5 minutes ago, processed now; nobody answered yet
    source.refresh()
    source.check(scope)

    # Created: 2; unanswered: the late one → 1 of 2.
    unanswered = figures.figure(scope, "unanswered")
    assert (unanswered.numerator, unanswered.denominator) == (1, 2), (
        f"{source.name}: ticket #{late.pk} (created_at 5 min before it was written, updated_at the same) "
        f"is missing: got {unanswered.numerator} of {unanswered.denominator}"
    )
