"""The catalogue of figures (docs: metrics definitions): what each is, its benchmark, and how to get it.

Views, the metrics API and the CSV exports all go through this module:
- FIGURES: one FigureInfo per card of the overview, in display order;
- figure(scope, key): one figure's value (a metrics.values shape);
- overview(scope): every headline figure for a scope and its previous period, in a fixed number of queries;
- series(scope, key, interval): a figure per day or week;
- breakdown(scope, by): the per-team or per-agent table;
- tickets_behind(scope, key): the tickets a figure counted, for drill-down.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from metrics import values as v
from metrics.queries import arrivals, backlog, customers, people, tickets
from metrics.queries._base import shared_reads
from metrics.scope import Scope
from tickets.models import Ticket

if TYPE_CHECKING:  # django-stubs is a test dependency; at run time the annotation is only text
    from django_stubs_ext import StrOrPromise


@dataclass(frozen=True)
class FigureInfo:
    key: str
    label: StrOrPromise
    unit: str  # "seconds", "percent", "score", "money", "count", "number"
    headline: Callable[[Any], float | Decimal | int | None]  # the one number of the card, from the value
    benchmark: float | Decimal | None = None
    benchmark_text: StrOrPromise = ""
    higher_is_better: bool | None = None  # None: no better or worse (a count)
    drill: bool = True  # whether tickets_behind() lists what it counted
    # Off the overview: customers by channels needs every customer-channel pair of the period (1.4 s
    # at a million tickets), so it is shown on the Channels page and served by the API only.
    on_overview: bool = True


def _median(value: v.Durations) -> float | None:
    return value.calendar.median


FIGURES: list[FigureInfo] = [
    FigureInfo(
        "first_response_time",
        _("First response time (median)"),
        "seconds",
        _median,
        benchmark=4 * 3600,
        # xgettext:no-python-format
        benchmark_text=_("46% of customers expect a first response within 4 hours; typical 10 min to 12 h"),
        higher_is_better=False,
    ),
    FigureInfo(
        "resolution_time",
        _("Average resolution time"),
        "seconds",
        lambda value: value.calendar.mean,
        higher_is_better=False,
    ),
    FigureInfo(
        "first_resolution_time",
        _("First resolution time (median)"),
        "seconds",
        _median,
        higher_is_better=False,
    ),
    FigureInfo(
        "fcr",
        _("First contact resolution"),
        "percent",
        lambda value: value.percent,
        benchmark=74,
        benchmark_text=_("74%"),
        higher_is_better=True,
    ),
    FigureInfo(
        "csat",
        _("Customer satisfaction (CSAT)"),
        "percent",
        lambda value: value.percent,
        benchmark=86,
        benchmark_text=_("86%"),
        higher_is_better=True,
    ),
    FigureInfo(
        "nps",
        _("Net promoter score (NPS)"),
        "score",
        lambda value: value.score,
        benchmark=32,
        benchmark_text=_("+32"),
        higher_is_better=True,
    ),
    FigureInfo(
        "ces",
        _("Customer effort score (CES, of 7)"),
        "number",
        lambda value: value.mean,
        benchmark=5.5,
        benchmark_text=_("5.5 of 7"),
        higher_is_better=True,
    ),
    FigureInfo(
        "handle_time",
        _("Handle time per solved ticket"),
        "seconds",
        lambda value: value.mean,
        higher_is_better=None,
    ),
    FigureInfo(
        "cost_per_minute",
        _("Cost per minute"),
        "money",
        lambda value: value.cost_per_minute,
        benchmark=Decimal("1.60"),
        benchmark_text=_("$1.60 a minute"),
        higher_is_better=False,
        drill=False,
    ),
    FigureInfo(
        "cost_per_ticket",
        _("Cost per ticket"),
        "money",
        lambda value: value.cost_per_ticket,
        benchmark=Decimal("15.56"),
        benchmark_text=_("$15.56 average; range $2.93 to $49.69"),
        higher_is_better=False,
    ),
    FigureInfo("backlog", _("Backlog now"), "count", lambda value: value.total, higher_is_better=None),
    FigureInfo("reopen_rate", _("Reopen rate"), "percent", lambda value: value.percent, higher_is_better=False),
    FigureInfo(
        "unanswered",
        _("Unanswered"),
        "percent",
        lambda value: value.percent,
        benchmark=50,
        # xgettext:no-python-format
        benchmark_text=_("50% of queries go unanswered"),
        higher_is_better=False,
    ),
    FigureInfo(
        "messages_before_first_reply",
        _("Customer messages before the first reply"),
        "number",
        lambda value: value.mean,
        benchmark=1.15,
        benchmark_text=_("1.15"),
        higher_is_better=False,
    ),
    FigureInfo(
        "multichannel_customers",
        _("Customers using 3–5 channels"),
        "percent",
        lambda value: value.percent,
        benchmark=49,
        # xgettext:no-python-format
        benchmark_text=_("49% of customers use 3–5 channels"),
        higher_is_better=None,
        drill=False,
        on_overview=False,
    ),
    FigureInfo(
        "sla",
        _("SLA attainment"),
        "percent",
        lambda value: value.percent if value is not None else None,
        higher_is_better=True,
    ),
    FigureInfo(
        "retention",
        _("Customer retention rate"),
        "percent",
        lambda value: value.rate,
        higher_is_better=True,
        drill=False,
    ),
]
FIGURES_BY_KEY = {info.key: info for info in FIGURES}
OVERVIEW_FIGURES = [info for info in FIGURES if info.on_overview]

# Figures beyond the cards: shown as tables and charts, and served by the API.
DETAIL_FIGURES = (
    "channel_mix",
    "customers_by_channels",
    "escalations",
    "peak_hours",
    "retention_by_satisfaction",
    "kb_deflection",
)


def _computers() -> dict[str, Callable[[Scope], Any]]:
    return {
        "first_response_time": tickets.first_response_time,
        "resolution_time": tickets.resolution_time,
        "first_resolution_time": tickets.first_resolution_time,
        "fcr": tickets.first_contact_resolution,
        "reopen_rate": tickets.reopen_rate,
        "unanswered": tickets.unanswered,
        "messages_before_first_reply": tickets.messages_before_first_reply,
        "csat": people.csat,
        "nps": people.nps,
        "ces": people.ces,
        "handle_time": people.handle_time,
        "cost_per_minute": people.costs,
        "cost_per_ticket": people.costs,
        "backlog": lambda scope: backlog.backlog(scope),
        "multichannel_customers": customers.multichannel_customers,
        "retention": customers.retention,
        "channel_mix": tickets.channel_mix,
        "customers_by_channels": customers.customers_by_channel_count,
        "escalations": tickets.escalation_matrix,
        "peak_hours": arrivals.peak_hours,
        "retention_by_satisfaction": customers.retention_by_satisfaction,
        "sla": tickets.sla_attainment,
        # The help center counts views and votes, but not yet which visits ended without a ticket.
        "kb_deflection": lambda scope: None,
    }


ALL_KEYS = [info.key for info in FIGURES] + list(DETAIL_FIGURES)


def figure(scope: Scope, key: str) -> Any:
    """One figure's value for the scope. KeyError for an unknown key."""
    compute = _computers()[key]
    with shared_reads():
        return compute(scope)


