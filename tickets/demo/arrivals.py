"""When demo tickets arrive: the period, volume per day, channel mix and hour-of-day shape.

Times are whole seconds since the epoch (UTC) while generating, and become ISO strings only
when a row is written (fmt), which is much cheaper than building datetime objects.
"""

from __future__ import annotations

import bisect
import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from itertools import accumulate
from zoneinfo import ZoneInfo

# The support teams sit in Tehran; arrival shapes are in their local time, as the peak-hours report reads them.
DEMO_TIME_ZONE = "Asia/Tehran"
DAY = 86_400
HOUR = 3_600

CHANNELS = ("email", "chat", "phone", "portal", "social", "api")
CHANNEL_CUM_WEIGHTS = list(accumulate((0.40, 0.25, 0.15, 0.10, 0.07, 0.03)))

# Monday..Sunday. Thursday is a short day and Friday the weekend in Iran.
WEEKDAY_WEIGHTS = (1.0, 1.0, 0.95, 0.6, 0.35, 1.0, 1.05)

# Relative arrivals per local hour 0..23: live chat peaks 11:00-15:00, calls run 07:00-19:00 and peak at 11:00.
HOUR_WEIGHTS = {
    "email": (1, 0.7, 0.5, 0.4, 0.4, 0.6, 1, 2, 4, 6, 7, 7, 6.5, 6.5, 6, 6, 5.5, 5, 4.5, 4, 3.5, 3, 2.5, 1.5),
    "chat": (0.4, 0.2, 0.1, 0.1, 0.1, 0.2, 0.5, 1.5, 3, 5, 7, 10, 10, 10, 10, 8, 6, 5, 4, 3.5, 3, 2.5, 1.5, 1),
    "phone": (0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.2, 4, 6, 8, 9, 10, 9, 8, 8.5, 8, 7, 6, 5, 0.4, 0.3, 0.2, 0.1, 0.1),
    "portal": (1, 0.6, 0.4, 0.3, 0.3, 0.5, 1, 2, 4, 5, 6, 6, 6, 6, 6, 5.5, 5, 5, 5, 5, 4.5, 4, 3, 2),
    "social": (2, 1.5, 1, 0.5, 0.3, 0.3, 0.5, 1, 2, 3, 4, 4.5, 5, 5, 5, 5, 5.5, 6, 7, 8, 8.5, 8, 6, 4),
    "api": (2, 2, 2, 2, 2, 2, 2.5, 3, 4, 4.5, 5, 5, 5, 5, 5, 5, 4.5, 4, 3.5, 3, 3, 2.5, 2.5, 2),
}
HOUR_CUM_WEIGHTS = {channel: list(accumulate(weights)) for channel, weights in HOUR_WEIGHTS.items()}
_HOURS = range(24)

# Agents answer the slower channels between these local hours.
WORK_START, WORK_END = 8 * HOUR, 20 * HOUR


@dataclass(frozen=True)
class Period:
    """The 12 months before `until` (midnight UTC): [start, until)."""

    start: date
    until: date
    start_ts: int
    until_ts: int
    utc_offset: int  # seconds east of UTC of the teams' time zone

    @property
    def days(self) -> list[date]:
        return [self.start + timedelta(days=n) for n in range((self.until - self.start).days)]

    def local_midnight(self, day: date) -> int:
        return int(datetime.combine(day, time(0), tzinfo=ZoneInfo(DEMO_TIME_ZONE)).timestamp())


def period_before(until: date) -> Period:
    try:
        start = until.replace(year=until.year - 1)
    except ValueError:  # 29 February
        start = until.replace(year=until.year - 1, day=28)
    until_dt = datetime.combine(until, time(0), tzinfo=UTC)
    offset = ZoneInfo(DEMO_TIME_ZONE).utcoffset(until_dt.replace(tzinfo=None))
    return Period(
        start=start,
        until=until,
        start_ts=int(datetime.combine(start, time(0), tzinfo=UTC).timestamp()),
        until_ts=int(until_dt.timestamp()),
        utc_offset=int(offset.total_seconds()) if offset else 0,
    )


def tickets_per_day(period: Period, total: int, rng: random.Random) -> list[int]:
    """Split `total` over the days: weekday shape, a year of growth, a quiet Nowruz, some noise."""
    days = period.days
    weights = []
    for index, day in enumerate(days):
        weight = WEEKDAY_WEIGHTS[day.weekday()] * (0.85 + 0.3 * index / max(len(days) - 1, 1))
        if (day.month == 3 and day.day >= 20) or (day.month == 4 and day.day <= 2):
            weight *= 0.5
        weights.append(weight * rng.uniform(0.9, 1.1))
    scale = total / sum(weights)
    exact = [weight * scale for weight in weights]
    counts = [int(value) for value in exact]
    # Largest remainders get the leftover tickets, so the total is exact.
    leftovers = sorted(range(len(days)), key=lambda i: (counts[i] - exact[i], i))[: total - sum(counts)]
    for index in leftovers:
        counts[index] += 1
    return counts


def day_arrivals(rng: random.Random, midnight: int, count: int, not_before: int) -> list[tuple[int, str]]:
    """`count` (time, channel) arrivals on one local day, in time order, none before `not_before`."""
    choices, cum = rng.choices, HOUR_CUM_WEIGHTS
    arrivals = []
    for channel in choices(CHANNELS, cum_weights=CHANNEL_CUM_WEIGHTS, k=count):
        ts = midnight + choices(_HOURS, cum_weights=cum[channel])[0] * HOUR + rng.randrange(HOUR)
        # The first local day starts before the period (east of UTC): draw again for those hours.
        while ts < not_before:
            ts = midnight + choices(_HOURS, cum_weights=cum[channel])[0] * HOUR + rng.randrange(HOUR)
        arrivals.append((ts, channel))
    arrivals.sort()
    return arrivals


def in_work_hours(ts: int, utc_offset: int, rng: random.Random) -> int:
    """Move a reply written outside working hours to early next working period."""
    local = (ts + utc_offset) % DAY
    if WORK_START <= local < WORK_END:
        return ts
    wait = WORK_START - local if local < WORK_START else DAY - local + WORK_START
    return ts + wait + rng.randrange(90 * 60)


@cache
def _times_of_day() -> list[str]:
    return [f"{s // HOUR:02d}:{s // 60 % 60:02d}:{s % 60:02d}+00:00" for s in range(DAY)]


class Clock:
    """Formats epoch seconds as ISO text, with the day and time-of-day parts cached."""

    def __init__(self) -> None:
        self._days: dict[int, str] = {}
        self._times = _times_of_day()

    def fmt(self, ts: int | None) -> str | None:
        if ts is None:
            return None
        day, second = divmod(ts, DAY)
        prefix = self._days.get(day)
        if prefix is None:
            prefix = self._days[day] = datetime.fromtimestamp(day * DAY, UTC).strftime("%Y-%m-%d ")
        return prefix + self._times[second]


def index_at_or_before(sorted_times: list[int], ts: int) -> int:
    """How many of `sorted_times` are <= ts."""
    return bisect.bisect_right(sorted_times, ts)
