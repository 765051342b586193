"""Keep the rollup tables (metrics.models.rollups) up to date, behind watermarks.

Every run reads the tickets changed since the last one (Ticket.updated_at) and the messages that
arrived (Message.created_at), works out which days their figures fall on now and fell on before
(TicketRollupState), and recomputes those days whole from the source tables. Recomputing a day is
idempotent, so a run repeated or overlapping the previous one changes nothing. Runs are serialized
by a row lock; the first run builds everything.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import models, transaction
from django.db.models import Count, F, Max, Q, QuerySet, Sum
from django.db.models.functions import ExtractHour, TruncDate
from django.utils import timezone

from metrics import histogram
from metrics.models import (
    DailyDurationHistogram,
    DailyEscalations,
    DailyHandleTime,
    DailySurveyAnswers,
    DailyTeamDurationHistogram,
    DailyTicketStats,
    HourlyArrivals,
    RollupWatermark,
    SurveyAnswer,
    TicketRollupState,
)
from metrics.queries._base import ROLLUP_WATERMARK, as_date, dicts
from metrics.queries.tickets import SOLVED_SUMS, UNANSWERED
from metrics.scope import local_midnight
from tickets.models import Message, Team, Ticket, TicketEvent, TimeEntry

# Re-read this much before the watermark: a transaction may commit a little after it stamped updated_at,
# or after rows with higher ids committed.
OVERLAP = timedelta(seconds=60)
ID_OVERLAP = 1000
CHUNK = 20_000
LOCK = "lock"

# A tracked time entry keeps growing while its ticket page stays open: re-add the days it may still touch.
HANDLE_TIME_REACH = timedelta(days=1)

DAY_FIELDS = {
    "created_day": "created_at",
    "first_response_day": "first_response_at",
    "solved_day": "solved_at",
    "first_solved_day": "first_solved_at",
}
DIMENSIONS = ("team_id", "assignee_id", "channel")
HISTOGRAMS = (
    ("frt", "first_response_at", "first_response_seconds"),
    ("frt_b", "first_response_at", "first_response_business_seconds"),
    ("res", "solved_at", "resolution_seconds"),
    ("res_b", "solved_at", "resolution_business_seconds"),
    ("fres", "first_solved_at", "first_resolution_seconds"),
    ("fres_b", "first_solved_at", "first_resolution_business_seconds"),
)


@dataclass(frozen=True)
class RefreshResult:
    tickets: int
    days: int
    arrival_days: int
    more: bool  # another run is needed to catch up
    rebuilt: bool = False


def rollups_refresh(*, chunk: int = CHUNK) -> RefreshResult:
    """Bring the rollups up to date (or build them the first time). Returns what it did."""
    with transaction.atomic():
        RollupWatermark.objects.get_or_create(name=LOCK, defaults={"value": timezone.now()})
        RollupWatermark.objects.select_for_update().get(name=LOCK)
        started = timezone.now()
        mark = RollupWatermark.objects.filter(name=ROLLUP_WATERMARK).first()
        if mark is None:
            return _rebuild(started)
        # What changed: tickets touched since the mark, and the tickets of messages and events
        # written since (ids, not times: a mail taken in late keeps the time it arrived).
        touched = list(
            Ticket.objects.filter(updated_at__gte=mark.value)
            .order_by("updated_at", "pk")
            .values_list("pk", "updated_at")[:chunk]
        )
        messages = list(
            Message.objects.filter(pk__gt=max(0, mark.last_message_id - ID_OVERLAP))
            .order_by("pk")
            .values_list("pk", "ticket_id", "created_at", "direction")[:chunk]
        )
        events = list(
            TicketEvent.objects.filter(pk__gt=max(0, mark.last_event_id - ID_OVERLAP))
            .order_by("pk")
            .values_list("pk", "ticket_id")[:chunk]
        )
        more = chunk in (len(touched), len(messages), len(events))
        ids = {pk for pk, _ in touched} | {row[1] for row in messages} | {row[1] for row in events}
        next_time = started - OVERLAP
        if len(touched) == chunk:
            last = touched[-1][1]
            # Never stop inside a run of equal timestamps (a bulk action): take them all now.
            ids |= set(Ticket.objects.filter(updated_at=last).values_list("pk", flat=True))
            next_time = last + timedelta(microseconds=1)
        days = _refresh_tickets(ids)
        arrival_days = {
            timezone.localtime(created_at, UTC).date() + timedelta(days=shift)
            for _, _, created_at, direction in messages
            if direction == Message.Direction.INBOUND
            for shift in (-1, 0, 1)
        }
        if arrival_days:
            _recompute_arrivals(arrival_days)
        _recompute_handle_time(_days_since(mark.value - HANDLE_TIME_REACH))
        _recompute_answers(_answer_days_since(mark.value))
        mark.value = next_time
        mark.last_message_id = max([mark.last_message_id, *(row[0] for row in messages)])
        mark.last_event_id = max([mark.last_event_id, *(row[0] for row in events)])
        mark.save()
    return RefreshResult(tickets=len(ids), days=days, arrival_days=len(arrival_days), more=more)


def _rebuild(started: datetime) -> RefreshResult:
    TicketRollupState.objects.all().delete()
    states = _ticket_days(Ticket.objects.all())
    # INSERT … SELECT: a million tickets' days without bringing them into Python.
    sql, params = states.query.sql_with_params()
    columns = ", ".join(["ticket_id", *DAY_FIELDS])
    with transaction.get_connection().cursor() as cursor:
        cursor.execute(f"INSERT INTO {TicketRollupState._meta.db_table} ({columns}) {sql}", params)
    days = _recompute_days(None)
    arrival_days = _recompute_arrivals(None)
    _recompute_handle_time(None)
    _recompute_answers(None)
    RollupWatermark.objects.update_or_create(
        name=ROLLUP_WATERMARK,
        defaults={
            "value": started - OVERLAP,
            "last_message_id": Message.objects.aggregate(last=Max("pk"))["last"] or 0,
            "last_event_id": TicketEvent.objects.aggregate(last=Max("pk"))["last"] or 0,
        },
    )
    return RefreshResult(tickets=-1, days=days, arrival_days=arrival_days, more=False, rebuilt=True)


def _ticket_days(tickets: QuerySet[Ticket]) -> QuerySet:
    zone = timezone.get_default_timezone()
    return tickets.order_by().values_list("pk", *(TruncDate(field, tzinfo=zone) for field in DAY_FIELDS.values()))


def _refresh_tickets(ids: set[int]) -> int:
    """Recompute the days these tickets count on now and counted on before. Returns how many days."""
    if not ids:
        return 0
    dirty: set[date] = set()
    for state in TicketRollupState.objects.filter(ticket_id__in=ids).values_list(*DAY_FIELDS):
        dirty.update(day for day in state if day)
    new_states = []
    for pk, *days in _ticket_days(Ticket.objects.filter(pk__in=ids)):
        days = [as_date(day) if day else None for day in days]
        dirty.update(day for day in days if day)
        new_states.append(TicketRollupState(ticket_id=pk, **dict(zip(DAY_FIELDS, days, strict=True))))
    TicketRollupState.objects.bulk_create(
        new_states, update_conflicts=True, unique_fields=["ticket_id"], update_fields=list(DAY_FIELDS)
    )
    _recompute_days(dirty)
    return len(dirty)


def _day_ranges(days: set[date]) -> list[tuple[date, date]]:
    """The days as runs of consecutive days (first, last)."""
    runs: list[tuple[date, date]] = []
    for day in sorted(days):
        if runs and day == runs[-1][1] + timedelta(days=1):
            runs[-1] = (runs[-1][0], day)
        else:
            runs.append((day, day))
    return runs


def _in_days(field: str, days: set[date] | None) -> Q:
    if days is None:
        return Q(**{f"{field}__isnull": False})
    condition = Q(pk__in=[])
    for first, last in _day_ranges(days):
        condition |= Q(**{f"{field}__gte": local_midnight(first), f"{field}__lt": local_midnight(last + timedelta(1))})
    return condition


def _recompute_days(days: set[date] | None) -> int:
    """Recompute DailyTicketStats and the histograms of these days (None: all of them)."""
    zone = timezone.get_default_timezone()
    tickets = Ticket.objects.filter(merged_into__isnull=True)
    groups: list[tuple[str, Q, dict[str, Any]]] = [
        ("created_at", Q(), {"created": Count("pk"), "unanswered": Count("pk", filter=UNANSWERED)}),
        (
            "first_response_at",
            Q(first_response_seconds__isnull=False),
            {
                "first_response_count": Count("pk"),
                "first_response_sum": Sum("first_response_seconds"),
                "first_response_business_sum": Sum("first_response_business_seconds"),
                "before_reply_sum": Sum("inbound_before_first_reply"),
            },
        ),
        (
            "solved_at",
            Q(),
            {
                **SOLVED_SUMS,
                "resolution_sum": Sum("resolution_seconds"),
                "resolution_business_sum": Sum("resolution_business_seconds"),
            },
        ),
        (
            "first_solved_at",
            Q(first_resolution_seconds__isnull=False),
            {
                "first_resolution_count": Count("pk"),
                "first_resolution_sum": Sum("first_resolution_seconds"),
                "first_resolution_business_sum": Sum("first_resolution_business_seconds"),
            },
        ),
    ]
    rows: dict[tuple, dict[str, int]] = defaultdict(dict)
    for field, extra, sums in groups:
        found = (
            tickets.filter(_in_days(field, days), extra)
            .values(*DIMENSIONS, day=TruncDate(field, tzinfo=zone))
            .annotate(**sums)
            .order_by()
        )
        for row in dicts(found):
            key = (as_date(row.pop("day")), *(row.pop(name) for name in DIMENSIONS))
            rows[key].update({name: value or 0 for name, value in row.items()})
    _replace_days(
        DailyTicketStats,
        days,
        (
            DailyTicketStats(day=day, team_id=team, agent_id=agent, channel=channel, **values)
            for (day, team, agent, channel), values in rows.items()
        ),
    )

    _recompute_escalations(days)

    # Per team first; the site's histogram is their sum, added up here rather than read twice.
    per_team = []
    site: dict[tuple[date, str, int], int] = defaultdict(int)
    for measure, field, column in HISTOGRAMS:
        found = (
            tickets.filter(_in_days(field, days), **{f"{column}__isnull": False})
            .values("team_id", day=TruncDate(field, tzinfo=zone), bucket=histogram.bucket_expression(column))
            .annotate(n=Count("pk"))
            .order_by()
        )
        for row in dicts(found):
            day = as_date(row["day"])
            per_team.append(
                DailyTeamDurationHistogram(
                    day=day, team_id=row["team_id"], measure=measure, bucket=row["bucket"], count=row["n"]
                )
            )
            site[(day, measure, row["bucket"])] += row["n"]
    _replace_days(DailyTeamDurationHistogram, days, per_team)
    _replace_days(
        DailyDurationHistogram,
        days,
        (
            DailyDurationHistogram(day=day, measure=measure, bucket=bucket, count=count)
            for (day, measure, bucket), count in site.items()
        ),
    )
    return len({key[0] for key in rows}) if days is None else len(days)


def _recompute_arrivals(days: set[date] | None) -> int:
    """Recompute HourlyArrivals for these local days (None: all), each team in its own time zone."""
    messages = Message.objects.filter(direction=Message.Direction.INBOUND)
    if days is not None:
        # Local days reach at most 14 hours either side of UTC midnight.
        messages = messages.filter(
            created_at__gte=datetime.combine(min(days), datetime.min.time(), tzinfo=ZoneInfo("UTC"))
            - timedelta(hours=14),
            created_at__lt=datetime.combine(max(days) + timedelta(days=1), datetime.min.time(), tzinfo=ZoneInfo("UTC"))
            + timedelta(hours=14),
        )
    zones: dict[str, list[int]] = defaultdict(list)
    for pk, zone_name in Team.objects.values_list("pk", "time_zone"):
        zones[zone_name].append(pk)
    zones.setdefault(settings.TIME_ZONE, [])
    fresh = []
    for zone_name, team_ids in zones.items():
        zone = ZoneInfo(zone_name)
        in_zone = Q(ticket__team_id__in=team_ids)
        if zone_name == settings.TIME_ZONE:
            in_zone |= Q(ticket__team_id__isnull=True)
        rows = (
            messages.filter(in_zone)
            .values(
                "channel",
                team=F("ticket__team_id"),
                day=TruncDate("created_at", tzinfo=zone),
                hour=ExtractHour("created_at", tzinfo=zone),
            )
            .annotate(n=Count("pk"))
            .order_by()
        )
        for row in rows:
            day = as_date(row["day"])
            if days is None or day in days:
                fresh.append(
                    HourlyArrivals(
                        day=day, hour=row["hour"], team_id=row["team"], channel=row["channel"], count=row["n"]
                    )
                )
    _replace_days(HourlyArrivals, days, fresh)
    return len({row.day for row in fresh}) if days is None else len(days)


def _days_since(moment: datetime) -> set[date]:
    first, last = timezone.localtime(moment).date(), timezone.localdate()
    return {first + timedelta(days=n) for n in range((last - first).days + 1)}


def _answer_days_since(moment: datetime) -> set[date]:
    """The days (first given) of survey answers given or changed since `moment`."""
    zone = timezone.get_default_timezone()
    days = SurveyAnswer.objects.filter(updated_at__gte=moment).values_list(
        TruncDate("answered_at", tzinfo=zone), flat=True
    )
    return {as_date(day) for day in days.distinct()}


def _recompute_handle_time(days: set[date] | None) -> None:
    """Recompute DailyHandleTime for these days (None: all), under each entry's ticket as it is now."""
    if days == set():
        return
    zone = timezone.get_default_timezone()
    rows = (
        TimeEntry.objects.filter(_in_days("created_at", days))
        .values("agent_id", team=F("ticket__team_id"), day=TruncDate("created_at", tzinfo=zone))
        .annotate(total=Sum("seconds"))
        .order_by()
    )
    fresh = [
        DailyHandleTime(
            day=as_date(row["day"]),
            team_id=row["team"],
            agent_id=row["agent_id"],
            seconds=row["total"],
        )
        for row in rows
    ]
    _replace_days(DailyHandleTime, days, fresh)


