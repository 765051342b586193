"""Figures counted on tickets: response and resolution times, FCR, reopens, unanswered, channels.

Which period a ticket counts in (docs: metrics definitions): a duration in the period it ends
(first response by first_response_at, resolution by the latest solve, first resolution by the
first solve); tickets created by creation. Merged-away tickets never count on their own.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from typing import Any

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Sum
from django.db.models.functions import TruncDate, TruncWeek
from django.utils import timezone

from metrics import histogram
from metrics.models import DailyDurationHistogram, DailyEscalations, DailyTeamDurationHistogram
from metrics.queries._base import (
    as_date,
    dicts,
    histogram_answers,
    percentiles,
    read_once,
    rollup_answers,
    rollup_rows,
    rollup_totals,
    tickets_for,
)
from metrics.scope import Scope
from metrics.values import Durations, DurationStats, Mean, Ratio
from tickets.models import Channel, SlaPolicy, Ticket, TicketEvent

# figure -> (period field, calendar seconds, business seconds, rollup count column, rollup prefix, histogram measure)
DURATIONS = {
    "first_response_time": (
        "first_response_at",
        "first_response_seconds",
        "first_response_business_seconds",
        "first_response_count",
        "first_response",
        "frt",
    ),
    "resolution_time": (
        "solved_at",
        "resolution_seconds",
        "resolution_business_seconds",
        "solved",
        "resolution",
        "res",
    ),
    "first_resolution_time": (
        "first_solved_at",
        "first_resolution_seconds",
        "first_resolution_business_seconds",
        "first_resolution_count",
        "first_resolution",
        "fres",
    ),
}


def _durations(scope: Scope, key: str) -> Durations:
    period_field, calendar, business, count_column, prefix, measure = DURATIONS[key]
    live = tickets_for(scope, period_field).filter(**{f"{calendar}__isnull": False})
    if rollup_answers(scope):
        totals = rollup_totals(scope)
        sums = {
            "n": totals[count_column],
            "calendar": totals[f"{prefix}_sum"],
            "business": totals[f"{prefix}_business_sum"],
        }
        count = sums["n"]
        means = (sums["calendar"] / count, sums["business"] / count) if count else (None, None)
    else:
        sums = live.aggregate(n=Count("pk"), calendar=Sum(calendar), business=Sum(business))
        count = sums["n"]
        means = (sums["calendar"] / count, sums["business"] / count) if count else (None, None)
    if not count:
        return Durations()
    exact = True
    if histogram_answers(scope):
        exact = False
        buckets = _histograms(scope)
        found = {
            column: [histogram.percentile_from_buckets(buckets[name], f) for f in (0.5, 0.9)]
            for column, name in ((calendar, measure), (business, f"{measure}_b"))
        }
    else:
        found = {column: percentiles(live, column).get(None, [None, None]) for column in (calendar, business)}
    return Durations(
        calendar=DurationStats(count, means[0], found[calendar][0], found[calendar][1], exact=exact),
        business=DurationStats(count, means[1], found[business][0], found[business][1], exact=exact),
    )


def histogram_rows(scope: Scope) -> QuerySet:
    """The histogram rows of the period: the site's, or one team's."""
    if scope.team:
        return DailyTeamDurationHistogram.objects.filter(
            team_id=scope.team, day__gte=scope.first_day, day__lte=scope.last_day
        )
    return DailyDurationHistogram.objects.filter(day__gte=scope.first_day, day__lte=scope.last_day)


def _histograms(scope: Scope) -> dict[str, list[tuple[int, int]]]:
    """(bucket, count) pairs of every measure over the period, in one query the three durations share."""

    def read() -> dict[str, list[tuple[int, int]]]:
        rows = histogram_rows(scope).values("measure", "bucket").annotate(n=Sum("count")).order_by()
        buckets: dict[str, list[tuple[int, int]]] = defaultdict(list)
        for row in rows:
            buckets[row["measure"]].append((row["bucket"], row["n"]))
        return buckets

    return read_once(f"histograms:{scope!r}", read)


def first_response_time(scope: Scope) -> Durations:
    """From the first customer message to the first public reply by a person; proactive tickets left out."""
    return _durations(scope, "first_response_time")


def resolution_time(scope: Scope) -> Durations:
    """ART: from creation to the latest solve, over tickets whose latest solve is in the period."""
    return _durations(scope, "resolution_time")


def first_resolution_time(scope: Scope) -> Durations:
    return _durations(scope, "first_resolution_time")


SOLVED_SUMS = {
    "solved": Count("pk"),
    "contacted": Count("pk", filter=Q(contact_count__gte=1)),
    "first_contact_resolved": Count("pk", filter=Q(contact_count=1, reopen_count=0, channel_switch_count=0)),
    "reopened": Count("pk", filter=Q(reopen_count__gt=0)),
    # SLA: counted at the solve, over tickets that had targets; a first response target only
    # applies when the customer wrote first.
    "sla_due": Count("pk", filter=Q(sla_resolution_target__isnull=False)),
    "sla_met": Count(
        "pk",
        filter=Q(sla_resolution_target__isnull=False, resolution_business_seconds__lte=F("sla_resolution_target"))
        & (
            Q(first_inbound_at__isnull=True)
            | Q(is_proactive=True)
            | Q(sla_first_response_target__isnull=True)
            | Q(first_response_business_seconds__lte=F("sla_first_response_target"))
        ),
    ),
}


def _solved_sums(scope: Scope) -> dict[str, int]:
    if rollup_answers(scope):
        sums = {name: rollup_totals(scope)[name] for name in SOLVED_SUMS}
    else:
        sums = tickets_for(scope, "solved_at").aggregate(**SOLVED_SUMS)
    return {name: value or 0 for name, value in sums.items()}


def first_contact_resolution(scope: Scope) -> Ratio:
    """Solved tickets with exactly one contact, no reopen and no channel switch ÷ solved tickets with a contact."""
    sums = _solved_sums(scope)
    return Ratio(sums["first_contact_resolved"], sums["contacted"])


def reopen_rate(scope: Scope) -> Ratio:
    """Solved tickets that were reopened at least once ÷ solved tickets."""
    sums = _solved_sums(scope)
    return Ratio(sums["reopened"], sums["solved"])


def sla_attainment(scope: Scope) -> Ratio | None:
    """Tickets solved in the period that met their first response and resolution targets ÷ tickets solved with targets.

    None when no SLA policy exists. Targets are in business hours; a ticket counts at its latest solve.
    """
    if not SlaPolicy.objects.exists():
        return None
    sums = _solved_sums(scope)
    return Ratio(sums["sla_met"], sums["sla_due"])


def solved_count(scope: Scope) -> int:
    return _solved_sums(scope)["solved"]


UNANSWERED = Q(first_inbound_at__isnull=False, first_response_at__isnull=True)


def unanswered(scope: Scope) -> Ratio:
    """Tickets created in the period that have a customer message and no public reply yet ÷ tickets created."""
    if rollup_answers(scope):
        totals = rollup_totals(scope)
        sums = {"n": totals["unanswered"], "d": totals["created"]}
    else:
        sums = tickets_for(scope, "created_at").aggregate(n=Count("pk", filter=UNANSWERED), d=Count("pk"))
    return Ratio(sums["n"] or 0, sums["d"] or 0)


def messages_before_first_reply(scope: Scope) -> Mean:
    """Mean customer messages (any channel) before the first public reply, over tickets first answered in the period."""
    if rollup_answers(scope):
        totals = rollup_totals(scope)
        sums = {"n": totals["first_response_count"], "total": totals["before_reply_sum"]}
    else:
        sums = (
            tickets_for(scope, "first_response_at")
            .filter(first_response_seconds__isnull=False)
            .aggregate(n=Count("pk"), total=Sum("inbound_before_first_reply"))
        )
    return Mean(sums["n"] or 0, sums["total"] or 0)


def created_by_channel(scope: Scope) -> dict[str, int]:
    if rollup_answers(scope):
        rows = dicts(rollup_rows(scope).values("channel").annotate(n=Sum("created")).order_by())
    else:
        rows = dicts(tickets_for(scope, "created_at").values("channel").annotate(n=Count("pk")).order_by())
    found = {row["channel"]: row["n"] for row in rows}
    return {channel: found.get(channel, 0) for channel in Channel.values}


def channel_mix(scope: Scope) -> dict[str, Any]:
    """Tickets created in the period by channel of origin (customers by channels: customers_by_channel_count)."""
    return {"tickets": created_by_channel(scope)}


def escalation_matrix(scope: Scope) -> dict[str, dict[str, Ratio]]:
    """For origin A and another channel B: tickets started on A in the period that moved to B ÷ tickets started on A.

    A ticket that went A → B → C counts once under B and once under C; one that came back to A adds nothing.
    """
    started = created_by_channel(scope)
    if rollup_answers(scope):
        rows = DailyEscalations.objects.filter(day__gte=scope.first_day, day__lte=scope.last_day)
        for name, column in (("team", "team_id"), ("agent", "agent_id"), ("channel", "channel")):
            if getattr(scope, name):
                rows = rows.filter(**{column: getattr(scope, name)})
        switched = dicts(rows.values(origin=F("channel"), target=F("to_channel")).annotate(n=Sum("tickets")).order_by())
    else:
        switched = dicts(
            TicketEvent.objects.filter(
                kind=TicketEvent.Kind.CHANNEL_SWITCH, ticket__in=tickets_for(scope, "created_at").values("pk")
            )
            .exclude(to_value=F("ticket__channel"))
            .values(origin=F("ticket__channel"), target=F("to_value"))
            .annotate(n=Count("ticket_id", distinct=True))
            .order_by()
        )
    moved = {(row["origin"], row["target"]): row["n"] for row in switched}
    return {
        origin: {
            target: Ratio(moved.get((origin, target), 0), started[origin])
            for target in Channel.values
            if target != origin
        }
        for origin in Channel.values
    }


# --- time series -------------------------------------------------------------------------------

SERIES_KEYS = (
    "created",
    "solved",
    "first_response_time",
    "resolution_time",
    "first_resolution_time",
    "fcr",
    "reopen_rate",
    "unanswered",
    "messages_before_first_reply",
)


def _periods(scope: Scope, interval: str) -> list[date]:
    day = scope.first_day
    if interval == "week":
        day -= timedelta(days=day.weekday())
    found = []
    step = timedelta(days=7 if interval == "week" else 1)
    while day <= scope.last_day:
        found.append(day)
        day += step
    return found


def series(scope: Scope, key: str, interval: str = "day") -> list[tuple[date, float | None]]:
    """The figure's headline per day or per week (weeks start on Monday) over the period."""
    if interval not in ("day", "week"):
        raise ValueError(f"unknown interval {interval!r}")
    if key not in SERIES_KEYS:
        from metrics.queries import people

        return people.series(scope, key, interval)
    slots = _periods(scope, interval)
    values: dict[date, float | None] = {}
    by_slot: dict[date, Any]
    if key in DURATIONS and key != "resolution_time":
        # Medians per day or week: live, grouped in one query (the histograms are unfiltered and per day).
        period_field, calendar, *_, measure = DURATIONS[key]
        if histogram_answers(scope):
            by_day_or_week = TruncWeek("day") if interval == "week" else F("day")
            buckets: dict[date, list[tuple[int, int]]] = defaultdict(list)
            for counted in (
                histogram_rows(scope)
                .filter(measure=measure)
                .values("bucket", slot=by_day_or_week)
                .annotate(n=Sum("count"))
                .order_by()
            ):
                buckets[as_date(counted["slot"])].append((counted["bucket"], counted["n"]))
            return [(day, histogram.percentile_from_buckets(buckets.get(day, []), 0.5)) for day in slots]
        trunc = TruncWeek if interval == "week" else TruncDate
        group = trunc(period_field, tzinfo=timezone.get_default_timezone())
        live = tickets_for(scope, period_field).filter(**{f"{calendar}__isnull": False})
        for slot, found in percentiles(live, calendar, (0.5,), group=group).items():
            values[as_date(slot)] = found[0]
        return [(slot, values.get(slot)) for slot in slots]

    if rollup_answers(scope):
        rows = rollup_rows(scope)
        group_by = TruncWeek("day") if interval == "week" else F("day")
        sums = rows.values(slot=group_by).annotate(
            created=Sum("created"),
            unanswered=Sum("unanswered"),
            solved=Sum("solved"),
            contacted=Sum("contacted"),
            fcr=Sum("first_contact_resolved"),
            reopened=Sum("reopened"),
            resolution_sum=Sum("resolution_sum"),
            frt_n=Sum("first_response_count"),
            before=Sum("before_reply_sum"),
        )
        by_slot = {as_date(row["slot"]): row for row in dicts(sums)}
    else:
        by_slot = _live_series_sums(scope, interval)
    for slot in slots:
        row = by_slot.get(slot)
        values[slot] = _series_value(key, row) if row else (0 if key in ("created", "solved") else None)
    return [(slot, values[slot]) for slot in slots]


