"""Figures about what customers said (CSAT, NPS, CES) and what support spent (handle time, cost),
and the per-team and per-agent tables.

Survey answers count by the time they were first given, with the agent, team and channel they
kept; time entries by the time they were logged, under the ticket they belong to now (a merge
moves them to the ticket merged into).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Sum
from django.db.models.functions import TruncDate, TruncWeek
from django.utils import timezone

from accounts.models import User
from metrics.models import CostSettings, DailyHandleTime, DailySurveyAnswers, SurveyAnswer
from metrics.queries import tickets as ticket_figures
from metrics.queries._base import (
    as_date,
    dicts,
    read_once,
    rollup_answers,
    rollup_rows,
    rollups_ready,
    tickets_for,
)
from metrics.scope import Scope
from metrics.values import Costs, Mean, NetPromoter, Ratio
from tickets.models import Team, Ticket, TimeEntry

# Spread a monthly overhead over a period by its days: an average month is 365.25 / 12 days.
DAYS_PER_MONTH = Decimal("30.4375")


def answers_for(scope: Scope, question: str | None) -> QuerySet[SurveyAnswer]:
    """Answers given in the period (to `question`, or to any), with the scope's filters."""
    answers = SurveyAnswer.objects.filter(answered_at__gte=scope.start, answered_at__lt=scope.end)
    if question:
        answers = answers.filter(question=question)
    if scope.team:
        answers = answers.filter(team_id=scope.team)
    if scope.agent:
        answers = answers.filter(agent_id=scope.agent)
    if scope.channel:
        answers = answers.filter(channel=scope.channel)
    if scope.organization:
        answers = answers.filter(customer__organization_id=scope.organization)
    if scope.priority:
        answers = answers.filter(ticket__priority=scope.priority)
    if scope.tag:
        answers = answers.filter(
            Exists(Ticket.tags.through.objects.filter(ticket_id=OuterRef("ticket_id"), tag__name=scope.tag))
        )
    return answers


def _answer_sums(scope: Scope, question: str) -> dict[str, int]:
    """Counts of the answers to `question`: n, total (sum of scores), satisfied, promoters, detractors.

    The daily rollup answers whole days filtered by team or channel (the answer's own); the three
    questions are read in one query.
    """

    def read() -> dict[str, dict[str, int]]:
        names = ("n", "total", "satisfied", "promoters", "detractors")
        if (
            scope.whole_days
            and not (scope.agent or scope.organization or scope.priority or scope.tag)
            and rollups_ready()
        ):
            rows = DailySurveyAnswers.objects.filter(day__gte=scope.first_day, day__lte=scope.last_day)
            if scope.team:
                rows = rows.filter(team_id=scope.team)
            if scope.channel:
                rows = rows.filter(channel=scope.channel)
            found: Any = rows.values("question").annotate(
                n=Sum("count"),
                total=Sum("total"),
                satisfied=Sum("satisfied"),
                promoters=Sum("promoters"),
                detractors=Sum("detractors"),
            )
        else:
            found = (
                answers_for(scope, None)
                .values("question")
                .annotate(
                    n=Count("pk"),
                    total=Sum("score"),
                    satisfied=Count("pk", filter=Q(question="csat", score__gte=4)),
                    promoters=Count("pk", filter=Q(question="nps", score__gte=9)),
                    detractors=Count("pk", filter=Q(question="nps", score__lte=6)),
                )
            )
        by_question = {row["question"]: {name: row[name] or 0 for name in names} for row in dicts(found.order_by())}
        return {q: by_question.get(q, dict.fromkeys(names, 0)) for q in ("csat", "ces", "nps")}

    return read_once(f"answer_sums:{scope!r}", read)[question]


def csat(scope: Scope) -> Ratio:
    """Answers 4 or 5 ÷ all answers to the satisfaction question (1–5)."""
    sums = _answer_sums(scope, "csat")
    return Ratio(sums["satisfied"], sums["n"])


