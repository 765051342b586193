"""First response, resolution and first resolution time, each worked out by hand, on both read paths.

Tickets here have no team, so business hours are the site's: Monday to Friday, 09:00 to 17:00.
2025-01-06 is a Monday. Every moment is in the site's time zone (`at`).
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.utils import timezone

from metrics import figures
from metrics.scope import scope_for_days
from metrics.values import DurationStats
from tests.metrics.conftest import at
from tickets import services
from tickets.models import Channel

HOUR = 3600
# The rollup histogram's documented precision (metrics.histogram): percentiles within 5%.
HISTOGRAM_TOLERANCE = 0.05


def assert_stats(stats: DurationStats, *, count: int, mean: float, median: float, p90: float) -> None:
    """Count and mean are exact on both paths; percentiles exact when read live, else the histogram's tolerance."""
    assert stats.count == count
    assert stats.mean == pytest.approx(mean)
    if stats.exact:
        assert (stats.median, stats.p90) == (pytest.approx(median), pytest.approx(p90))


def week(**filters):
    return scope_for_days(date(2025, 1, 6), date(2025, 1, 12), **filters)


# --- first response time ------------------------------------------------------------------------------


def _first_responses(desk):
    """Wednesday 2025-01-08: four tickets answered by a person, and three that must not count."""
    wed = (2025, 1, 8)
    # 60 s: the automatic acknowledgement at 10:00:30 is not a reply; the person's at 10:01 is.
    acknowledged = desk.ticket(at(*wed, 10))
    desk.automatic(acknowledged, at(*wed, 10, 0, 30))
    desk.reply(acknowledged, at(*wed, 10, 1))
    # 0 s: a call an agent took is the customer's message and the first response at once.
    call = desk.ticket(at(*wed, 11), channel=Channel.PHONE, body="")
    desk.call(call, at(*wed, 11))
    # 300 s and 900 s.
    desk.reply(desk.ticket(at(*wed, 12)), at(*wed, 12, 5))
    desk.reply(desk.ticket(at(*wed, 13)), at(*wed, 13, 15))
    # Left out: opened by support (proactive), even once the customer answered and was answered again.
    proactive = desk.ticket(at(*wed, 14), is_proactive=True, body="Your card expires soon.")
    desk.inbound(proactive, at(*wed, 15))
    desk.reply(proactive, at(*wed, 15, 10))
    # Left out: only a rule answered ("replies only by rules"), so there is no first response yet.
    rules_only = desk.ticket(at(*wed, 14))
    desk.automatic(rules_only, at(*wed, 14, 0, 10))
    # Left out: an internal note is not a reply either.
    desk.note(desk.ticket(at(*wed, 16)), at(*wed, 16, 30))


def test_first_response_counts_replies_by_people_only(desk, source):
    _first_responses(desk)
    source.refresh()
    scope = week()
    source.check(scope)

    frt = figures.figure(scope, "first_response_time")

    # Four durations: 0, 60, 300, 900 s → mean 1260 / 4 = 315 s. All within Wednesday 09–17: business = calendar.
    assert frt.calendar.count == frt.business.count == 4
    assert frt.calendar.mean == frt.business.mean == 315
    behind = figures.tickets_behind(scope, "first_response_time")
    assert sorted(behind.values_list("first_response_seconds", flat=True)) == [0, 60, 300, 900]


def test_first_response_percentiles_interpolate_between_an_even_count(desk, source):
    _first_responses(desk)
    source.refresh()
    scope = week()
    source.check(scope)

    frt = figures.figure(scope, "first_response_time")

    # Sorted 0, 60, 300, 900 (n = 4), interpolated like percentile_cont:
    #   median at rank 0.5 × 3 = 1.5 → 60 + 0.5 × (300 − 60) = 180 s
    #   p90    at rank 0.9 × 3 = 2.7 → 300 + 0.7 × (900 − 300) = 720 s
    for stats in (frt.calendar, frt.business):
        assert (stats.count, stats.mean) == (4, 315)
        if source.is_rollup:
            # Unfiltered and whole days: read from the histogram, approximate within its documented 5%.
            assert stats.exact is False
            assert stats.median == pytest.approx(180, rel=HISTOGRAM_TOLERANCE), (
                f"rollup median {stats.median} is not within 5% of 180 (live percentile_cont)"
            )
            assert stats.p90 == pytest.approx(720, rel=HISTOGRAM_TOLERANCE), (
                f"rollup p90 {stats.p90} is not within 5% of 720 (live percentile_cont)"
            )
        else:
            assert stats.exact is True
            assert (stats.median, stats.p90) == (pytest.approx(180), pytest.approx(720))