def _live_series_sums(scope: Scope, interval: str) -> dict[date, dict[str, int]]:
    trunc = TruncWeek if interval == "week" else TruncDate
    zone = timezone.get_default_timezone()
    by_slot: dict[date, dict[str, int]] = defaultdict(lambda: defaultdict(int))

    def add(queryset: QuerySet, field: str, **sums: Any) -> None:
        for row in dicts(queryset.values(slot=trunc(field, tzinfo=zone)).annotate(**sums).order_by()):
            slot = as_date(row.pop("slot"))
            by_slot[slot].update({name: value or 0 for name, value in row.items()})

    add(tickets_for(scope, "created_at"), "created_at", created=Count("pk"), unanswered=Count("pk", filter=UNANSWERED))
    add(
        tickets_for(scope, "solved_at"),
        "solved_at",
        solved=Count("pk"),
        contacted=SOLVED_SUMS["contacted"],
        fcr=SOLVED_SUMS["first_contact_resolved"],
        reopened=SOLVED_SUMS["reopened"],
        resolution_sum=Sum("resolution_seconds"),
    )
    add(
        tickets_for(scope, "first_response_at").filter(first_response_seconds__isnull=False),
        "first_response_at",
        frt_n=Count("pk"),
        before=Sum("inbound_before_first_reply"),
    )
    return by_slot