def nps(scope: Scope) -> NetPromoter:
    """Promoters answer 9–10, detractors 0–6, on "How likely are you to recommend us?"."""
    sums = _answer_sums(scope, "nps")
    passives = sums["n"] - sums["promoters"] - sums["detractors"]
    return NetPromoter(sums["promoters"], passives, sums["detractors"])


def ces(scope: Scope) -> Mean:
    """Mean of the answers to "The company made it easy to handle my issue" (1–7, 7 = strongly agree)."""
    sums = _answer_sums(scope, "ces")
    return Mean(sums["n"], sums["total"])


def time_entries_for(scope: Scope) -> QuerySet[TimeEntry]:
    entries = TimeEntry.objects.filter(created_at__gte=scope.start, created_at__lt=scope.end)
    if scope.agent:
        entries = entries.filter(agent_id=scope.agent)
    ticket_filters = scope.with_filters(agent=None)
    if ticket_filters.filters:
        entries = entries.filter(ticket__in=tickets_for(ticket_filters).values("pk"))
    return entries


def handle_rollup_answers(scope: Scope) -> bool:
    """DailyHandleTime holds whole days by the ticket's team and the entry's agent only."""
    return (
        scope.whole_days
        and not (scope.channel or scope.priority or scope.organization or scope.tag)
        and rollups_ready()
    )


def handle_rollup_rows(scope: Scope) -> QuerySet[DailyHandleTime]:
    """The DailyHandleTime rows of the scope (when handle_rollup_answers says they can answer it)."""
    rows = DailyHandleTime.objects.filter(day__gte=scope.first_day, day__lte=scope.last_day)
    if scope.team:
        rows = rows.filter(team_id=scope.team)
    if scope.agent:
        rows = rows.filter(agent_id=scope.agent)
    return rows


def handle_seconds_by_team_and_agent(scope: Scope) -> list[dict[str, Any]]:
    """Agent time logged in the period, per (ticket's team, entry's agent): rows of team_id, agent_id, seconds."""
    if handle_rollup_answers(scope):
        found: Any = handle_rollup_rows(scope).values("team_id", "agent_id").annotate(seconds=Sum("seconds")).order_by()
    else:
        found = (
            time_entries_for(scope)
            .values("agent_id", team_id=F("ticket__team_id"))
            .annotate(seconds=Sum("seconds"))
            .order_by()
        )
    return dicts(found)


def _all_handle_seconds(scope: Scope) -> int:
    """Every agent's time in the period, whatever the filters (the base of the overhead share)."""
    unfiltered = Scope(start=scope.start, end=scope.end)
    return sum(row["seconds"] for row in handle_seconds_by_team_and_agent(unfiltered))


def handle_time(scope: Scope) -> Mean:
    """Agent time logged in the period (tracked, chat, calls, manual) per ticket solved in it.

    Per solved ticket, like cost per ticket, so both add up by day; time on tickets still open
    counts too, as it is part of what the solved work cost.
    """
    seconds = sum(row["seconds"] for row in handle_seconds_by_team_and_agent(scope))
    return Mean(ticket_figures.solved_count(scope), seconds)


def _cost_settings() -> CostSettings:
    return read_once("cost_settings", lambda: CostSettings.objects.first() or CostSettings())


def _rates() -> tuple[Decimal, dict[Any, Any], dict[Any, Any]]:
    def read() -> tuple[Decimal, dict[Any, Any], dict[Any, Any]]:
        teams = dict(Team.objects.filter(cost_per_minute__isnull=False).values_list("pk", "cost_per_minute"))
        agents = dict(User.objects.filter(cost_per_minute__isnull=False).values_list("pk", "cost_per_minute"))
        return _cost_settings().default_cost_per_minute, teams, agents

    return read_once("rates", read)


def _overhead(scope: Scope) -> Decimal:
    settings_row = _cost_settings()
    monthly = settings_row.monthly_overhead if settings_row else Decimal("0")
    return monthly * Decimal(scope.days) / DAYS_PER_MONTH