def _recompute_answers(days: set[date] | None) -> None:
    """Recompute DailySurveyAnswers for these days (None: all)."""
    if days == set():
        return
    zone = timezone.get_default_timezone()
    rows = (
        SurveyAnswer.objects.filter(_in_days("answered_at", days))
        .values("question", "team_id", "channel", day=TruncDate("answered_at", tzinfo=zone))
        .annotate(
            n=Count("pk"),
            total=Sum("score"),
            satisfied=Count("pk", filter=Q(question="csat", score__gte=4)),
            promoters=Count("pk", filter=Q(question="nps", score__gte=9)),
            detractors=Count("pk", filter=Q(question="nps", score__lte=6)),
        )
        .order_by()
    )
    fresh = [
        DailySurveyAnswers(
            day=as_date(row["day"]),
            question=row["question"],
            team_id=row["team_id"],
            channel=row["channel"],
            count=row["n"],
            total=row["total"],
            satisfied=row["satisfied"],
            promoters=row["promoters"],
            detractors=row["detractors"],
        )
        for row in rows
    ]
    _replace_days(DailySurveyAnswers, days, fresh)


def _recompute_escalations(days: set[date] | None) -> None:
    """Recompute DailyEscalations for tickets created on these days (None: all)."""
    zone = timezone.get_default_timezone()
    rows = (
        TicketEvent.objects.filter(
            kind=TicketEvent.Kind.CHANNEL_SWITCH,
            ticket__in=Ticket.objects.filter(_in_days("created_at", days), merged_into__isnull=True).values("pk"),
        )
        .exclude(to_value=F("ticket__channel"))
        .values(
            "to_value",
            team=F("ticket__team_id"),
            agent=F("ticket__assignee_id"),
            origin=F("ticket__channel"),
            day=TruncDate("ticket__created_at", tzinfo=zone),
        )
        .annotate(n=Count("ticket_id", distinct=True))
        .order_by()
    )
    fresh = [
        DailyEscalations(
            day=as_date(row["day"]),
            team_id=row["team"],
            agent_id=row["agent"],
            channel=row["origin"],
            to_channel=row["to_value"],
            tickets=row["n"],
        )
        for row in rows
    ]
    _replace_days(DailyEscalations, days, fresh)


def _replace_days(model: type[models.Model], days: set[date] | None, fresh: Iterable[models.Model]) -> None:
    """Swap a rollup's rows of these days (None: all) for `fresh`, inside the caller's transaction."""
    rows = model._default_manager
    (rows.all() if days is None else rows.filter(day__in=days)).delete()
    rows.bulk_create(fresh, batch_size=5000)
