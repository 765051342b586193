"""Channel mix, customers by number of channels, the escalation matrix and peak hours, by hand, on both paths.

2025-01-08 is a Wednesday. Tehran is UTC+03:30, Berlin UTC+01:00 in January.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from metrics import figures
from metrics.scope import scope_for_days
from tests.factories import CustomerFactory, TeamFactory
from tests.metrics.conftest import at
from tickets import services
from tickets.models import Channel

MON = (2025, 1, 6)
UTC = ZoneInfo("UTC")


def week(**filters):
    return scope_for_days(date(2025, 1, 6), date(2025, 1, 12), **filters)


def test_channel_mix_and_customers_by_number_of_channels(desk, source):
    three, one, two, proactive_only = (CustomerFactory() for _ in range(4))
    # `three` writes on email, chat and phone (three tickets).
    for channel in (Channel.EMAIL, Channel.CHAT, Channel.PHONE):
        desk.ticket(at(*MON, 10), channel=channel, customer=three)
    # `one` opens two email tickets.
    desk.ticket(at(*MON, 11), customer=one)
    desk.ticket(at(*MON, 12), customer=one)
    # `two` starts on chat and writes again by email on the same ticket.
    chat = desk.ticket(at(*MON, 13), channel=Channel.CHAT, customer=two)
    desk.inbound(chat, at(*MON, 14), channel=Channel.EMAIL)
    # Support writes to `proactive_only`, who never writes: an email ticket, but no channel used by the customer.
    desk.ticket(at(*MON, 15), customer=proactive_only, is_proactive=True, body="Your plan renews tomorrow.")
    # A chat ticket merged into another: not a ticket of its own, its message still the customer's (on chat).
    services.ticket_merge(source=desk.ticket(at(*MON, 16), channel=Channel.CHAT, customer=one), target=chat)
    source.refresh()
    scope = week()
    source.check(scope)

    mix = figures.figure(scope, "channel_mix")
    # Tickets by channel of origin: email 2 (one) + 1 (three) + 1 (proactive) = 4; chat 1 (three) + 1 (two) = 2;
    # phone 1; the merged-away chat ticket left out.
    assert mix["tickets"] == {"email": 4, "chat": 2, "phone": 1, "portal": 0, "social": 0, "api": 0}
    # Customers by channels they wrote on: three → 3; two → 2 (chat, email); one → 2 (email, and chat on the
    # merged ticket). {3: 1, 2: 2}; the proactive-only customer did not write.
    assert figures.figure(scope, "customers_by_channels") == {3: 1, 2: 2}
    # Customers on 3–5 channels: 1 of 3.
    multichannel = figures.figure(scope, "multichannel_customers")
    assert (multichannel.numerator, multichannel.denominator) == (1, 3)


def test_escalation_matrix(desk, source):
    # Four chat tickets: one escalated to email (and back and to email again: still one ticket),
    # one moved to phone by the customer calling and then back to chat, two stay on chat.
    chats = [desk.ticket(at(*MON, 9 + n), channel=Channel.CHAT) for n in range(4)]
    for channel in (Channel.EMAIL, Channel.CHAT, Channel.EMAIL):
        services.ticket_switch_channel(ticket=chats[0], channel=channel, actor=desk.agent)
    desk.inbound(chats[1], at(*MON, 14), channel=Channel.PHONE)
    desk.inbound(chats[1], at(*MON, 15), channel=Channel.CHAT)
    # Five phone tickets, one followed up by email.
    phones = [desk.ticket(at(*MON, 9 + n), channel=Channel.PHONE) for n in range(5)]
    desk.reply(phones[0], at(*MON, 16), channel=Channel.EMAIL)
    # A merged-away chat ticket escalated to email: left out of both counts.
    merged = desk.ticket(at(*MON, 13), channel=Channel.CHAT)
    services.ticket_switch_channel(ticket=merged, channel=Channel.EMAIL, actor=desk.agent)
    services.ticket_merge(source=merged, target=chats[3])
    source.refresh()
    scope = week()
    source.check(scope)

    matrix = figures.figure(scope, "escalations")
    # chat → email 1 of 4 = 25%; chat → phone 1 of 4 = 25% (coming back to chat adds nothing);
    # phone → email 1 of 5 = 20%; email had no tickets: 0 of 0.
    assert (matrix["chat"]["email"].numerator, matrix["chat"]["email"].denominator) == (1, 4)
    assert matrix["chat"]["email"].percent == 25.0
    assert (matrix["chat"]["phone"].numerator, matrix["chat"]["phone"].denominator) == (1, 4)
    assert matrix["chat"]["portal"].numerator == 0
    assert "chat" not in matrix["chat"]
    assert matrix["phone"]["email"].percent == 20.0
    assert matrix["email"]["phone"].percent is None
    assert list(figures.tickets_behind(scope, "escalations", "chat>email")) == [chats[0]]


def utc(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2025, 1, day, hour, minute, tzinfo=UTC)


@pytest.fixture
def arrivals(desk):
    """Inbound messages for a Tehran and a Berlin team, at UTC moments chosen to land on known local hours."""
    tehran = TeamFactory(name="Tehran", time_zone="Asia/Tehran")
    berlin = TeamFactory(name="Berlin", time_zone="Europe/Berlin")
    # Wed 08:00 UTC = Wed 11:30 in Tehran: weekday 2 (Monday is 0), hour 11. The agent's reply is not an arrival.
    tehran_chat = desk.ticket(utc(8, 8), channel=Channel.CHAT, team=tehran)
    desk.reply(tehran_chat, utc(8, 8, 5))
    # ... and a second chat message at Wed 08:20 UTC = 11:50 Tehran: the same cell.
    desk.inbound(tehran_chat, utc(8, 8, 20))
    # The same UTC moment for Berlin = Wed 09:00 local: [2][9], on email.
    desk.ticket(utc(8, 8), team=berlin)
    # Wed 21:00 UTC = Thu 00:30 in Tehran: weekday 3, hour 0.
    desk.ticket(utc(8, 21), channel=Channel.PHONE, team=tehran)
    return {"tehran": tehran, "berlin": berlin}


def test_peak_hours_in_each_teams_time_zone(arrivals, source):
    source.refresh()
    # Monday 6th to Sunday 12th: every message above is well inside, whichever midnight is used.
    scope = week()
    source.check(scope)

    grid = figures.figure(scope, "peak_hours")

    assert grid["chat"][2][11] == 2
    assert grid["email"][2][9] == 1
    assert grid["phone"][3][0] == 1
    assert sum(sum(row) for rows in grid.values() for row in rows) == 4

    # Only Tehran's team: its three messages.
    tehran = figures.figure(week(team=arrivals["tehran"].pk), "peak_hours")
    assert tehran["chat"][2][11] == 2
    assert tehran["phone"][3][0] == 1
    assert sum(sum(row) for rows in tehran.values() for row in rows) == 3


def test_peak_hours_period_edges(arrivals, source):
    source.refresh()
    # Wednesday 8th only. Tehran's Thursday 00:30 message is Wed 21:00 UTC: both paths count each
    # team's own local days (metrics.queries.arrivals.peak_hours), so Tehran's local Thursday is out.
    scope = scope_for_days(date(2025, 1, 8), date(2025, 1, 8))
    grid = figures.figure(scope, "peak_hours")
    assert grid["chat"][2][11] == 2
    assert grid["email"][2][9] == 1
    assert grid["phone"][3][0] == 0, (
        f"{source.name}: a message on Thursday 00:30 Tehran time counted in a Wednesday period"
    )