def _labour(rows: list[dict[str, Any]], rates: tuple | None = None) -> Decimal:
    """Handle minutes × the loaded cost per minute: the ticket's team's rate, else the agent's, else the default."""
    default, teams, agents = rates or _rates()
    total = Decimal("0")
    for row in rows:
        rate = teams.get(row["team_id"]) or agents.get(row["agent_id"]) or default
        total += Decimal(row["seconds"]) / 60 * rate
    return total


def costs(scope: Scope) -> Costs:
    """(handle minutes × loaded cost per minute + the period's overhead); per minute and per solved ticket.

    With filters, the scope carries the share of the overhead that its handle time is of all
    handle time in the period.
    """
    rows = handle_seconds_by_team_and_agent(scope)
    seconds = sum(row["seconds"] for row in rows)
    overhead = _overhead(scope)
    if scope.filters:
        everyone = _all_handle_seconds(scope)
        overhead = overhead * seconds / everyone if everyone else Decimal("0")
    return Costs(
        handle_seconds=seconds,
        labour_cost=_labour(rows).quantize(Decimal("0.01")),
        overhead=overhead.quantize(Decimal("0.01")),
        solved=ticket_figures.solved_count(scope),
    )


# --- series and tables ----------------------------------------------------------------------------

PEOPLE_SERIES = ("csat", "nps", "ces", "handle_time")


def series(scope: Scope, key: str, interval: str) -> list[tuple[date, float | None]]:
    if key not in PEOPLE_SERIES:
        raise KeyError(key)
    trunc = TruncWeek if interval == "week" else TruncDate
    zone = timezone.get_default_timezone()
    if key == "handle_time":
        # Seconds logged per day or week ÷ tickets solved in it, as the card.
        solved = dict(ticket_figures.series(scope, "solved", interval))
        if handle_rollup_answers(scope):
            slots: Any = handle_rollup_rows(scope).values(slot=TruncWeek("day") if interval == "week" else F("day"))
        else:
            slots = time_entries_for(scope).values(slot=trunc("created_at", tzinfo=zone))
        found: dict[date, float | None] = {}
        for row in dicts(slots.annotate(total=Sum("seconds")).order_by()):
            slot = as_date(row["slot"])
            found[slot] = Mean(int(solved.get(slot) or 0), row["total"]).mean
    else:
        rows = dicts(
            answers_for(scope, key)
            .values(slot=trunc("answered_at", tzinfo=zone))
            .annotate(
                n=Count("pk"),
                total=Sum("score"),
                high=Count("pk", filter=Q(score__gte=9 if key == "nps" else 4)),
                low=Count("pk", filter=Q(score__lte=6)),
            )
            .order_by()
        )
        found = {}
        for row in rows:
            if key == "csat":
                found[as_date(row["slot"])] = Ratio(row["high"], row["n"]).percent
            elif key == "nps":
                found[as_date(row["slot"])] = NetPromoter(
                    row["high"], row["n"] - row["high"] - row["low"], row["low"]
                ).score
            else:
                found[as_date(row["slot"])] = Mean(row["n"], row["total"]).mean
    return [(slot, found.get(slot)) for slot in ticket_figures._periods(scope, interval)]


