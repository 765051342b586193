"""series() per day and per week, and breakdown() per team and per agent, by hand, on both paths.

Monday 2025-01-06 to Thursday 2025-01-09, in the site's time zone (`at`).
"""

from __future__ import annotations

from datetime import date

import pytest

from metrics import figures
from metrics.scope import scope_for_days
from tests.factories import AgentFactory, TeamFactory, TimeEntryFactory
from tests.metrics.conftest import at

MON, TUE, WED, THU = date(2025, 1, 6), date(2025, 1, 7), date(2025, 1, 8), date(2025, 1, 9)


@pytest.fixture
def days(desk):
    anna, bert = AgentFactory(first_name="Anna"), AgentFactory(first_name="Bert")
    billing = TeamFactory(name="Billing", members=[anna])
    shipping = TeamFactory(name="Shipping", members=[bert])

    # Monday: S1 and S2 created (Billing, Anna). S1 answered after 30 min, solved at 11:00 (1 h, one contact).
    s1 = desk.ticket(at(2025, 1, 6, 10), team=billing, assignee=anna)
    desk.reply(s1, at(2025, 1, 6, 10, 30), agent=anna)
    desk.solve(s1, at(2025, 1, 6, 11))
    s2 = desk.ticket(at(2025, 1, 6, 10), team=billing, assignee=anna)
    desk.reply(s2, at(2025, 1, 6, 10, 30), agent=anna)
    # Tuesday: S2 gets a second exchange and is solved at 10:00 (24 h, two contacts).
    desk.inbound(s2, at(2025, 1, 7, 9))
    desk.reply(s2, at(2025, 1, 7, 9, 30), agent=anna)
    desk.solve(s2, at(2025, 1, 7, 10))
    # Tuesday: S3 created (Shipping, Bert), answered after 20 min, solved at 11:00 (1 h, one contact).
    s3 = desk.ticket(at(2025, 1, 7, 10), team=shipping, assignee=bert)
    desk.reply(s3, at(2025, 1, 7, 10, 20), agent=bert)
    desk.solve(s3, at(2025, 1, 7, 11))
    # Wednesday: S4 created (Shipping, Bert), never answered.
    desk.ticket(at(2025, 1, 8, 10), team=shipping, assignee=bert)
    # Time: Anna 10 min on S1, Bert 5 min on S3, at the default 1.60 a minute.
    TimeEntryFactory(ticket=s1, agent=anna, seconds=600, created_at=at(2025, 1, 6, 11))
    TimeEntryFactory(ticket=s3, agent=bert, seconds=300, created_at=at(2025, 1, 7, 11))
    return {"anna": anna, "bert": bert, "billing": billing, "shipping": shipping}


def four_days(**filters):
    return scope_for_days(MON, THU, **filters)


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("created", [2, 1, 1, 0]),
        ("solved", [1, 2, 0, 0]),
        # Solved with one contact ÷ solved with a contact: Monday S1 1/1; Tuesday S3 of S2, S3 = 1/2.
        ("fcr", [100.0, 50.0, None, None]),
        # Created that day with a customer message and no reply yet: Wednesday's S4, 1 of 1.
        ("unanswered", [0.0, 0.0, 100.0, None]),
        # Mean resolution of the day's solves: Monday 1 h; Tuesday (24 h + 1 h) / 2 = 12.5 h.
        ("resolution_time", [3600, 45000, None, None]),
        # Median first response of the day's first replies: Monday 30 min (twice); Tuesday 20 min.
        ("first_response_time", [1800, 1200, None, None]),
        ("messages_before_first_reply", [1.0, 1.0, None, None]),
        ("reopen_rate", [0.0, 0.0, None, None]),
        # Handle time logged that day ÷ tickets solved that day: Monday 600 s / 1 (S1);
        # Tuesday 300 s / 2 (S2, S3) = 150 s; no solves on Wednesday or Thursday.
        ("handle_time", [600, 150, None, None]),
    ],
)
def test_series_per_day(days, source, key, expected):
    source.refresh()
    scope = four_days()
    source.check(scope)

    found = figures.series(scope, key, "day")

    assert [day for day, _ in found] == [MON, TUE, WED, THU]
    # Medians on the rollup path come from the duration histograms: within their 5% buckets.
    tolerance = 0.05 if source.is_rollup and key in ("first_response_time", "first_resolution_time") else 1e-6
    assert [value for _, value in found] == [
        pytest.approx(value, rel=tolerance) if value else value for value in expected
    ]


def test_series_per_week(days, source):
    source.refresh()
    scope = four_days()
    # One week, starting Monday: created 4, solved 3, FCR 2 of 3 (S1 and S3).
    assert figures.series(scope, "created", "week") == [(MON, 4)]
    assert figures.series(scope, "solved", "week") == [(MON, 3)]
    assert figures.series(scope, "fcr", "week") == [(MON, pytest.approx(200 / 3))]


def test_series_per_day_for_one_team(days, source):
    source.refresh()
    scope = four_days(team=days["shipping"].pk)
    source.check(scope)
    # Shipping: S3 created Tuesday, S4 Wednesday; S3 solved Tuesday at first contact.
    assert [value for _, value in figures.series(scope, "created")] == [0, 1, 1, 0]
    assert [value for _, value in figures.series(scope, "fcr")] == [None, 100.0, None, None]


def test_breakdown_per_team(days, source):
    source.refresh()
    scope = four_days()
    source.check(scope)

    rows = figures.breakdown(scope, "team")

    # Billing: S1 and S2 created and solved; FCR 1 of 2; FRT 30 min both; resolution (1 h + 24 h) / 2;
    #   10 min × 1.60 = 16.00 of labour over 2 solved = 8.00 a ticket.
    # Shipping: S3 and S4 created, S3 solved at first contact; FRT 20 min; resolution 1 h;
    #   5 min × 1.60 = 8.00 over 1 solved.
    assert [row["name"] for row in rows] == ["Billing", "Shipping"]
    billing, shipping = rows
    assert billing["id"] == days["billing"].pk
    assert (billing["created"], billing["solved"], billing["fcr"], billing["reopen_rate"]) == (2, 2, 50.0, 0.0)
    assert billing["first_response_mean"] == 1800
    assert billing["resolution_mean"] == 45000
    assert (billing["handle_seconds"], billing["labour_cost"], billing["cost_per_ticket"]) == (600, 16, 8)
    assert (billing["csat"], billing["csat_answers"]) == (None, 0)
    assert (shipping["created"], shipping["solved"], shipping["fcr"], shipping["reopen_rate"]) == (2, 1, 100.0, 0.0)
    assert shipping["first_response_mean"] == 1200
    assert shipping["resolution_mean"] == 3600
    assert (shipping["handle_seconds"], shipping["labour_cost"], shipping["cost_per_ticket"]) == (300, 8, 8)


def test_breakdown_per_agent(days, source):
    source.refresh()
    rows = {row["id"]: row for row in figures.breakdown(four_days(), "agent")}

    anna, bert = rows[days["anna"].pk], rows[days["bert"].pk]
    assert (anna["created"], anna["solved"], anna["fcr"], anna["handle_seconds"]) == (2, 2, 50.0, 600)
    assert (bert["created"], bert["solved"], bert["fcr"], bert["handle_seconds"]) == (2, 1, 100.0, 300)
