"""CSV files of every dashboard table: the same figures as the pages, as plain numbers for spreadsheets.

Files are UTF-8 with a byte-order mark, so Excel shows Persian and Arabic names right. Text
cells that a spreadsheet would run as a formula (starting with = + - @, or a tab or carriage
return) get a leading apostrophe: subjects and names come from customers. Numbers stay numbers.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.http import StreamingHttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from metrics import figures
from metrics.scope import Scope
from metrics.values import Durations
from metrics.views_format import plain_number
from tickets.models import Ticket

BOM = "\ufeff"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
TICKETS_CHUNK = 2000


def cell(value: Any) -> str:
    """One CSV cell: numbers as plain numbers, times in ISO 8601, text neutralised against formulas."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float | Decimal):
        return plain_number(value)
    if isinstance(value, datetime):
        return timezone.localtime(value).isoformat(timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    text = str(value)
    if text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


class _Echo:
    """A file-like object whose write() returns what it was given, for streaming csv.writer output."""

    def write(self, value: str) -> str:
        return value


def csv_lines(header: list[str], rows: Iterable[Iterable[Any]]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield BOM + writer.writerow([cell(name) for name in header])
    for row in rows:
        yield writer.writerow([cell(value) for value in row])


def csv_response(filename: str, header: list[str], rows: Iterable[Iterable[Any]]) -> StreamingHttpResponse:
    response = StreamingHttpResponse(csv_lines(header, rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@dataclass(frozen=True)
class Table:
    header: list[str]
    rows: Iterable[Iterable[Any]]


# --- the tables ----------------------------------------------------------------------------------


def _stats_cells(value: Any) -> list[Any]:
    if not isinstance(value, Durations):
        return [None] * 7
    c, b = value.calendar, value.business
    return [c.count, c.mean, c.median, c.p90, b.mean, b.median, b.p90]


def overview_table(scope: Scope, params: dict[str, str]) -> Table:
    header = [
        _("figure"),
        _("label"),
        _("unit"),
        _("value"),
        _("previous period"),
        _("change"),
        _("benchmark"),
        _("benchmark text"),
        _("beats benchmark"),
        _("count"),
        _("calendar mean"),
        _("calendar median"),
        _("calendar p90"),
        _("business mean"),
        _("business median"),
        _("business p90"),
    ]
    rows = [
        [
            row["info"].key,
            str(row["info"].label),
            row["info"].unit,
            row["headline"],
            row["previous"],
            row["change"],
            row["info"].benchmark,
            str(row["info"].benchmark_text),
            row["beats"],
            *_stats_cells(row["value"]),
        ]
        for row in figures.overview(scope)
    ]
    return Table(header, rows)


BREAKDOWN_COLUMNS = [
    "id",
    "name",
    "created",
    "solved",
    "first_response_mean",
    "resolution_mean",
    "fcr",
    "reopen_rate",
    "csat",
    "csat_answers",
    "handle_seconds",
    "labour_cost",
    "cost_per_ticket",
]


def _breakdown_table(scope: Scope, by: str) -> Table:
    rows = figures.breakdown(scope, by)
    return Table(BREAKDOWN_COLUMNS, [[row.get(column) for column in BREAKDOWN_COLUMNS] for row in rows])


def teams_table(scope: Scope, params: dict[str, str]) -> Table:
    return _breakdown_table(scope, "team")


def agents_table(scope: Scope, params: dict[str, str]) -> Table:
    return _breakdown_table(scope, "agent")


def escalations_table(scope: Scope, params: dict[str, str]) -> Table:
    matrix = figures.figure(scope, "escalations")
    rows = [
        [origin, target, ratio.numerator, ratio.denominator, ratio.percent]
        for origin, targets in matrix.items()
        for target, ratio in targets.items()
    ]
    return Table([_("from channel"), _("to channel"), _("switched"), _("started"), _("percent")], rows)


def channel_mix_table(scope: Scope, params: dict[str, str]) -> Table:
    mix = figures.figure(scope, "channel_mix")
    total = sum(mix["tickets"].values())
    rows = [[channel, n, 100.0 * n / total if total else None] for channel, n in mix["tickets"].items()]
    return Table([_("channel"), _("tickets created"), _("percent")], rows)


def customers_by_channels_table(scope: Scope, params: dict[str, str]) -> Table:
    counts = figures.figure(scope, "customers_by_channels")
    total = sum(counts.values())
    rows = [[channels, counts[channels], 100.0 * counts[channels] / total] for channels in sorted(counts)]
    return Table([_("channels used"), _("customers"), _("percent")], rows)


def peak_hours_table(scope: Scope, params: dict[str, str]) -> Table:
    grid = figures.figure(scope, "peak_hours")
    rows = [
        [channel, WEEKDAYS[weekday], hour, counts[hour]]
        for channel, days in grid.items()
        for weekday, counts in enumerate(days)
        for hour in range(24)
    ]
    return Table([_("channel"), _("weekday"), _("hour"), _("inbound messages")], rows)


def staffing_table(scope: Scope, params: dict[str, str]) -> Table:
    from metrics.staffing import staffing_forecast

    rows = [
        [channel, hour, forecast.arrivals_per_hour[hour], forecast.handle_seconds, forecast.agents[hour]]
        for channel, forecast in staffing_forecast(scope).items()
        for hour in range(24)
    ]
    return Table(
        [_("channel"), _("hour"), _("arrivals per hour"), _("handle seconds per arrival"), _("agents needed")], rows
    )


SERIES_KEYS = [
    "created",
    "solved",
    "first_response_time",
    "resolution_time",
    "first_resolution_time",
    "fcr",
    "reopen_rate",
    "unanswered",
    "messages_before_first_reply",
    "csat",
    "nps",
    "ces",
    "handle_time",
]


def series_choice(params: dict[str, str]) -> tuple[str, str]:
    """The series a page or file shows: ?series=<key>&interval=day|week, with safe defaults."""
    key = params.get("series") or "created"
    interval = params.get("interval") or "day"
    return (key if key in SERIES_KEYS else "created"), (interval if interval in ("day", "week") else "day")


def series_table(scope: Scope, params: dict[str, str]) -> Table:
    key, interval = series_choice(params)
    rows = [[slot, value] for slot, value in figures.series(scope, key, interval)]
    return Table([_("day") if interval == "day" else _("week starting"), key], rows)


def backlog_ages_table(scope: Scope, params: dict[str, str]) -> Table:
    backlog = figures.figure(scope, "backlog")
    return Table([_("age"), _("tickets")], [[age, n] for age, n in backlog.ages.items()])


def durations_table(scope: Scope, params: dict[str, str]) -> Table:
    rows = []
    for key in ("first_response_time", "resolution_time", "first_resolution_time"):
        value = figures.figure(scope, key)
        for basis, stats in (("calendar", value.calendar), ("business", value.business)):
            rows.append([key, basis, stats.count, stats.mean, stats.median, stats.p90, stats.exact])
    return Table(
        [_("figure"), _("time"), _("tickets"), _("mean seconds"), _("median seconds"), _("p90 seconds"), _("exact")],
        rows,
    )


def retention_table(scope: Scope, params: dict[str, str]) -> Table:
    groups = {"all": figures.figure(scope, "retention"), **figures.figure(scope, "retention_by_satisfaction")}
    rows = [[name, r.at_start, r.gained, r.at_end, r.rate] for name, r in groups.items()]
    return Table([_("customers"), _("at start"), _("gained"), _("at end"), _("retention percent")], rows)


TICKET_HEADER = ["number", "subject", "status", "channel", "current channel", "team", "assignee", "created", "solved"]


def ticket_rows(tickets: Iterable[Ticket]) -> Iterator[list[Any]]:
    for ticket in tickets:
        yield [
            ticket.pk,
            ticket.subject,
            ticket.status,
            ticket.channel,
            ticket.current_channel,
            ticket.team.name if ticket.team else "",
            str(ticket.assignee) if ticket.assignee else "",
            ticket.created_at,
            ticket.solved_at,
        ]


def drill_queryset(scope: Scope, key: str, part: str):
    """The tickets behind a figure with what a row shows, joined in the same query."""
    return figures.tickets_behind(scope, key, part).select_related("team", "assignee")


def tickets_table(scope: Scope, params: dict[str, str]) -> Table:
    """Every ticket behind a figure, read in chunks so a year of tickets streams out in bounded memory."""
    tickets = drill_queryset(scope, params.get("figure", ""), params.get("part", ""))
    return Table(TICKET_HEADER, ticket_rows(tickets.iterator(chunk_size=TICKETS_CHUNK)))


TABLES: dict[str, Callable[[Scope, dict[str, str]], Table]] = {
    "overview": overview_table,
    "teams": teams_table,
    "agents": agents_table,
    "escalations": escalations_table,
    "channel_mix": channel_mix_table,
    "customers_by_channels": customers_by_channels_table,
    "peak_hours": peak_hours_table,
    "staffing": staffing_table,
    "series": series_table,
    "backlog_ages": backlog_ages_table,
    "durations": durations_table,
    "retention": retention_table,
    "tickets": tickets_table,
}