def test_first_response_counts_in_the_period_of_the_first_reply(desk, source):
    # Asked Tuesday 16:30, answered Wednesday 09:30: 17 h of calendar time;
    # business Tue 16:30–17:00 (30 min) + Wed 09:00–09:30 (30 min) = 1 h.
    ticket = desk.ticket(at(2025, 1, 7, 16, 30))
    desk.reply(ticket, at(2025, 1, 8, 9, 30))
    source.refresh()
    tuesday = scope_for_days(date(2025, 1, 7), date(2025, 1, 7))
    wednesday = scope_for_days(date(2025, 1, 8), date(2025, 1, 8))
    source.check(tuesday)

    assert figures.figure(tuesday, "first_response_time").calendar.count == 0
    frt = figures.figure(wednesday, "first_response_time")
    assert_stats(frt.calendar, count=1, mean=17 * HOUR, median=17 * HOUR, p90=17 * HOUR)
    assert_stats(frt.business, count=1, mean=HOUR, median=HOUR, p90=HOUR)


def test_a_merged_tickets_earlier_reply_becomes_the_targets_first_response(desk, source):
    # Target: asked Monday 10:00, answered 14:00 (4 h). Source: asked 09:00, answered 09:30 (30 min).
    target = desk.ticket(at(2025, 1, 6, 10))
    desk.reply(target, at(2025, 1, 6, 14))
    merged = desk.ticket(at(2025, 1, 6, 9))
    desk.reply(merged, at(2025, 1, 6, 9, 30))
    services.ticket_merge(source=merged, target=target)
    source.refresh()
    scope = week()
    source.check(scope)

    # The source is left out; its messages count on the target, whose first customer message is now
    # 09:00 and first reply 09:30: one ticket, 1800 s (and not two tickets, (14400 + 1800) / 2).
    frt = figures.figure(scope, "first_response_time")
    assert_stats(frt.calendar, count=1, mean=1800, median=1800, p90=1800)
    target.refresh_from_db()
    assert (target.first_response_seconds, target.contact_count, target.inbound_before_first_reply) == (1800, 2, 1)
    assert list(figures.tickets_behind(scope, "first_response_time")) == [target]


# --- resolution and first resolution ------------------------------------------------------------------


def test_a_reopened_ticket_counts_once_at_its_last_solve(desk, source):
    # A: created Mon 10:00, solved Mon 12:00 (first resolution 2 h), the customer writes Tue 09:00 (reopens),
    #    solved again Wed 10:00 → resolution 48 h; business Mon 10–17 (7) + Tue (8) + Wed 09–10 (1) = 16 h.
    reopened = desk.ticket(at(2025, 1, 6, 10))
    desk.reply(reopened, at(2025, 1, 6, 10, 30))
    desk.solve(reopened, at(2025, 1, 6, 12))
    desk.inbound(reopened, at(2025, 1, 7, 9))
    desk.solve(reopened, at(2025, 1, 8, 10))
    # D: created Mon 10:00, solved 11:00 (first resolution 1 h), reopened by an agent Tue 10:00, still open:
    #    no resolution yet.
    still_open = desk.ticket(at(2025, 1, 6, 10))
    desk.solve(still_open, at(2025, 1, 6, 11))
    desk.reopen(still_open, at(2025, 1, 7, 10))
    # B: created Thu 09:00, solved Thu 15:00 → 6 h, all of it business hours.
    plain = desk.ticket(at(2025, 1, 9, 9))
    desk.solve(plain, at(2025, 1, 9, 15))
    source.refresh()
    scope = week()
    source.check(scope)

    # ART over the tickets whose last solve is in the week: A (48 h) and B (6 h) → mean 27 h;
    # median of two = 27 h; p90 = 6 + 0.9 × (48 − 6) = 43.8 h.
    # Business: A 16 h, B 6 h → mean 11 h, median 11 h, p90 6 + 0.9 × 10 = 15 h.
    art = figures.figure(scope, "resolution_time")
    assert_stats(art.calendar, count=2, mean=27 * HOUR, median=27 * HOUR, p90=43.8 * HOUR)
    assert_stats(art.business, count=2, mean=11 * HOUR, median=11 * HOUR, p90=15 * HOUR)

    # First resolution stays at the first solve: A 2 h, D 1 h, B 6 h → mean 3 h, median 2 h,
    # p90 at rank 0.9 × 2 = 1.8 → 2 + 0.8 × (6 − 2) = 5.2 h. All within business hours.
    first = figures.figure(scope, "first_resolution_time")
    assert_stats(first.calendar, count=3, mean=3 * HOUR, median=2 * HOUR, p90=5.2 * HOUR)
    assert_stats(first.business, count=3, mean=3 * HOUR, median=2 * HOUR, p90=5.2 * HOUR)

    # Solved in the week: A and B (D is open again); one of them was reopened.
    assert figures.figure(scope, "reopen_rate").numerator == 1
    assert figures.figure(scope, "reopen_rate").denominator == 2