def _series_value(key: str, row: dict[str, Any]) -> float | None:
    def ratio(numerator: str, denominator: str) -> float | None:
        return 100.0 * row[numerator] / row[denominator] if row.get(denominator) else None

    if key in ("created", "solved"):
        return row.get(key) or 0
    if key == "resolution_time":
        return row["resolution_sum"] / row["solved"] if row.get("solved") else None
    if key == "fcr":
        return ratio("fcr", "contacted")
    if key == "reopen_rate":
        return ratio("reopened", "solved")
    if key == "unanswered":
        return ratio("unanswered", "created")
    if key == "messages_before_first_reply":
        return row["before"] / row["frt_n"] if row.get("frt_n") else None
    raise ValueError(key)


# --- drill-down ----------------------------------------------------------------------------------


def tickets_behind(scope: Scope, key: str, part: str = "") -> QuerySet[Ticket]:
    """The tickets a figure counted. `part` picks a numerator: fcr "resolved", reopen_rate "reopened",
    unanswered "all" (default: the unanswered ones), channel_mix a channel, escalations "email>phone",
    backlog a status, csat "satisfied"/"dissatisfied", nps "promoters"/"passives"/"detractors".
    """
    if key in ("first_response_time", "messages_before_first_reply"):
        found = tickets_for(scope, "first_response_at").filter(first_response_seconds__isnull=False)
    elif key in ("resolution_time", "cost_per_ticket"):
        found = tickets_for(scope, "solved_at")
    elif key == "first_resolution_time":
        found = tickets_for(scope, "first_solved_at")
    elif key == "fcr":
        found = tickets_for(scope, "solved_at").filter(contact_count__gte=1)
        if part == "resolved":
            found = found.filter(contact_count=1, reopen_count=0, channel_switch_count=0)
    elif key == "sla":
        found = tickets_for(scope, "solved_at").filter(sla_resolution_target__isnull=False)
        if part in ("met", "missed"):
            met = found.filter(SOLVED_SUMS["sla_met"].filter)
            found = met if part == "met" else found.exclude(pk__in=met.values("pk"))
    elif key == "reopen_rate":
        found = tickets_for(scope, "solved_at")
        if part == "reopened":
            found = found.filter(reopen_count__gt=0)
    elif key == "unanswered":
        found = tickets_for(scope, "created_at")
        if part != "all":
            found = found.filter(UNANSWERED)
    elif key in ("channel_mix", "created"):
        found = tickets_for(scope, "created_at")
        if part:
            found = found.filter(channel=part)
    elif key == "escalations":
        origin, _, target = part.partition(">")
        found = tickets_for(scope, "created_at").filter(channel=origin)
        found = found.filter(
            Exists(
                TicketEvent.objects.filter(
                    ticket_id=OuterRef("pk"), kind=TicketEvent.Kind.CHANNEL_SWITCH, to_value=target
                )
            )
        )
    elif key == "backlog":
        found = tickets_for(scope).filter(status__in=Ticket.OPEN_STATUSES)
        if part:
            found = found.filter(status=part)
    elif key in ("csat", "nps", "ces", "handle_time"):
        from metrics.queries import people

        return people.tickets_behind(scope, key, part)
    else:
        raise KeyError(key)
    return found.order_by("-pk")
