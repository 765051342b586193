"""The dashboard's detail pages: trends, distributions, channels and hours, teams and agents, customers.

Each view reads the scope, asks metrics.figures for plain data, and turns it into rows and
server-drawn SVG charts (metrics.charts); the templates only lay them out.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.dates import WEEKDAYS, WEEKDAYS_ABBR
from django.utils.formats import date_format
from django.utils.translation import get_language_bidi
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from accounts.decorators import manager_required
from metrics import charts, figures
from metrics import views_format as fmt
from metrics.csv_export import series_choice
from metrics.scope import Scope
from metrics.values import Durations, Retention
from metrics.views import drill_url
from metrics.views_scope import DashboardScope, dashboard_scope
from tickets.models import Channel, Ticket

SERIES = {
    "created": (_lazy("Tickets created"), "count"),
    "solved": (_lazy("Tickets solved"), "count"),
    "first_response_time": (_lazy("First response time (median)"), "seconds"),
    "resolution_time": (_lazy("Average resolution time"), "seconds"),
    "first_resolution_time": (_lazy("First resolution time (median)"), "seconds"),
    "fcr": (_lazy("First contact resolution"), "percent"),
    "reopen_rate": (_lazy("Reopen rate"), "percent"),
    "unanswered": (_lazy("Unanswered"), "percent"),
    "messages_before_first_reply": (_lazy("Customer messages before the first reply"), "number"),
    "csat": (_lazy("Customer satisfaction (CSAT)"), "percent"),
    "nps": (_lazy("Net promoter score (NPS)"), "score"),
    "ces": (_lazy("Customer effort score (CES)"), "number"),
    "handle_time": (_lazy("Handle time per solved ticket"), "seconds"),
}
MAIN_SERIES = ("created", "solved", "first_response_time", "resolution_time", "fcr", "csat")
DURATION_FIGURES = ("first_response_time", "resolution_time", "first_resolution_time")
AGE_LABELS = {
    "<1d": _lazy("under 1 day"),
    "1-3d": _lazy("1 to 3 days"),
    "3-7d": _lazy("3 to 7 days"),
    "7-30d": _lazy("7 to 30 days"),
    ">30d": _lazy("over 30 days"),
}


def export_url(table: str, current: DashboardScope, **extra: str) -> str:
    query = urlencode({**current.params, **extra})
    return f"{reverse('metrics:export', args=[table])}" + (f"?{query}" if query else "")


def _page(request: HttpRequest, template: str, build: Any, keep: tuple[str, ...] = ()) -> HttpResponse:
    """Render a detail page: the filter bar always, the figures only when the scope is valid.

    `keep`: the page's own URL parameters, carried along when the filters change.
    """
    current = dashboard_scope(request)
    context = current.context(request, keep={name: request.GET.get(name, "") for name in keep})
    if current.scope is not None:
        context.update(build(current.scope, current, request))
    return render(request, template, context)


def _formatter(unit: str):
    return lambda value: fmt.by_unit(value, unit)


# --- trends ----------------------------------------------------------------------------------------


def _series_chart(scope: Scope, key: str, interval: str, current: DashboardScope, width: int) -> dict[str, Any]:
    label, unit = SERIES[key]
    points = figures.series(scope, key, interval)
    labelled = [(date_format(slot, "j M"), value) for slot, value in points]
    draw = charts.bar_chart if unit == "count" else charts.line_chart
    return {
        "key": key,
        "label": label,
        "svg": draw(
            labelled,
            label=str(label),
            fmt=_formatter(unit),
            width=width,
            nice=charts.duration_max if unit == "seconds" else charts.nice_max,
        ),
        "rows": [(date_format(slot, "DATE_FORMAT"), fmt.by_unit(value, unit)) for slot, value in points],
        "csv": export_url("series", current, series=key, interval=interval),
        "url": f"?{urlencode({**current.params, 'series': key, 'interval': interval})}",
    }


def _trends(scope: Scope, current: DashboardScope, request: HttpRequest) -> dict[str, Any]:
    chosen, interval = series_choice(
        {"series": request.GET.get("series", ""), "interval": request.GET.get("interval", "")}
    )
    if not request.GET.get("interval") and scope.days > 92:
        interval = "week"  # a year by day is 365 points: weeks read better unless asked
    return {
        "interval": interval,
        "chosen": _series_chart(scope, chosen, interval, current, 720),
        "small": [_series_chart(scope, key, interval, current, 360) for key in MAIN_SERIES if key != chosen],
        "series_choices": [(key, label) for key, (label, _unit) in SERIES.items()],
        "intervals": [("day", _("By day")), ("week", _("By week"))],
    }


@manager_required
def trends(request: HttpRequest) -> HttpResponse:
    return _page(request, "metrics/trends.html", _trends, keep=("series", "interval"))


# --- distributions ---------------------------------------------------------------------------------


def _duration_block(key: str, value: Durations, rtl: bool) -> dict[str, Any]:
    info = figures.FIGURES_BY_KEY[key]
    rows = []
    for basis, stats in ((_("Calendar"), value.calendar), (_("Business hours"), value.business)):
        for name, seconds in ((_("Mean"), stats.mean), (_("Median"), stats.median), (_("90th percentile"), stats.p90)):
            rows.append((f"{basis}: {name}", seconds))
    return {
        "key": key,
        "label": info.label,
        "count": value.calendar.count,
        "approximate": not value.calendar.exact,
        "svg": charts.hbar_chart(rows, label=str(info.label), fmt=fmt.duration, rtl=rtl, width=500, label_width=200),
        "rows": [(name, fmt.duration(seconds)) for name, seconds in rows],
    }


def _distributions(scope: Scope, current: DashboardScope, request: HttpRequest) -> dict[str, Any]:
    rtl = get_language_bidi()
    backlog = figures.figure(scope, "backlog")
    ages = [(str(AGE_LABELS.get(band, band)), n) for band, n in backlog.ages.items()]
    return {
        "durations": [_duration_block(key, figures.figure(scope, key), rtl) for key in DURATION_FIGURES],
        "backlog_total": backlog.total,
        "backlog_url": drill_url(current.params, "backlog"),
        "backlog_statuses": [
            (label, n, drill_url(current.params, "backlog", status) if n else "")
            for status, label in Ticket.Status.choices
            if status in Ticket.OPEN_STATUSES
            for n in [backlog.by_status.get(status, 0)]
        ],
        "ages": ages,
        "ages_svg": charts.bar_chart(ages, label=_("Backlog by age"), fmt=fmt.count, width=560),
        "durations_csv": export_url("durations", current),
        "ages_csv": export_url("backlog_ages", current),
    }


@manager_required
def distributions(request: HttpRequest) -> HttpResponse:
    return _page(request, "metrics/distributions.html", _distributions)


# --- channels and hours ------------------------------------------------------------------------------


def _staffing(scope: Scope) -> dict[str, Any]:
    from metrics.staffing import staffing_forecast

    return staffing_forecast(scope)


def _peak_block(channel: str, grid: list[list[int]], forecast: Any) -> dict[str, Any]:
    label = Channel(channel).label
    weekdays = [str(WEEKDAYS_ABBR[day]) for day in range(7)]
    hours = [f"{hour:02d}" if hour % 3 == 0 else "" for hour in range(24)]

    def title(row: int, column: int, value: float) -> str:
        return _("%(weekday)s %(start)02d:00–%(end)02d:00: %(count)s inbound messages") % {
            "weekday": WEEKDAYS[row],
            "start": column,
            "end": (column + 1) % 24,
            "count": fmt.count(value),
        }

    block: dict[str, Any] = {
        "channel": channel,
        "label": label,
        "total": sum(map(sum, grid)),
        "svg": charts.heatmap(
            grid,
            label=_("Inbound messages by weekday and hour: %(channel)s") % {"channel": label},
            row_labels=weekdays,
            column_labels=hours,
            cell_title=title,
        ),
        "rows": [(weekdays[day], grid[day]) for day in range(7)],
    }
    if forecast is not None:
        block["staffing"] = {
            "svg": charts.bar_chart(
                [(f"{hour:02d}:00", agents) for hour, agents in enumerate(forecast.agents)],
                label=_("Agents needed by hour: %(channel)s") % {"channel": label},
                fmt=fmt.count,
                width=360,
                height=160,
            ),
            "peak": max(forecast.agents, default=0),
            "target": _("%(share)s%% answered within %(wait)s")
            % {"share": round(forecast.target.share * 100), "wait": fmt.duration(forecast.target.wait_seconds)},
            "handle": fmt.duration(forecast.handle_seconds),
            "measured": forecast.handle_time_measured,
            "hours": [(f"{hour:02d}:00", agents) for hour, agents in enumerate(forecast.agents)],
        }
    return block


def _escalation_rows(matrix: dict[str, dict[str, Any]], current: DashboardScope) -> list[dict[str, Any]]:
    rows = []
    for origin in Channel.values:
        cells = []
        for target in Channel.values:
            ratio = matrix.get(origin, {}).get(target)
            if target == origin or ratio is None:
                cells.append(None)
                continue
            cells.append(
                {
                    "percent": fmt.percent(ratio.percent),
                    "count": ratio.numerator,
                    "title": _("%(origin)s → %(target)s: %(moved)s of %(started)s tickets")
                    % {
                        "origin": Channel(origin).label,
                        "target": Channel(target).label,
                        "moved": ratio.numerator,
                        "started": ratio.denominator,
                    },
                    "url": drill_url(current.params, "escalations", f"{origin}>{target}") if ratio.numerator else "",
                }
            )
        started = next(iter(matrix.get(origin, {}).values()), None)
        rows.append({"label": Channel(origin).label, "started": started.denominator if started else 0, "cells": cells})
    return rows


def _channels(scope: Scope, current: DashboardScope, request: HttpRequest) -> dict[str, Any]:
    peak = figures.figure(scope, "peak_hours")
    forecast = _staffing(scope)
    mix = figures.figure(scope, "channel_mix")
    total = sum(mix["tickets"].values())
    customers = figures.figure(scope, "customers_by_channels")
    customers_total = sum(customers.values())
    shown = [
        channel
        for channel in Channel.values
        if sum(map(sum, peak.get(channel, []))) or any(getattr(forecast.get(channel), "agents", ()))
    ]
    return {
        "peaks": [_peak_block(channel, peak[channel], forecast.get(channel)) for channel in shown if channel in peak],
        "hours": range(24),
        "escalation_rows": _escalation_rows(figures.figure(scope, "escalations"), current),
        "channel_labels": [label for _value, label in Channel.choices],
        "mix_rows": [
            {
                "label": Channel(channel).label,
                "count": n,
                "percent": fmt.percent(100.0 * n / total if total else None),
                "url": drill_url(current.params, "channel_mix", channel) if n else "",
            }
            for channel, n in mix["tickets"].items()
        ],
        "mix_total": total,
        "mix_svg": charts.hbar_chart(
            [(str(Channel(channel).label), n) for channel, n in mix["tickets"].items()],
            label=_("Tickets by channel of origin"),
            fmt=fmt.count,
            rtl=get_language_bidi(),
        ),
        "customer_rows": [
            (channels, n, fmt.percent(100.0 * n / customers_total)) for channels, n in sorted(customers.items())
        ],
        "csv": {
            name: export_url(name, current)
            for name in ("peak_hours", "staffing", "escalations", "channel_mix", "customers_by_channels")
        },
    }


@manager_required
def channels(request: HttpRequest) -> HttpResponse:
    return _page(request, "metrics/channels.html", _channels)


# --- teams and agents ----------------------------------------------------------------------------------


def _breakdown_rows(scope: Scope, by: str, current: DashboardScope) -> list[dict[str, Any]]:
    rows = []
    for row in figures.breakdown(scope, by):
        filters = {by: row["id"]} if row["id"] is not None else None

        def link(key: str, part: str = "", filters: dict | None = filters) -> str:
            return drill_url(current.params, key, part, **filters) if filters else ""

        rows.append(
            {
                "name": row["name"] or (_("No team") if by == "team" else _("Unassigned")),
                "filter_url": f"?{urlencode({**current.params, **filters})}" if filters else "",
                "cells": [
                    (fmt.count(row["created"]), link("created")),
                    (fmt.count(row["solved"]), link("resolution_time")),
                    (fmt.duration(row["first_response_mean"]), link("first_response_time")),
                    (fmt.duration(row["resolution_mean"]), link("resolution_time")),
                    (fmt.percent(row["fcr"]), link("fcr", "resolved")),
                    (fmt.percent(row["reopen_rate"]), link("reopen_rate", "reopened")),
                    (fmt.percent(row["csat"]), link("csat")),
                    (fmt.count(row["csat_answers"]), link("csat")),
                    (fmt.duration(row["handle_seconds"]) if row["handle_seconds"] else fmt.DASH, link("handle_time")),
                    (fmt.money(row["labour_cost"]), ""),
                    (fmt.money(row["cost_per_ticket"]), ""),
                ],
            }
        )
    return rows


BREAKDOWN_HEADERS = [
    _lazy("Created"),
    _lazy("Solved"),
    _lazy("First response, mean"),
    _lazy("Resolution, mean"),
    _lazy("First contact resolution"),
    _lazy("Reopen rate"),
    _lazy("CSAT"),
    _lazy("CSAT answers"),
    _lazy("Handle time"),
    _lazy("Labour cost"),
    _lazy("Cost per ticket"),
]


def _people(scope: Scope, current: DashboardScope, request: HttpRequest) -> dict[str, Any]:
    return {
        "headers": BREAKDOWN_HEADERS,
        "team_rows": _breakdown_rows(scope, "team", current),
        "agent_rows": _breakdown_rows(scope, "agent", current),
        "teams_csv": export_url("teams", current),
        "agents_csv": export_url("agents", current),
    }


@manager_required
def people(request: HttpRequest) -> HttpResponse:
    return _page(request, "metrics/people.html", _people)


# --- customers -----------------------------------------------------------------------------------------


def _customers(scope: Scope, current: DashboardScope, request: HttpRequest) -> dict[str, Any]:
    overall: Retention = figures.figure(scope, "retention")
    split: dict[str, Retention] = figures.figure(scope, "retention_by_satisfaction")
    groups = [
        (_("All customers"), overall),
        (_("Satisfied (mean CSAT 4 or more)"), split["satisfied"]),
        (_("Dissatisfied (mean CSAT under 4)"), split["dissatisfied"]),
    ]
    return {
        "retention_rows": [
            {
                "label": label,
                "at_start": fmt.count(value.at_start),
                "gained": fmt.count(value.gained),
                "at_end": fmt.count(value.at_end),
                "rate": fmt.percent(value.rate),
            }
            for label, value in groups
        ],
        "retention_svg": charts.hbar_chart(
            [(str(label), value.rate) for label, value in groups],
            label=_("Customer retention rate"),
            fmt=fmt.percent,
            rtl=get_language_bidi(),
            label_width=240,
        ),
        "retention_csv": export_url("retention", current),
    }


@manager_required
def customers(request: HttpRequest) -> HttpResponse:
    return _page(request, "metrics/customers.html", _customers)
