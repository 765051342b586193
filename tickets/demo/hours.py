"""The demo teams' working week and holidays, and business seconds fast enough for a million tickets.

The services stamp business durations with tickets.business_hours.Schedule.seconds_between, which
walks the days of each duration. The seeder needs the same numbers for millions of durations, so
BusinessClock lays the working intervals of the seeded period out once, with the working seconds
before each, and answers a duration with two binary searches. It reads the same Schedule (hours,
time zone, holidays), so the numbers are the ones the services would have stamped.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from tickets.business_hours import Schedule, schedule_for_team
from tickets.demo.arrivals import Period
from tickets.models import Holiday

# An Iranian office week: Saturday to Wednesday 08:00-17:00, Thursday a half day, Friday the weekend.
IRAN_WORKING_HOURS = {
    "sat": [["08:00", "17:00"]],
    "sun": [["08:00", "17:00"]],
    "mon": [["08:00", "17:00"]],
    "tue": [["08:00", "17:00"]],
    "wed": [["08:00", "17:00"]],
    "thu": [["08:00", "13:00"]],
}

# 1 Farvardin (Nowruz) in the Gregorian calendar: the day of the March equinox if it falls before
# noon in Tehran, else the day after. Years not listed use 21 March.
_NOWRUZ_MARCH_20 = frozenset({2020, 2024, 2028, 2029, 2032, 2033, 2036, 2037})
# Solar-calendar public holidays as days after 1 Farvardin (months 1-6 have 31 days, 7-11 have 30).
# The lunar ones (Eid al-Fitr, Ashura, ...) move every year and are left out of the demo.
_SOLAR_HOLIDAYS = (
    (0, "Nowruz"),
    (1, "Nowruz"),
    (2, "Nowruz"),
    (3, "Nowruz"),
    (11, "Islamic Republic Day"),
    (12, "Nature Day (Sizdah Bedar)"),
    (2 * 31 + 13, "Death of Ayatollah Khomeini"),  # 14 Khordad
    (2 * 31 + 14, "15 Khordad uprising"),
    (6 * 31 + 4 * 30 + 21, "Revolution Day"),  # 22 Bahman
    (6 * 31 + 5 * 30 + 28, "Oil Nationalization Day"),  # 29 Esfand, the last day of the year
)


def nowruz(year: int) -> date:
    """1 Farvardin of the Iranian year that starts in Gregorian `year`."""
    return date(year, 3, 20 if year in _NOWRUZ_MARCH_20 else 21)


def iran_holidays(first: date, last: date) -> list[tuple[date, str]]:
    """The solar-calendar public holidays of Iran from `first` to `last` (both included), in date order."""
    found = []
    for year in range(first.year - 1, last.year + 1):
        new_year = nowruz(year)
        for offset, name in _SOLAR_HOLIDAYS:
            day = new_year + timedelta(days=offset)
            if first <= day <= last:
                found.append((day, name))
    return sorted(found)


def ensure_holidays(period: Period) -> int:
    """Holidays for every team over the seeded period (and the weeks after it); returns how many were added."""
    wanted = iran_holidays(period.start - timedelta(days=7), period.until + timedelta(days=60))
    # Team-less holidays are not covered by the (team, date) unique constraint (NULLs differ): check first.
    present = set(Holiday.objects.filter(team__isnull=True).values_list("date", flat=True))
    added = [Holiday(date=day, name=name) for day, name in wanted if day not in present]
    Holiday.objects.bulk_create(added)
    return len(added)


def _local(day: date, seconds: int, zone: ZoneInfo) -> int:
    """Epoch seconds of `seconds` after local midnight of `day` (24:00 is the next midnight), as Schedule reads it."""
    if seconds >= 86_400:
        moment = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone)
    else:
        moment = datetime.combine(day, time(seconds // 3600, seconds % 3600 // 60), tzinfo=zone)
    return int(moment.timestamp())


class BusinessClock:
    """Working seconds between two epoch times under one Schedule, for times within [first, last] local days.

    Times outside that range fall back to Schedule.seconds_between (exact, only slower).
    """

    def __init__(self, schedule: Schedule, first: date, last: date) -> None:
        self.schedule = schedule
        zone = ZoneInfo(schedule.time_zone)
        self._opens: list[int] = []
        self._closes: list[int] = []
        self._before: list[int] = []  # working seconds in the intervals before this one
        total = 0
        day = first
        while day <= last:
            if day not in schedule.holidays:
                for start, end in schedule.hours.get(day.weekday(), ()):
                    opens, closes = _local(day, start, zone), _local(day, end, zone)
                    if closes > opens:
                        self._opens.append(opens)
                        self._closes.append(closes)
                        self._before.append(total)
                        total += closes - opens
            day += timedelta(days=1)
        self._low = _local(first, 0, zone)
        self._high = _local(last, 86_400, zone)

    @classmethod
    def for_period(cls, schedule: Schedule, period: Period) -> BusinessClock:
        # Two days of margin either side: local days reach past the UTC ones.
        return cls(schedule, period.start - timedelta(days=2), period.until + timedelta(days=2))

    def _worked_before(self, ts: int) -> int:
        index = bisect.bisect_right(self._opens, ts) - 1
        if index < 0:
            return 0
        return self._before[index] + min(ts, self._closes[index]) - self._opens[index]

    def between(self, start: int, end: int) -> int:
        """Working seconds in [start, end), as Schedule.seconds_between counts them."""
        if end <= start:
            return 0
        if start < self._low or end > self._high:
            return self.schedule.seconds_between(datetime.fromtimestamp(start, UTC), datetime.fromtimestamp(end, UTC))
        return self._worked_before(end) - self._worked_before(start)


def clocks_for_teams(team_ids: Iterable[int], period: Period) -> dict[int, BusinessClock]:
    """One clock per team, from the team's schedule as the services read it (hours, time zone, holidays)."""
    return {team_id: BusinessClock.for_period(schedule_for_team(team_id), period) for team_id in team_ids}
