"""Business hours, worked out by hand: a weekend, a holiday, two time zones, a DST day.

Every team here works Monday to Friday, 09:00 to 17:00 local time (the default schedule).
2025-01-10 is a Friday, 2025-01-13 a Monday. Tehran is UTC+03:30 all year; Berlin is UTC+01:00 in January.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from metrics import figures
from metrics.scope import scope_for_days
from tests.factories import TeamFactory
from tickets.business_hours import Schedule, default_working_hours, schedule_for_team
from tickets.models import Holiday

UTC = ZoneInfo("UTC")
HOUR = 3600


def utc(day: int, hour: int, minute: int = 0, month: int = 1) -> datetime:
    return datetime(2025, month, day, hour, minute, tzinfo=UTC)


def schedule(zone: str = "UTC", holidays: tuple[date, ...] = ()) -> Schedule:
    return Schedule.build(time_zone=zone, working_hours=default_working_hours(), holidays=holidays)


# --- the schedule alone ---------------------------------------------------------------------------


def test_friday_afternoon_to_monday_morning_is_two_business_hours():
    # Fri 16:00–17:00 (1 h) + the weekend (0) + Mon 09:00–10:00 (1 h) = 2 h; the calendar says 66 h.
    assert schedule().seconds_between(utc(10, 16), utc(13, 10)) == 2 * HOUR


def test_a_holiday_in_between_removes_its_day():
    # Thu 16:00–17:00 (1 h) + Fri (8 h) + Mon 09:00–10:00 (1 h) = 10 h; with Friday a holiday, 2 h.
    assert schedule().seconds_between(utc(9, 16), utc(13, 10)) == 10 * HOUR
    assert schedule(holidays=(date(2025, 1, 10),)).seconds_between(utc(9, 16), utc(13, 10)) == 2 * HOUR


def test_the_same_utc_times_count_in_each_teams_own_time_zone():
    # Mon 06:00–12:00 UTC is 09:30–15:30 in Tehran (6 h inside 09–17) and 07:00–13:00 in Berlin (09–13: 4 h).
    assert schedule("Asia/Tehran").seconds_between(utc(13, 6), utc(13, 12)) == 6 * HOUR
    assert schedule("Europe/Berlin").seconds_between(utc(13, 6), utc(13, 12)) == 4 * HOUR


def test_a_night_across_local_midnight():
    # Mon 22:00 → Tue 06:00 UTC: Tehran Tue 01:30 → 09:30 (09:00–09:30: 30 min); Berlin Mon 23:00 → Tue 07:00 (0).
    assert schedule("Asia/Tehran").seconds_between(utc(13, 22), utc(14, 6)) == HOUR // 2
    assert schedule("Europe/Berlin").seconds_between(utc(13, 22), utc(14, 6)) == 0


def test_a_weekend_and_an_empty_stretch_count_nothing():
    assert schedule().seconds_between(utc(11, 10), utc(12, 18)) == 0  # Sat 10:00 → Sun 18:00
    assert schedule().seconds_between(utc(13, 12), utc(13, 12)) == 0
    assert schedule().seconds_between(utc(13, 12), utc(13, 11)) == 0


def test_a_daylight_saving_day_is_as_long_as_its_wall_clock():
    # Berlin, Sunday 2025-03-30: clocks jump 02:00 → 03:00, so the local day lasts 23 h.
    # Local midnight to midnight is 2025-03-29 23:00 UTC → 2025-03-30 22:00 UTC: 23 h of elapsed time,
    # the same 23 h as noon UTC splits it into: 00:00 CET → 14:00 CEST (13 h) and 14:00 → 24:00 CEST (10 h).
    round_the_clock = Schedule.build(time_zone="Europe/Berlin", working_hours={"sun": [["00:00", "24:00"]]})
    midnight, noon, next_midnight = utc(29, 23, month=3), utc(30, 12, month=3), utc(30, 22, month=3)
    assert round_the_clock.seconds_between(midnight, noon) == 13 * HOUR
    assert round_the_clock.seconds_between(noon, next_midnight) == 10 * HOUR
    whole_day = round_the_clock.seconds_between(midnight, next_midnight)
    assert whole_day == 23 * HOUR, (
        f"the whole DST day gives {whole_day} s, not 23 h = 13 h + 10 h: the overlap subtracts two datetimes of "
        "the same ZoneInfo, which Python does in wall-clock time (24 h), while mixed zones give elapsed time"
    )
    # A span that contains the jump: 01:00 CET → 04:00 CEST is 2 h of elapsed time (00:00 → 02:00 UTC).
    night_shift = Schedule.build(time_zone="Europe/Berlin", working_hours={"sun": [["01:00", "04:00"]]})
    assert night_shift.seconds_between(midnight, next_midnight) == 2 * HOUR


@pytest.mark.django_db
def test_a_teams_holiday_is_its_own_and_a_holiday_without_a_team_is_everyones():
    billing, shipping = TeamFactory(), TeamFactory()
    Holiday.objects.create(team=billing, date=date(2025, 1, 10), name="Billing offsite")
    Holiday.objects.create(team=None, date=date(2025, 1, 14), name="Everyone")
    # Thu 09 16:00 → Wed 15 10:00: Thu 1 h + Fri 8 h + Mon 8 h + Tue 8 h + Wed 1 h = 26 h with every day worked.
    start, end = utc(9, 16), utc(15, 10)
    assert schedule_for_team(billing.pk).seconds_between(start, end) == (26 - 8 - 8) * HOUR  # Fri and Tue off
    assert schedule_for_team(shipping.pk).seconds_between(start, end) == (26 - 8) * HOUR  # Tue off
    assert schedule_for_team(None).seconds_between(start, end) == (26 - 8) * HOUR  # site hours, Tue off


# --- stamped on tickets, then read as the first response figure -------------------------------------


@pytest.fixture
def teams(db):
    return {
        "utc": TeamFactory(name="London desk", time_zone="UTC"),
        "utc_holiday": TeamFactory(name="London billing", time_zone="UTC"),
        "tehran": TeamFactory(name="Tehran desk", time_zone="Asia/Tehran"),
        "berlin": TeamFactory(name="Berlin desk", time_zone="Europe/Berlin"),
    }


def test_business_first_response_per_team(desk, source, teams):
    Holiday.objects.create(team=teams["utc_holiday"], date=date(2025, 1, 10), name="Offsite")

    def answered(team_key: str, asked: datetime, replied: datetime):
        ticket = desk.ticket(asked, team=teams[team_key])
        desk.reply(ticket, replied)
        return ticket

    weekend = answered("utc", utc(10, 16), utc(13, 10))  # Fri 16:00 → Mon 10:00
    worked_friday = answered("utc", utc(9, 16), utc(13, 10))  # Thu 16:00 → Mon 10:00
    holiday_friday = answered("utc_holiday", utc(9, 16), utc(13, 10))
    tehran = answered("tehran", utc(13, 6), utc(13, 12))
    berlin = answered("berlin", utc(13, 6), utc(13, 12))
    source.refresh()

    # The stamps, each by hand (see the tests above): calendar and business seconds.
    stamped = {
        "weekend": (weekend, 66 * HOUR, 2 * HOUR),
        "worked_friday": (worked_friday, 90 * HOUR, 10 * HOUR),
        "holiday_friday": (holiday_friday, 90 * HOUR, 2 * HOUR),
        "tehran": (tehran, 6 * HOUR, 6 * HOUR),
        "berlin": (berlin, 6 * HOUR, 4 * HOUR),
    }
    for name, (ticket, calendar, business) in stamped.items():
        ticket.refresh_from_db()
        assert (ticket.first_response_seconds, ticket.first_response_business_seconds) == (calendar, business), name

    # Per team, over the days around Monday 13th when every reply was sent.
    def frt(team_key: str):
        scope = scope_for_days(date(2025, 1, 12), date(2025, 1, 14), team=teams[team_key].pk)
        source.check(scope)
        return figures.figure(scope, "first_response_time")

    # London: the two tickets, business 2 h and 10 h → mean 6 h; median of two = their midpoint 6 h;
    # p90 = 2 h + 0.9 × (10 h − 2 h) = 9.2 h. Calendar: 66 h and 90 h → mean 78 h.
    london = frt("utc")
    assert london.business.count == 2
    assert london.business.mean == 6 * HOUR
    # One team: the rollup path reads the team's duration histogram (within its 5% buckets).
    tolerance = 0.05 if source.is_rollup else 1e-9
    assert london.business.exact is not source.is_rollup
    assert london.business.median == pytest.approx(6 * HOUR, rel=tolerance)
    assert london.business.p90 == pytest.approx(9.2 * HOUR, rel=tolerance)
    assert london.calendar.mean == 78 * HOUR

    holiday_team = frt("utc_holiday")
    assert (holiday_team.business.count, holiday_team.business.mean) == (1, 2 * HOUR)
    assert holiday_team.calendar.mean == 90 * HOUR

    # The same UTC moments, two time zones: 6 h in Tehran, 4 h in Berlin; 6 h of calendar time for both.
    assert frt("tehran").business.mean == 6 * HOUR
    assert frt("berlin").business.mean == 4 * HOUR
    assert frt("tehran").calendar.mean == frt("berlin").calendar.mean == 6 * HOUR
