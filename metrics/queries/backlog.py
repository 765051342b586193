"""The backlog: tickets not solved or closed at this moment, by status and by age."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Count, Q
from django.utils import timezone

from metrics.queries._base import tickets_for
from metrics.scope import Scope
from metrics.values import Backlog
from tickets.models import Ticket

# Age bands since creation, as (label, lower bound included); the last is open-ended.
AGE_BANDS = (("<1d", 0), ("1-3d", 1), ("3-7d", 3), ("7-30d", 7), (">30d", 30))


def backlog(scope: Scope) -> Backlog:
    """Now, whatever the period: the scope's filters apply, its dates do not."""
    now = timezone.now()
    annotations: dict[str, Count] = {
        str(status): Count("pk", filter=Q(status=status)) for status in Ticket.OPEN_STATUSES
    }
    for index, (label, days) in enumerate(AGE_BANDS):
        band = Q(created_at__lte=now - timedelta(days=days))
        if index + 1 < len(AGE_BANDS):
            band &= Q(created_at__gt=now - timedelta(days=AGE_BANDS[index + 1][1]))
        annotations[f"age:{label}"] = Count("pk", filter=band)
    sums = tickets_for(scope).filter(status__in=Ticket.OPEN_STATUSES).aggregate(**annotations)
    by_status = {str(status): sums[str(status)] for status in Ticket.OPEN_STATUSES}
    ages = {label: sums[f"age:{label}"] for label, _ in AGE_BANDS}
    return Backlog(total=sum(by_status.values()), by_status=by_status, ages=ages)
