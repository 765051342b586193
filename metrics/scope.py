"""What a figure is computed over: a period [start, end) and optional filters.

The dashboards, the metrics API and the CSV exports read the same URL parameters:
  period=7d|30d|90d|12m   or   from=YYYY-MM-DD&to=YYYY-MM-DD (both days included)
  team=<id> agent=<id> channel=<email|chat|...> organization=<id> priority=<low|...> tag=<name>
Days are whole days in the site's time zone (TIME_ZONE).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from datetime import date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from tickets.models import Channel, Ticket

PERIODS = {"7d": 7, "30d": 30, "90d": 90, "12m": 365}
DEFAULT_PERIOD = "30d"
MAX_DAYS = 3 * 366
FILTER_NAMES = ("team", "agent", "channel", "organization", "priority", "tag")


def local_midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=timezone.get_default_timezone())


@dataclass(frozen=True)
class Scope:
    start: datetime
    end: datetime
    team: int | None = None
    agent: int | None = None
    channel: str | None = None
    organization: int | None = None
    priority: str | None = None
    tag: str | None = None

    @property
    def days(self) -> int:
        return max(1, round((self.end - self.start).total_seconds() / 86_400))

    @property
    def first_day(self) -> date:
        return timezone.localtime(self.start).date()

    @property
    def last_day(self) -> date:
        """The last day included (the period ends at the following midnight)."""
        return timezone.localtime(self.end - timedelta(microseconds=1)).date()

    @property
    def whole_days(self) -> bool:
        """Whether the period starts and ends at local midnight, so daily rollups can answer it."""
        return all(timezone.localtime(moment).time() == time(0) for moment in (self.start, self.end))

    @property
    def filters(self) -> dict[str, int | str]:
        return {name: getattr(self, name) for name in FILTER_NAMES if getattr(self, name) not in (None, "")}

    def previous(self) -> Scope:
        """The period of the same length just before, with the same filters."""
        if self.whole_days:
            start = local_midnight(self.first_day - timedelta(days=self.days))
            return replace(self, start=start, end=self.start)
        return replace(self, start=self.start - (self.end - self.start), end=self.start)

    def with_filters(self, **changes: Any) -> Scope:
        return replace(self, **changes)

    def query_params(self) -> dict[str, str]:
        params = {"from": self.first_day.isoformat(), "to": self.last_day.isoformat()}
        params.update({name: str(value) for name, value in self.filters.items()})
        return params

    def query_string(self, **extra: str | int) -> str:
        return urlencode({**self.query_params(), **{k: str(v) for k, v in extra.items()}})


def scope_for_days(first_day: date, last_day: date, **filters: Any) -> Scope:
    return Scope(start=local_midnight(first_day), end=local_midnight(last_day + timedelta(days=1)), **filters)


def _int_param(params: Mapping[str, str], name: str) -> int | None:
    value = (params.get(name) or "").strip()
    if not value:
        return None
    if not value.isdigit():
        raise ValidationError(_("“%(name)s” must be a number.") % {"name": name}, code="bad_filter")
    return int(value)


def _choice_param(params: Mapping[str, str], name: str, choices: list[str]) -> str | None:
    value = (params.get(name) or "").strip()
    if not value:
        return None
    if value not in choices:
        raise ValidationError(
            _("“%(value)s” is not a valid %(name)s.") % {"value": value, "name": name}, code="bad_filter"
        )
    return value


def _date_param(params: Mapping[str, str], name: str) -> date | None:
    value = (params.get(name) or "").strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as error:
        raise ValidationError(
            _("“%(value)s” is not a date (YYYY-MM-DD).") % {"value": value}, code="bad_period"
        ) from error


def scope_from_params(params: Mapping[str, str], *, today: date | None = None) -> Scope:
    """Read a Scope from URL parameters; ValidationError with a clear message on bad input."""
    today = today or timezone.localdate()
    first, last = _date_param(params, "from"), _date_param(params, "to")
    if first or last:
        last = last or today
        first = first or last - timedelta(days=PERIODS[DEFAULT_PERIOD] - 1)
        if first > last:
            raise ValidationError(_("The period starts after it ends."), code="bad_period")
        if (last - first).days >= MAX_DAYS:
            raise ValidationError(_("A period can be at most three years long."), code="bad_period")
    else:
        period = params.get("period") or DEFAULT_PERIOD
        if period not in PERIODS:
            raise ValidationError(
                _("Unknown period “%(period)s”; use %(choices)s.") % {"period": period, "choices": ", ".join(PERIODS)},
                code="bad_period",
            )
        last = today
        first = today - timedelta(days=PERIODS[period] - 1)
    return scope_for_days(
        first,
        last,
        team=_int_param(params, "team"),
        agent=_int_param(params, "agent"),
        channel=_choice_param(params, "channel", list(Channel.values)),
        organization=_int_param(params, "organization"),
        priority=_choice_param(params, "priority", list(Ticket.Priority.values)),
        tag=(params.get("tag") or "").strip() or None,
    )


SCOPE_FIELDS = [f.name for f in fields(Scope)]
