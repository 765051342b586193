"""The manager overview: a few honest figures until the full KPI dashboards arrive."""

from datetime import timedelta

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from accounts.decorators import manager_required
from metrics import queries
from tickets.models import Channel, Ticket

PERIOD_DAYS = 30


@manager_required
def overview(request: HttpRequest) -> HttpResponse:
    since = timezone.now() - timedelta(days=PERIOD_DAYS)
    backlog = queries.backlog_by_status()
    created = queries.created_by_channel(since=since)
    return render(
        request,
        "metrics/overview.html",
        {
            "period_days": PERIOD_DAYS,
            # Every status and channel gets a row, zeros included, in their usual order.
            "backlog": [
                (label, backlog.get(value, 0))
                for value, label in Ticket.Status.choices
                if value in Ticket.OPEN_STATUSES
            ],
            "backlog_total": sum(backlog.values()),
            "created": [(label, created.get(value, 0)) for value, label in Channel.choices],
            "created_total": sum(created.values()),
            "solved": queries.solved_count(since=since),
        },
    )
