"""Inclusion tags that put the workspace aids on the ticket page without widening its view.

ticket_detail.html calls them at its two hooks (`workspace:presence` in the header,
`workspace:page-end` after the page); each costs a fixed number of queries.
"""

from __future__ import annotations

from typing import Any

from django import template
from django.conf import settings
from django.template.context import Context

from tickets import macros, time_tracking
from tickets.models import Ticket

register = template.Library()


def _intervals() -> dict[str, int]:
    # Read per render, not at import: tests shorten them to see pings within seconds.
    return {
        "presence_ms": int(settings.HELPDESK_PRESENCE_PING_SECONDS * 1000),
        "time_ms": int(settings.HELPDESK_TIME_PING_SECONDS * 1000),
        "idle_ms": int(settings.HELPDESK_IDLE_SECONDS * 1000),
    }


def _time_summary(ticket: Ticket) -> time_tracking.TimeSummary:
    # Both hooks show the time; keep the one query's answer on the ticket for this render.
    if "_workspace_time" not in ticket.__dict__:
        ticket.__dict__["_workspace_time"] = time_tracking.ticket_time_summary(ticket=ticket)
    return ticket.__dict__["_workspace_time"]


@register.inclusion_tag("tickets/workspace/_presence.html", takes_context=True)
def workspace_presence(context: Context) -> dict[str, Any]:
    """The presence banner (filled by the first ping) and the total time, one aggregate query."""
    ticket = context["ticket"]
    return {"ticket": ticket, "total": _time_summary(ticket).total_display}


@register.inclusion_tag("tickets/workspace/_page_end.html", takes_context=True)
def workspace_page_end(context: Context) -> dict[str, Any]:
    """Macro picker, time panel, shortcut help and the script's settings; three queries."""
    request = context["request"]
    ticket = context["ticket"]
    summary = _time_summary(ticket)
    return {
        "request": request,
        "user": request.user,
        "ticket": ticket,
        "macros": list(macros.macros_for_picker(request.user)),
        "time": summary,
        "intervals": _intervals(),
        "csrf_token": context.get("csrf_token"),
    }


@register.filter
def duration(seconds: int) -> str:
    return time_tracking.duration_display(seconds or 0)


@register.filter
def minutes(seconds: int) -> int:
    return max(1, round((seconds or 0) / 60))