def breakdown(scope: Scope, by: str) -> list[dict[str, Any]]:
    """One row per team or agent: created, solved, mean FRT, ART, FCR, reopens, CSAT, handle time, cost.

    A fixed number of grouped queries whatever the number of teams or agents. Medians are left out:
    per group they need every duration sorted (a second at a million tickets), and the rollups keep
    duration histograms for the whole site only.
    """
    if by not in ("team", "agent"):
        raise ValueError(f"breakdown by {by!r}")
    ticket_key = "team_id" if by == "team" else "assignee_id"
    rows: dict[Any, dict[str, Any]] = defaultdict(lambda: defaultdict(lambda: 0))

    if rollup_answers(scope):
        rollup_key = "team_id" if by == "team" else "agent_id"
        for row in dicts(
            rollup_rows(scope)
            .values(key=F(rollup_key))
            .annotate(
                created=Sum("created"),
                solved=Sum("solved"),
                contacted=Sum("contacted"),
                first_contact_resolved=Sum("first_contact_resolved"),
                reopened=Sum("reopened"),
                resolution_sum=Sum("resolution_sum"),
                frt_n=Sum("first_response_count"),
                frt_sum=Sum("first_response_sum"),
            )
            .order_by()
        ):
            rows[row.pop("key")].update(row)
    else:
        sums = ticket_figures.SOLVED_SUMS
        for queryset, annotations in (
            (tickets_for(scope, "created_at"), {"created": Count("pk")}),
            (
                tickets_for(scope, "solved_at"),
                {**sums, "resolution_sum": Sum("resolution_seconds")},
            ),
            (
                tickets_for(scope, "first_response_at").filter(first_response_seconds__isnull=False),
                {"frt_n": Count("pk"), "frt_sum": Sum("first_response_seconds")},
            ),
        ):
            for row in dicts(queryset.values(key=F(ticket_key)).annotate(**annotations).order_by()):
                rows[row.pop("key")].update({name: value or 0 for name, value in row.items()})

    answer_key = "team_id" if by == "team" else "agent_id"
    for row in dicts(
        answers_for(scope, "csat")
        .values(key=F(answer_key))
        .annotate(n=Count("pk"), satisfied=Count("pk", filter=Q(score__gte=4)))
        .order_by()
    ):
        rows[row["key"]]["csat_n"] = row["n"]
        rows[row["key"]]["csat_satisfied"] = row["satisfied"]

    entry_key = "team_id" if by == "team" else "agent_id"
    entries = handle_seconds_by_team_and_agent(scope)
    by_key: dict[int | None, list[dict[str, Any]]] = defaultdict(list)
    for row in entries:
        by_key[row[entry_key]].append(row)
    rates = _rates()
    for key, group in by_key.items():
        rows[key]["handle_seconds"] = sum(row["seconds"] for row in group)
        rows[key]["labour_cost"] = _labour(group, rates).quantize(Decimal("0.01"))

    names = _names(by, [key for key in rows if key is not None])
    table = []
    for key, row in rows.items():
        table.append(
            {
                "id": key,
                "name": names.get(key, ""),
                "created": row["created"],
                "solved": row["solved"],
                "first_response_mean": row["frt_sum"] / row["frt_n"] if row["frt_n"] else None,
                "resolution_mean": row["resolution_sum"] / row["solved"] if row["solved"] else None,
                "fcr": Ratio(row["first_contact_resolved"], row["contacted"]).percent,
                "reopen_rate": Ratio(row["reopened"], row["solved"]).percent,
                "csat": Ratio(row["csat_satisfied"], row["csat_n"]).percent,
                "csat_answers": row["csat_n"],
                "handle_seconds": row["handle_seconds"],
                "labour_cost": row["labour_cost"] or Decimal("0"),
                "cost_per_ticket": (row["labour_cost"] / row["solved"]).quantize(Decimal("0.01"))
                if row["solved"] and row["labour_cost"]
                else None,
            }
        )
    table.sort(key=lambda row: (row["id"] is None, str(row["name"]).lower()))
    return table


def _names(by: str, ids: list[int]) -> dict[int, str]:
    if by == "team":
        return dict(Team.objects.filter(pk__in=ids).values_list("pk", "name"))
    return {user.pk: str(user) for user in User.objects.filter(pk__in=ids)}


def tickets_behind(scope: Scope, key: str, part: str = "") -> QuerySet[Ticket]:
    if key == "handle_time":
        return Ticket.objects.filter(pk__in=time_entries_for(scope).values("ticket_id")).order_by("-pk")
    answers = answers_for(scope, key)
    parts = {
        "satisfied": Q(score__gte=4),
        "dissatisfied": Q(score__lte=3),
        "promoters": Q(score__gte=9),
        "passives": Q(score__in=(7, 8)),
        "detractors": Q(score__lte=6),
    }
    if part in parts:
        answers = answers.filter(parts[part])
    return Ticket.objects.filter(pk__in=answers.values("ticket_id")).order_by("-pk")
