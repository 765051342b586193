"""Business hours: how much of a stretch of time fell inside a team's working hours.

A schedule is a time zone, the working intervals of each weekday (local wall-clock time) and
the holidays, on which nothing counts. Durations are stamped on the ticket when they end
(first reply, solve), with the ticket's team at that moment, so reports only add numbers up.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

# Monday is 0, as in date.weekday().
WEEKDAY_KEYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def default_working_hours() -> dict[str, list[list[str]]]:
    """Monday to Friday, 09:00 to 17:00."""
    return {key: [["09:00", "17:00"]] for key in WEEKDAY_KEYS[:5]}


def _parse_time(value: str) -> time:
    if value == "24:00":
        return time.max
    return time.fromisoformat(value)


def working_hours_validate(value: object) -> None:
    """Model validator: {"mon": [["09:00", "17:00"]], ...}, intervals that do not overlap."""
    if not isinstance(value, dict):
        raise ValidationError(_("Working hours must map weekdays to lists of [start, end] times."))
    for key, intervals in value.items():
        if key not in WEEKDAY_KEYS:
            raise ValidationError(_("Unknown weekday “%(key)s”; use mon … sun.") % {"key": key})
        if not isinstance(intervals, list):
            raise ValidationError(_("The hours of %(key)s must be a list of [start, end] pairs.") % {"key": key})
        previous_end = time.min
        for interval in sorted(intervals):
            try:
                start, end = (_parse_time(part) for part in interval)
            except (TypeError, ValueError) as error:
                raise ValidationError(
                    _("“%(interval)s” is not a [start, end] pair like [“09:00”, “17:00”].") % {"interval": interval}
                ) from error
            if not start < end or start < previous_end:
                raise ValidationError(_("The hours of %(key)s must be increasing and must not overlap.") % {"key": key})
            previous_end = end


@dataclass(frozen=True)
class Schedule:
    time_zone: str = "UTC"
    # weekday (0 = Monday) -> ((start, end), ...) as seconds since local midnight
    hours: dict[int, tuple[tuple[int, int], ...]] = field(default_factory=dict)
    holidays: frozenset[date] = frozenset()

    @classmethod
    def build(cls, *, time_zone: str, working_hours: dict, holidays: Iterable[date] = ()) -> Schedule:
        hours: dict[int, tuple[tuple[int, int], ...]] = {}
        for weekday, key in enumerate(WEEKDAY_KEYS):
            spans = []
            for start, end in sorted(working_hours.get(key, [])):
                start_t, end_t = _parse_time(start), _parse_time(end)
                end_seconds = 86_400 if end_t == time.max else end_t.hour * 3600 + end_t.minute * 60
                spans.append((start_t.hour * 3600 + start_t.minute * 60, end_seconds))
            hours[weekday] = tuple(spans)
        return cls(time_zone=time_zone, hours=hours, holidays=frozenset(holidays))

    def seconds_between(self, start: datetime, end: datetime) -> int:
        """Working seconds in [start, end), walking local days; DST days are as long as the wall clock says."""
        if end <= start:
            return 0
        zone = ZoneInfo(self.time_zone)
        local_start, local_end = start.astimezone(zone), end.astimezone(zone)
        start_utc, end_utc = start.astimezone(UTC), end.astimezone(UTC)
        total = 0.0
        day = local_start.date()
        while day <= local_end.date():
            if day not in self.holidays:
                for span_start, span_end in self.hours.get(day.weekday(), ()):
                    # In UTC: Python subtracts two times of the same ZoneInfo by wall clock, ignoring DST.
                    opens = _local(day, span_start, zone).astimezone(UTC)
                    closes = _local(day, span_end, zone).astimezone(UTC)
                    overlap = (min(closes, end_utc) - max(opens, start_utc)).total_seconds()
                    if overlap > 0:
                        total += overlap
            day += timedelta(days=1)
        return round(total)


def _local(day: date, seconds: int, zone: ZoneInfo) -> datetime:
    """The aware moment `seconds` after local midnight of `day` (24:00 is the next midnight)."""
    if seconds >= 86_400:
        return datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone)
    return datetime.combine(day, time(seconds // 3600, seconds % 3600 // 60), tzinfo=zone)


def schedule_for_team(team_id: int | None) -> Schedule:
    """The team's schedule; tickets without a team use the default hours in the site's time zone.

    Holidays without a team apply to every team.
    """
    from django.conf import settings
    from django.db.models import Q

    from tickets.models import Holiday, Team

    team = Team.objects.filter(pk=team_id).only("time_zone", "working_hours").first() if team_id else None
    holidays = Holiday.objects.filter(Q(team__isnull=True) | Q(team_id=team_id) if team else Q(team__isnull=True))
    return Schedule.build(
        time_zone=team.time_zone if team else settings.TIME_ZONE,
        working_hours=team.working_hours if team else default_working_hours(),
        holidays=holidays.values_list("date", flat=True),
    )
