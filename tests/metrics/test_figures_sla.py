"""SLA attainment, by hand, on both read paths.

No team: business hours are the site's, Monday to Friday 09:00–17:00. Monday 2025-01-06.
Policy for normal priority: first response within 60 business minutes, resolution within 8 business hours.
"""

from __future__ import annotations

from datetime import date

import pytest

from metrics import figures
from metrics.scope import scope_for_days
from tests.metrics.conftest import at
from tickets import services
from tickets.models import SlaPolicy, Ticket

pytestmark = pytest.mark.django_db


def week():
    return scope_for_days(date(2025, 1, 6), date(2025, 1, 12))


def test_no_policy_means_no_sla_figure(desk, source):
    ticket = desk.ticket(at(2025, 1, 6, 10))
    desk.reply(ticket, at(2025, 1, 6, 10, 30))
    desk.solve(ticket, at(2025, 1, 6, 11))
    source.refresh()
    assert figures.figure(week(), "sla") is None


@pytest.fixture
def policy(db):
    return SlaPolicy.objects.create(priority="normal", first_response_minutes=60, resolution_minutes=8 * 60)


def test_tickets_meet_both_targets_or_miss(desk, source, policy):
    # A: reply after 30 min, solved after 2 h: met.
    a = desk.ticket(at(2025, 1, 6, 10))
    desk.reply(a, at(2025, 1, 6, 10, 30))
    desk.solve(a, at(2025, 1, 6, 12))
    # B: first reply after 90 business minutes: missed, though solved in time.
    b = desk.ticket(at(2025, 1, 6, 10))
    desk.reply(b, at(2025, 1, 6, 11, 30))
    desk.solve(b, at(2025, 1, 6, 12))
    # C: Friday 16:30 → reply Monday 09:10 is 40 business minutes; solved Monday 15:00 = 6.5 business h: met.
    c = desk.ticket(at(2025, 1, 3, 16, 30))
    desk.reply(c, at(2025, 1, 6, 9, 10))
    desk.solve(c, at(2025, 1, 6, 15))
    # D: solved Tuesday 12:00 after 10 business hours (Mon 10–17 = 7 h, Tue 9–12 = 3 h): missed.
    d = desk.ticket(at(2025, 1, 6, 10))
    desk.reply(d, at(2025, 1, 6, 10, 5))
    desk.solve(d, at(2025, 1, 7, 12))
    # E: still open: not due yet, not counted.
    desk.ticket(at(2025, 1, 6, 10))
    source.refresh()
    scope = week()
    source.check(scope)

    sla = figures.figure(scope, "sla")

    assert (sla.numerator, sla.denominator) == (2, 4)
    assert sla.percent == 50.0
    met = figures.tickets_behind(scope, "sla", "met")
    assert sorted(met.values_list("pk", flat=True)) == sorted([a.pk, c.pk])


def test_a_ticket_without_a_policy_for_its_priority_is_not_counted(desk, source, policy):
    urgent = desk.ticket(at(2025, 1, 6, 10))
    services.ticket_change_priority(ticket=urgent, priority=Ticket.Priority.URGENT)
    desk.reply(urgent, at(2025, 1, 6, 10, 5))
    desk.solve(urgent, at(2025, 1, 6, 11))
    source.refresh()

    sla = figures.figure(week(), "sla")

    assert (sla.numerator, sla.denominator) == (0, 0)
    urgent.refresh_from_db()
    assert urgent.sla_first_response_target is None


def test_a_priority_change_takes_that_priority_s_targets(desk, policy):
    ticket = desk.ticket(at(2025, 1, 6, 10))
    assert (ticket.sla_first_response_target, ticket.sla_resolution_target) == (3600, 8 * 3600)
    SlaPolicy.objects.create(priority="high", first_response_minutes=15, resolution_minutes=120)

    services.ticket_change_priority(ticket=ticket, priority=Ticket.Priority.HIGH)

    ticket.refresh_from_db()
    assert (ticket.sla_first_response_target, ticket.sla_resolution_target) == (900, 7200)
