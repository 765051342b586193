"""From a Scope to querysets, and the two ways a figure is read: live from the tables, or from the rollups."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import Exists, F, OuterRef, QuerySet, Sum

from metrics.models import DailyTicketStats, RollupWatermark
from metrics.scope import Scope
from tickets.models import Ticket

ROLLUP_WATERMARK = "tickets"


def tickets_for(scope: Scope, period_field: str | None = None) -> QuerySet[Ticket]:
    """Tickets matching the scope's filters (merged-away tickets never count), within the period by `period_field`."""
    tickets = Ticket.objects.filter(merged_into__isnull=True)
    if scope.team:
        tickets = tickets.filter(team_id=scope.team)
    if scope.agent:
        tickets = tickets.filter(assignee_id=scope.agent)
    if scope.channel:
        tickets = tickets.filter(channel=scope.channel)
    if scope.organization:
        tickets = tickets.filter(customer__organization_id=scope.organization)
    if scope.priority:
        tickets = tickets.filter(priority=scope.priority)
    if scope.tag:
        tickets = tickets.filter(
            Exists(Ticket.tags.through.objects.filter(ticket_id=OuterRef("pk"), tag__name=scope.tag))
        )
    if period_field:
        tickets = tickets.filter(**{f"{period_field}__gte": scope.start, f"{period_field}__lt": scope.end})
    return tickets


_shared: ContextVar[dict[str, Any] | None] = ContextVar("metrics_shared_reads", default=None)


@contextmanager
def shared_reads() -> Iterator[None]:
    """Within this block, small reads every figure needs (rollup state, cost settings) happen once."""
    token = _shared.set({})
    try:
        yield
    finally:
        _shared.reset(token)


def read_once(name: str, read: Callable[[], Any]) -> Any:
    memo = _shared.get()
    if memo is None:
        return read()
    if name not in memo:
        memo[name] = read()
    return memo[name]


def rollups_ready() -> bool:
    return settings.HELPDESK_METRICS_ROLLUPS and read_once(
        "rollups_ready", RollupWatermark.objects.filter(name=ROLLUP_WATERMARK).exists
    )


def rollup_answers(scope: Scope) -> bool:
    """The daily rollups hold whole days by team, assignee and channel: anything else is read live."""
    return scope.whole_days and not (scope.organization or scope.tag or scope.priority) and rollups_ready()


def histogram_answers(scope: Scope) -> bool:
    """The duration histograms are kept per day, for the site and per team: percentiles of the whole
    site or of one team come from them; with an agent or channel filter they are read live."""
    return rollup_answers(scope) and not (scope.agent or scope.channel)


def rollup_rows(scope: Scope) -> QuerySet[DailyTicketStats]:
    rows = DailyTicketStats.objects.filter(day__gte=scope.first_day, day__lte=scope.last_day)
    if scope.team:
        rows = rows.filter(team_id=scope.team)
    if scope.agent:
        rows = rows.filter(agent_id=scope.agent)
    if scope.channel:
        rows = rows.filter(channel=scope.channel)
    return rows


ROLLUP_COLUMNS = [
    field.name
    for field in DailyTicketStats._meta.get_fields()
    if field.name not in ("id", "day", "team_id", "agent_id", "channel")
]


def rollup_totals(scope: Scope) -> dict[str, int]:
    """Every DailyTicketStats column summed over the scope, in one query shared by the figures that need it."""

    def read() -> dict[str, int]:
        sums = rollup_rows(scope).aggregate(**{name: Sum(name) for name in ROLLUP_COLUMNS})
        return {name: value or 0 for name, value in sums.items()}

    return read_once(f"rollup_totals:{scope!r}", read)


def percentiles(
    queryset: QuerySet, column: str, fractions: tuple[float, ...] = (0.5, 0.9), group: Any = None
) -> dict[Any, list[float | None]]:
    """Interpolated percentiles (as PostgreSQL's percentile_cont) of `column`, per value of `group`.

    One query whatever the number of groups. PostgreSQL computes them natively; SQLite numbers
    the sorted values with a window function and keeps the (at most two) rows around each rank.
    Without `group` the result has the single key None.
    """
    values = queryset.filter(**{f"{column}__isnull": False})
    values = values.values(v=F(column), g=group) if group is not None else values.values(v=F(column))
    inner, params = values.order_by().query.sql_with_params()
    group_sql = "s.g" if group is not None else "NULL"
    result: dict[Any, list[float | None]] = {}
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            sql = f"SELECT {group_sql} AS g, percentile_cont(%s::float8[]) WITHIN GROUP (ORDER BY s.v) FROM ({inner}) s"  # noqa: S608 (our own compiled queryset)
            if group is not None:
                sql += " GROUP BY s.g"
            cursor.execute(sql, [list(fractions), *params])
            for key, values_found in cursor.fetchall():
                result[key] = list(values_found)
            return result
        # SQLite: CAST(x AS INTEGER) truncates, which is floor for the non-negative ranks here.
        ranks = " OR ".join(
            f"(t.rn - 1 = CAST({f} * (t.n - 1) AS INTEGER) OR t.rn - 1 = CAST({f} * (t.n - 1) AS INTEGER) + 1)"
            for f in fractions
        )
        sql = (
            f"SELECT t.g, t.v, t.rn, t.n FROM (SELECT {group_sql} AS g, s.v AS v, "  # noqa: S608 (our own SQL)
            f"ROW_NUMBER() OVER (PARTITION BY {group_sql} ORDER BY s.v) AS rn, "
            f"COUNT(*) OVER (PARTITION BY {group_sql}) AS n FROM ({inner}) s) t WHERE {ranks}"
        )
        cursor.execute(sql, params)
        rows: dict[Any, dict[int, float]] = defaultdict(dict)
        sizes: dict[Any, int] = {}
        for key, value, rank, size in cursor.fetchall():
            rows[key][rank - 1] = value
            sizes[key] = size
    for key, by_rank in rows.items():
        found: list[float | None] = []
        for fraction in fractions:
            position = fraction * (sizes[key] - 1)
            low = int(position)
            high = min(low + 1, sizes[key] - 1)
            found.append(by_rank[low] + (by_rank[high] - by_rank[low]) * (position - low))
        result[key] = found
    return result


def dicts(queryset: Any) -> list[dict[str, Any]]:
    """Rows of a values() queryset as plain dicts (for code that adds keys to them)."""
    return [dict(row) for row in queryset]


def as_date(value: Any) -> date:
    """A day or week from a query: a date, a datetime, or (raw SQL on SQLite) an ISO string."""
    if isinstance(value, str):
        return date.fromisoformat(value[:10])
    if isinstance(value, datetime):
        return value.date()
    return value
