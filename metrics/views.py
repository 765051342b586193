"""The manager overview at /dashboard/: one card per figure of the catalogue (metrics.figures.FIGURES).

Each card shows the value, the change against the previous period and whether that is better,
the industry benchmark and whether the team beats it (in words and a sign, not only in colour),
and links every number to the tickets behind it.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from accounts.decorators import manager_required
from metrics import figures
from metrics import views_format as fmt
from metrics.values import Costs, Durations, Mean, NetPromoter, Ratio, Retention
from metrics.views_scope import dashboard_scope

# Ratio cards: (label of the numerator, its drill part), (label of the denominator, its drill part).
RATIO_PARTS = {
    "fcr": (_lazy("Resolved at first contact"), "resolved", _lazy("Solved with a contact"), ""),
    "reopen_rate": (_lazy("Reopened"), "reopened", _lazy("Solved"), ""),
    "unanswered": (_lazy("Without a reply"), "", _lazy("Created"), "all"),
    "csat": (_lazy("Satisfied (4 or 5)"), "satisfied", _lazy("Answers"), ""),
    "multichannel_customers": (_lazy("On 3 to 5 channels"), "", _lazy("Customers"), ""),
    "sla": (_lazy("Met their targets"), "met", _lazy("Solved with targets"), ""),
}
# What a card says when its figure has nothing to measure (the value is None).
EMPTY_NOTES = {"sla": _lazy("No SLA policy sets targets yet.")}


def drill_url(params: dict[str, str], key: str, part: str = "", **filters: Any) -> str:
    """The drill-down page listing the tickets behind a number, with the page's filters."""
    query = {**params, **{name: str(value) for name, value in filters.items() if value is not None}, "figure": key}
    if part:
        query["part"] = part
    return f"{reverse('metrics:tickets')}?{urlencode(query)}"


def _change(row: dict[str, Any]) -> dict[str, str]:
    info, change = row["info"], row["change"]
    if change is None:
        return {"text": fmt.DASH, "arrow": "", "state": "none", "words": _("no earlier figure")}
    arrow = "▲" if change > 0 else ("▼" if change < 0 else "=")
    if change == 0:
        state, words = "flat", _("no change")
    elif info.higher_is_better is None:
        state, words = "neutral", _("up") if change > 0 else _("down")
    elif (change > 0) == info.higher_is_better:
        state, words = "better", _("better")
    else:
        state, words = "worse", _("worse")
    return {"text": fmt.change(change, info.unit), "arrow": arrow, "state": state, "words": words}


def _benchmark(row: dict[str, Any]) -> dict[str, str]:
    beats = row["beats"]
    if beats is True:
        return {"state": "beats", "sign": "✓", "words": _("beats the benchmark")}
    if beats is False:
        return {"state": "misses", "sign": "✗", "words": _("misses the benchmark")}
    return {"state": "neutral", "sign": "", "words": ""}


def _details(key: str, value: Any, params: dict[str, str], drill: bool) -> list[dict[str, Any]]:
    """The numbers under the headline, each linked to its tickets when the figure drills down."""

    def line(label: str, text: str, part: str | None = None) -> dict[str, Any]:
        # A count of nothing opens nothing: no link to an empty list.
        url = drill_url(params, key, part) if drill and part is not None and text != fmt.count(0) else ""
        return {"label": label, "text": text, "url": url}

    if isinstance(value, Ratio) and key in RATIO_PARTS:
        top, top_part, bottom, bottom_part = RATIO_PARTS[key]
        return [
            line(str(top), fmt.count(value.numerator), top_part),
            line(str(bottom), fmt.count(value.denominator), bottom_part),
        ]
    if isinstance(value, NetPromoter):
        return [
            line(_("Promoters (9–10)"), fmt.count(value.promoters), "promoters"),
            line(_("Passives (7–8)"), fmt.count(value.passives), "passives"),
            line(_("Detractors (0–6)"), fmt.count(value.detractors), "detractors"),
        ]
    if isinstance(value, Mean):
        if key == "handle_time":
            return [
                line(_("Tickets worked on"), fmt.count(value.count), ""),
                line(_("Time logged"), fmt.duration(value.total)),
            ]
        counted = _("Answers") if key == "ces" else _("Tickets answered")
        return [line(counted, fmt.count(value.count), "")]
    if isinstance(value, Costs):
        if key == "cost_per_ticket":
            return [
                line(_("Solved tickets"), fmt.count(value.solved), ""),
                line(_("Total cost"), fmt.money(value.total_cost)),
            ]
        return [
            line(_("Handle time"), fmt.duration(value.handle_seconds)),
            line(_("Labour"), fmt.money(value.labour_cost)),
            line(_("Overhead"), fmt.money(value.overhead)),
        ]
    if isinstance(value, Retention):
        return [
            line(_("Customers at the start"), fmt.count(value.at_start)),
            line(_("Gained"), fmt.count(value.gained)),
            line(_("Customers at the end"), fmt.count(value.at_end)),
        ]
    if isinstance(value, Durations):
        return [line(_("Tickets"), fmt.count(value.calendar.count), "")]
    if value is None and key in EMPTY_NOTES:
        return [line(str(EMPTY_NOTES[key]), "")]
    if key == "backlog":
        by_status = getattr(value, "by_status", None) or {}
        return [line(str(label), fmt.count(number), status) for status, label, number in _statuses(by_status)]
    return []


def _statuses(by_status: dict[str, int]) -> list[tuple[str, str, int]]:
    from tickets.models import Ticket

    return [
        (status, label, by_status.get(status, 0))
        for status, label in Ticket.Status.choices
        if status in Ticket.OPEN_STATUSES
    ]


def _durations(value: Any) -> dict[str, Any] | None:
    """Mean, median and p90 (rows) in calendar time and business hours (columns), for a duration card."""
    if not isinstance(value, Durations):
        return None
    calendar, business = value.calendar, value.business
    return {
        "rows": [
            (label, fmt.duration(getattr(calendar, name)), fmt.duration(getattr(business, name)))
            for label, name in ((_("Mean"), "mean"), (_("Median"), "median"), (_("p90"), "p90"))
        ],
        "approximate": not calendar.exact,
    }


def overview_cards(rows: list[dict[str, Any]], params: dict[str, str]) -> list[dict[str, Any]]:
    cards = []
    for row in rows:
        info = row["info"]
        cards.append(
            {
                "key": info.key,
                "label": info.label,
                "value": fmt.by_unit(row["headline"], info.unit),
                "previous": fmt.by_unit(row["previous"], info.unit) if row["previous"] is not None else "",
                "url": drill_url(params, info.key) if info.drill else "",
                "change": _change(row),
                "benchmark_text": info.benchmark_text,
                "benchmark": _benchmark(row),
                "details": _details(info.key, row["value"], params, info.drill),
                "durations": _durations(row["value"]),
            }
        )
    return cards


@manager_required
def overview(request: HttpRequest) -> HttpResponse:
    current = dashboard_scope(request)
    context = current.context(request)
    if current.scope is not None:
        context["cards"] = overview_cards(figures.overview(current.scope), current.params)
    return render(request, "metrics/overview.html", context)
