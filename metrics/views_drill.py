"""The drill-down (/dashboard/tickets/?figure=<key>&part=<part>&<filters>): the tickets behind a number.

One query per page whatever its size: the rows come with their team and assignee joined, and
one row more than shown tells whether a next page exists (no COUNT over a year of tickets).
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from accounts.decorators import manager_required
from metrics import figures
from metrics.csv_export import drill_queryset
from metrics.views_scope import dashboard_scope
from tickets.models import Channel, Ticket
from tickets.selectors import page_fetch, page_number

PAGE_SIZES = (25, 50, 100, 200)
DEFAULT_PAGE_SIZE = 50

# Figures that list tickets beyond the cards, with their titles.
EXTRA_FIGURES = {
    "created": _lazy("Tickets created"),
    "channel_mix": _lazy("Tickets by channel of origin"),
    "escalations": _lazy("Tickets that moved to another channel"),
}
PART_LABELS = {
    "resolved": _lazy("resolved at first contact"),
    "reopened": _lazy("reopened"),
    "all": _lazy("all created"),
    "satisfied": _lazy("satisfied (4 or 5)"),
    "dissatisfied": _lazy("dissatisfied (1 to 3)"),
    "promoters": _lazy("promoters"),
    "passives": _lazy("passives"),
    "detractors": _lazy("detractors"),
    "met": _lazy("met their SLA targets"),
    "missed": _lazy("missed their SLA targets"),
}


def figure_title(key: str) -> str | None:
    info = figures.FIGURES_BY_KEY.get(key)
    if info is not None:
        return str(info.label) if info.drill else None
    title = EXTRA_FIGURES.get(key)
    return str(title) if title else None


def part_title(part: str) -> str:
    if not part:
        return ""
    if part in PART_LABELS:
        return str(PART_LABELS[part])
    if part in Channel.values:
        return str(Channel(part).label)
    if part in Ticket.Status.values:
        return str(Ticket.Status(part).label)
    origin, arrow, target = part.partition(">")
    if arrow and origin in Channel.values and target in Channel.values:
        return f"{Channel(origin).label} → {Channel(target).label}"
    return part


def _page_size(value: str) -> int:
    return int(value) if value.isdigit() and int(value) in PAGE_SIZES else DEFAULT_PAGE_SIZE


@manager_required
def tickets(request: HttpRequest) -> HttpResponse:
    current = dashboard_scope(request)
    key, part = request.GET.get("figure", ""), request.GET.get("part", "")
    context = current.context(request, keep={"figure": key, "part": part})
    size = _page_size(request.GET.get("size", ""))
    title = figure_title(key)
    context.update({"figure": key, "part": part, "figure_title": title, "part_title": part_title(part)})
    if title is None and not current.error:
        context["scope_error"] = _("Pick a figure to list the tickets behind it.")
    elif current.scope is not None:
        page = page_fetch(
            drill_queryset(current.scope, key, part), number=page_number(request.GET.get("page", "")), page_size=size
        )
        drill = {**current.params, "figure": key, **({"part": part} if part else {})}
        context.update(
            {
                "page": page,
                "size": size,
                "drill_query": urlencode(drill),
                "export_url": f"{reverse('metrics:export', args=['tickets'])}?{urlencode(drill)}",
            }
        )
    return render(request, "metrics/tickets.html", context)