def overview(scope: Scope) -> list[dict[str, Any]]:
    """Every card: its info, value, headline number, previous period's, the change and whether it beats the benchmark.

    Figures that share a computation (the two costs) are computed once per period; the backlog is
    a figure of now, so it has no previous period.
    """
    computers = _computers()
    cache: dict[tuple[int, Callable], Any] = {}
    previous = scope.previous()

    def value_of(which: Scope, key: str) -> Any:
        compute = computers[key]
        slot = (id(which), compute)
        if slot not in cache:
            cache[slot] = compute(which)
        return cache[slot]

    cards = []
    with shared_reads():
        for info in OVERVIEW_FIGURES:
            before = None if info.key == "backlog" else info.headline(value_of(previous, info.key))
            cards.append(_card(info, value_of(scope, info.key), before))
    return cards


def _card(info: FigureInfo, value: Any, before: Any) -> dict[str, Any]:
    headline = info.headline(value)
    change = float(headline) - float(before) if headline is not None and before is not None else None
    beats = None
    if info.benchmark is not None and headline is not None and info.higher_is_better is not None:
        if info.higher_is_better:
            beats = float(headline) >= float(info.benchmark)
        else:
            beats = float(headline) <= float(info.benchmark)
    return {"info": info, "value": value, "headline": headline, "previous": before, "change": change, "beats": beats}


def series(scope: Scope, key: str, interval: str = "day") -> list[tuple[Any, float | None]]:
    """(first day of the day or week, headline value) for each day or week of the period."""
    with shared_reads():
        return tickets.series(scope, key, interval)


def breakdown(scope: Scope, by: str) -> list[dict[str, Any]]:
    """One row per team or per agent ("team" or "agent") with the main figures."""
    with shared_reads():
        return people.breakdown(scope, by)


def tickets_behind(scope: Scope, key: str, part: str = "") -> QuerySet[Ticket]:
    """The tickets a figure counted (`part` narrows to a numerator such as "resolved" for FCR)."""
    return tickets.tickets_behind(scope, key, part)
