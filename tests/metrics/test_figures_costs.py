"""Handle time, cost per minute and cost per ticket, worked out by hand with Decimal.

The week of Monday 2025-01-06 (7 days). Rates: the ticket's team's rate wins over the agent's, which
wins over the default. A monthly overhead is spread over the period's days, 30.4375 days a month.
"""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal

import pytest

from metrics import figures
from metrics.models import CostSettings
from metrics.scope import scope_for_days
from tests.factories import AgentFactory, TeamFactory, TimeEntryFactory
from tests.metrics.conftest import at
from tickets import services

CENT = Decimal("0.01")


def cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_EVEN)


def week(**filters):
    return scope_for_days(date(2025, 1, 6), date(2025, 1, 12), **filters)


@pytest.fixture
def worked(desk):
    """Four solved tickets, six time entries (one moved by a merge), one entry outside the week."""
    CostSettings.objects.create(default_cost_per_minute=Decimal("1.60"), monthly_overhead=Decimal("608.75"))
    xavier = AgentFactory(cost_per_minute=Decimal("1.00"))
    yara = AgentFactory()  # no rate of her own
    billing = TeamFactory(name="Billing", cost_per_minute=Decimal("2.00"), members=[xavier, yara])
    shipping = TeamFactory(name="Shipping", members=[xavier, yara])

    monday = at(2025, 1, 6, 10)
    t1 = desk.ticket(monday, team=billing, assignee=xavier)
    t2 = desk.ticket(monday, team=shipping, assignee=xavier)
    t3 = desk.ticket(monday, team=shipping, assignee=yara)
    t4 = desk.ticket(monday, assignee=yara)  # no team
    merged = desk.ticket(monday, team=billing, assignee=yara)

    def entry(ticket, agent, seconds, when=monday):
        TimeEntryFactory(ticket=ticket, agent=agent, seconds=seconds, created_at=when)

    entry(t1, xavier, 600)  # Billing's rate: 10 min × 2.00 = 20.00
    entry(t1, yara, 300)  # Billing's rate:  5 min × 2.00 = 10.00
    entry(t2, xavier, 1200)  # Xavier's own: 20 min × 1.00 = 20.00
    entry(t3, yara, 900)  # the default:   15 min × 1.60 = 24.00
    entry(t4, yara, 300)  # the default:    5 min × 1.60 =  8.00
    # On a Billing ticket, then merged into t3 (Shipping): counts on t3, at the default: 10 min × 1.60 = 16.00.
    entry(merged, yara, 600)
    services.ticket_merge(source=merged, target=t3)
    entry(t1, xavier, 6000, when=at(2025, 1, 20, 10))  # another week
    for ticket in (t1, t2, t3, t4):
        desk.solve(ticket, at(2025, 1, 7, 12))
    return {"xavier": xavier, "yara": yara, "billing": billing, "shipping": shipping}


# The week: 600 + 300 + 1200 + 900 + 300 + 600 = 3900 s = 65 min of handle time on 4 tickets.
WEEK_SECONDS = 3900
WEEK_LABOUR = Decimal("98.00")  # 20.00 + 10.00 + 20.00 + 24.00 + 8.00 + 16.00, from the entries above
# 608.75 a month × 7 days ÷ 30.4375 days a month = 140.00.
WEEK_OVERHEAD = Decimal("608.75") * 7 / Decimal("30.4375")


def test_handle_time_per_ticket(worked, source):
    source.refresh()
    # 3900 s over the 4 tickets solved in the week (the merged one's time is on t3) = 975 s.
    handle = figures.figure(week(), "handle_time")
    assert (handle.count, handle.total) == (4, WEEK_SECONDS)
    assert handle.mean == 975


def test_cost_per_minute_and_per_ticket(worked, source):
    source.refresh()
    scope = week()
    source.check(scope)

    costs = figures.figure(scope, "cost_per_minute")
    assert costs.handle_seconds == WEEK_SECONDS
    assert costs.labour_cost == WEEK_LABOUR
    assert costs.overhead == cents(WEEK_OVERHEAD) == Decimal("140.00")
    assert costs.solved == 4
    # (98.00 + 140.00) ÷ 65 min = 3.6615… → 3.66 a minute; ÷ 4 solved tickets = 59.50 a ticket.
    assert costs.total_cost == Decimal("238.00")
    assert costs.cost_per_minute == Decimal("3.66")
    assert costs.cost_per_ticket == Decimal("59.50")
    assert figures.figure(scope, "cost_per_ticket") == costs


def test_a_team_carries_its_share_of_the_overhead(worked, source):
    source.refresh()
    scope = week(team=worked["billing"].pk)
    source.check(scope)

    # Billing: t1's 600 + 300 s = 900 s (15 min) at 2.00 = 30.00; the merged ticket's 600 s now count on Shipping.
    # Overhead share: 140.00 × 900 / 3900 = 32.307… → 32.31. Total 62.31 → 62.31 / 15 = 4.154 → 4.15 a minute;
    # one Billing ticket solved → 62.31 a ticket.
    share = cents(WEEK_OVERHEAD * 900 / WEEK_SECONDS)
    assert share == Decimal("32.31")
    costs = figures.figure(scope, "cost_per_minute")
    assert (costs.handle_seconds, costs.labour_cost, costs.overhead, costs.solved) == (
        900,
        Decimal("30.00"),
        share,
        1,
    )
    assert costs.cost_per_minute == cents(Decimal("62.31") / 15) == Decimal("4.15")
    assert costs.cost_per_ticket == Decimal("62.31")


def test_an_agent_carries_their_share_of_the_overhead(worked, source):
    source.refresh()
    scope = week(agent=worked["xavier"].pk)
    source.check(scope)

    # Xavier's time: 600 s on t1 (Billing's 2.00: 20.00) + 1200 s on t2 (his own 1.00: 20.00) = 1800 s, 40.00.
    # Overhead share 140.00 × 1800 / 3900 = 64.615… → 64.62; total 104.62 → ÷ 30 min = 3.487… → 3.49;
    # solved tickets assigned to him: t1, t2 → 104.62 / 2 = 52.31.
    costs = figures.figure(scope, "cost_per_minute")
    assert (costs.handle_seconds, costs.labour_cost, costs.overhead, costs.solved) == (
        1800,
        Decimal("40.00"),
        Decimal("64.62"),
        2,
    )
    assert costs.cost_per_minute == Decimal("3.49")
    assert costs.cost_per_ticket == Decimal("52.31")


def test_without_cost_settings_the_site_default_rate_and_no_overhead(desk, settings):
    settings.HELPDESK_DEFAULT_COST_PER_MINUTE = Decimal("1.60")
    ticket = desk.ticket(at(2025, 1, 6, 10))
    TimeEntryFactory(ticket=ticket, agent=desk.agent, seconds=450, created_at=at(2025, 1, 6, 11))
    desk.solve(ticket, at(2025, 1, 6, 12))

    # 7.5 min × 1.60 = 12.00; no overhead; 12.00 / 7.5 = 1.60 a minute; one ticket solved → 12.00.
    costs = figures.figure(week(), "cost_per_ticket")
    assert (costs.labour_cost, costs.overhead) == (Decimal("12.00"), Decimal("0.00"))
    assert (costs.cost_per_minute, costs.cost_per_ticket) == (Decimal("1.60"), Decimal("12.00"))
