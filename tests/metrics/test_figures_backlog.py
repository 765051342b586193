"""The backlog now and its age bands, worked out by hand.

The backlog is read live at the moment of the query, whatever the period and the rollup setting:
tickets not solved or closed, aged from their creation.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.utils import timezone

from metrics import figures
from metrics.scope import scope_for_days
from tests.factories import TeamFactory
from tickets import services
from tickets.models import Ticket

Status = Ticket.Status


@pytest.fixture
def backlog_tickets(desk):
    now = timezone.now()
    team = TeamFactory()

    def ticket(age: timedelta, status: str | None = None, **kwargs) -> Ticket:
        made = desk.ticket(now - age, **kwargs)
        if status:
            desk.reply(made, now - age + timedelta(minutes=5))  # new → open
            if status != Status.OPEN:
                services.ticket_change_status(ticket=made, status=status, at=now - age + timedelta(minutes=10))
        return made

    ticket(timedelta(hours=2))  # new, < 1 day
    two_days = ticket(timedelta(days=2), Status.OPEN, team=team)  # 1–3 days
    ticket(timedelta(days=5), Status.PENDING)  # 3–7 days
    ticket(timedelta(days=10), Status.ON_HOLD, team=team)  # 7–30 days
    ticket(timedelta(days=40), Status.OPEN)  # > 30 days
    ticket(timedelta(hours=3), Status.SOLVED)  # not in the backlog
    closed = ticket(timedelta(days=6), Status.SOLVED)
    services.ticket_change_status(ticket=closed, status=Status.CLOSED)
    # An open ticket merged into the 2-day one: closed by the merge and left out.
    services.ticket_merge(source=ticket(timedelta(days=20), Status.OPEN), target=two_days)
    return team


def test_backlog_by_status_and_age(backlog_tickets):
    today = timezone.localdate()
    backlog = figures.figure(scope_for_days(today - timedelta(days=29), today), "backlog")

    # Five tickets not solved or closed: new 1, open 2, pending 1, on hold 1; one in each age band.
    assert backlog.total == 5
    assert backlog.by_status == {"new": 1, "open": 2, "pending": 1, "on_hold": 1}
    assert backlog.ages == {"<1d": 1, "1-3d": 1, "3-7d": 1, "7-30d": 1, ">30d": 1}


def test_backlog_follows_the_filters_not_the_dates(backlog_tickets):
    # The team's two open tickets (2 days open, 10 days on hold), even for a period long past.
    backlog = figures.figure(scope_for_days(date(2020, 1, 1), date(2020, 1, 31), team=backlog_tickets.pk), "backlog")
    assert backlog.total == 2
    assert backlog.by_status == {"new": 0, "open": 1, "pending": 0, "on_hold": 1}
    assert backlog.ages == {"<1d": 0, "1-3d": 1, "3-7d": 0, "7-30d": 1, ">30d": 0}