def test_a_period_boundary_cutting_a_tickets_life(desk, source):
    # C: created Thu 2025-01-30 10:00, solved Fri 01-31 10:00 (first resolution 24 h; business Thu 10–17 (7)
    #    + Fri 09–10 (1) = 8 h), reopened by the customer Mon 02-03 09:00, solved Tue 02-04 10:00:
    #    resolution 5 days = 120 h; business Thu 7 + Fri 8 + Mon 8 + Tue 1 = 24 h.
    cut = desk.ticket(at(2025, 1, 30, 10))
    desk.solve(cut, at(2025, 1, 31, 10))
    desk.inbound(cut, at(2025, 2, 3, 9))
    desk.solve(cut, at(2025, 2, 4, 10))
    # E: created Fri 01-31 15:00, solved Mon 02-03 11:00: 68 h; business Fri 15–17 (2) + Mon 09–11 (2) = 4 h.
    weekend = desk.ticket(at(2025, 1, 31, 15))
    desk.solve(weekend, at(2025, 2, 3, 11))
    source.refresh()
    january = scope_for_days(date(2025, 1, 1), date(2025, 1, 31))
    february = scope_for_days(date(2025, 2, 1), date(2025, 2, 28))
    source.check(january)

    # January: both were created in it, neither's last solve is in it; C's first solve is.
    assert figures.series(january, "created")[-2:] == [(date(2025, 1, 30), 1), (date(2025, 1, 31), 1)]
    assert figures.figure(january, "resolution_time").calendar.count == 0
    assert figures.figure(january, "resolution_time").calendar.mean is None
    jan_first = figures.figure(january, "first_resolution_time")
    assert_stats(jan_first.calendar, count=1, mean=24 * HOUR, median=24 * HOUR, p90=24 * HOUR)
    assert_stats(jan_first.business, count=1, mean=8 * HOUR, median=8 * HOUR, p90=8 * HOUR)
    assert figures.figure(january, "reopen_rate").denominator == 0

    # February: both count, at their last solve, with their whole lives: (120 + 68) / 2 = 94 h;
    # business (24 + 4) / 2 = 14 h. E's first resolution is in February, C's is not.
    art = figures.figure(february, "resolution_time")
    assert_stats(art.calendar, count=2, mean=94 * HOUR, median=94 * HOUR, p90=(68 + 0.9 * 52) * HOUR)
    assert_stats(art.business, count=2, mean=14 * HOUR, median=14 * HOUR, p90=(4 + 0.9 * 20) * HOUR)
    feb_first = figures.figure(february, "first_resolution_time")
    assert_stats(feb_first.calendar, count=1, mean=68 * HOUR, median=68 * HOUR, p90=68 * HOUR)
    assert_stats(feb_first.business, count=1, mean=4 * HOUR, median=4 * HOUR, p90=4 * HOUR)
    # Reopen rate in February: C was reopened, E was not → 1 of 2; nothing was created in February.
    reopen = figures.figure(february, "reopen_rate")
    assert (reopen.numerator, reopen.denominator) == (1, 2)
    assert sum(value for _, value in figures.series(february, "created")) == 0


# --- the rollups after a change -----------------------------------------------------------------------


def test_the_figures_follow_a_reopen_and_a_merge_after_the_rollups_were_built(desk, source):
    # Happening now (the rollups read changes behind a watermark on Ticket.updated_at, so these changes
    # are made at the real time, as agents make them).
    now = timezone.now()
    today = timezone.localdate()
    scope = scope_for_days(today - timedelta(days=1), today)
    reopened = desk.ticket(now - timedelta(hours=3))
    desk.reply(reopened, now - timedelta(hours=2, minutes=50))  # 10 min
    desk.solve(reopened, now - timedelta(hours=2))  # 1 h
    kept = desk.ticket(now - timedelta(hours=3))
    desk.reply(kept, now - timedelta(hours=2, minutes=40))  # 20 min
    merged = desk.ticket(now - timedelta(hours=3))
    desk.reply(merged, now - timedelta(hours=2, minutes=30))  # 30 min
    source.refresh()
    source.check(scope)
    # Before: FRT 10, 20, 30 min → 3 tickets, mean 20 min; one solve of 1 h; 3 created.
    assert figures.figure(scope, "first_response_time").calendar.count == 3
    assert sum(value for _, value in figures.series(scope, "created")) == 3
    assert figures.figure(scope, "resolution_time").calendar.mean == HOUR

    desk.inbound(reopened, timezone.now())  # the customer writes again: reopened, not solved any more
    services.ticket_merge(source=merged, target=kept)
    source.refresh()
    # After: the merged ticket is gone (FRT 10 and 20 min: mean 15 min; 2 created); nothing solved now.
    frt = figures.figure(scope, "first_response_time")
    assert (frt.calendar.count, frt.calendar.mean) == (2, 15 * 60)
    assert sum(value for _, value in figures.series(scope, "created")) == 2
    assert figures.figure(scope, "resolution_time").calendar.count == 0
    assert figures.figure(scope, "first_resolution_time").calendar.count == 1

    desk.solve(reopened, None)  # solved again, now: about 3 h after creation, counted once, reopened once
    source.refresh()
    art = figures.figure(scope, "resolution_time")
    assert art.calendar.count == 1
    assert art.calendar.mean == pytest.approx(3 * HOUR, abs=5)
    reopen = figures.figure(scope, "reopen_rate")
    assert (reopen.numerator, reopen.denominator) == (1, 1)
