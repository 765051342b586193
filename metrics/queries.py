"""The manager overview's figures: one function per figure, each a single SQL aggregate.

They read the tickets table directly; when one grows slow, it gets a rollup table filled
by an idempotent task, and the function reads that instead.
"""

from datetime import datetime

from django.db.models import Count

from tickets.models import Ticket


def backlog_by_status() -> dict[str, int]:
    """Tickets still to be worked on (not solved or closed, merged ones excluded), by status."""
    rows = (
        Ticket.objects.filter(merged_into__isnull=True)
        .exclude(status__in=Ticket.DONE_STATUSES)
        .values("status")
        .annotate(n=Count("id"))
        .order_by()
    )
    return {row["status"]: row["n"] for row in rows}


def created_by_channel(*, since: datetime) -> dict[str, int]:
    """Tickets created since `since`, by channel of origin."""
    rows = Ticket.objects.filter(created_at__gte=since).values("channel").annotate(n=Count("id")).order_by()
    return {row["channel"]: row["n"] for row in rows}


def solved_count(*, since: datetime) -> int:
    """Tickets whose latest solve was since `since` and that stayed solved (or were closed since).

    A ticket reopened after its solve loses solved_at, so it counts again only when solved again.
    """
    return Ticket.objects.filter(solved_at__gte=since).count()
