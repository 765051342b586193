"""Peak hours: inbound customer messages by weekday and hour of day, in the team's time zone, per channel."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Count, Sum
from django.db.models.functions import ExtractHour, ExtractIsoWeekDay, ExtractWeekDay

from metrics.models import HourlyArrivals
from metrics.queries._base import rollups_ready, tickets_for
from metrics.scope import Scope
from tickets.models import Channel, Message, Team


def _empty() -> dict[str, list[list[int]]]:
    return {channel: [[0] * 24 for _ in range(7)] for channel in Channel.values}


def peak_hours(scope: Scope) -> dict[str, list[list[int]]]:
    """{channel: 7 rows (Monday first) × 24 hours} of inbound messages in the period.

    Each message counts in the local time of its ticket's team (the site's time zone without a
    team). The rollup answers whole-day periods filtered by team or channel at most; the days are
    the teams' local days, so the period's edges follow each team's midnight.
    """
    grid = _empty()
    if scope.whole_days and rollups_ready() and not (scope.agent or scope.organization or scope.priority or scope.tag):
        rollup = HourlyArrivals.objects.filter(day__gte=scope.first_day, day__lte=scope.last_day)
        if scope.team:
            rollup = rollup.filter(team_id=scope.team)
        if scope.channel:
            rollup = rollup.filter(channel=scope.channel)
        for row in (
            rollup.values("channel", "hour", weekday=ExtractIsoWeekDay("day")).annotate(n=Sum("count")).order_by()
        ):
            grid[row["channel"]][row["weekday"] - 1][row["hour"]] += row["n"]
        return grid
    messages = Message.objects.filter(direction=Message.Direction.INBOUND, ticket__in=tickets_for(scope).values("pk"))
    if scope.channel:
        messages = messages.filter(channel=scope.channel)
    # One query per time zone in use, not per team.
    teams_by_zone: dict[str, list[int | None]] = defaultdict(list)
    for pk, team_zone in Team.objects.values_list("pk", "time_zone"):
        teams_by_zone[team_zone].append(pk)
    teams_by_zone[settings.TIME_ZONE].append(None)
    for zone_name, team_ids in teams_by_zone.items():
        zone = ZoneInfo(zone_name)
        # The period's days are the team's own local days, as in the rollup.
        first = datetime.combine(scope.first_day, time(0), tzinfo=zone)
        after = datetime.combine(scope.last_day + timedelta(days=1), time(0), tzinfo=zone)
        if not scope.whole_days:
            first, after = scope.start, scope.end
        in_zone = messages.filter(ticket__team_id__in=[pk for pk in team_ids if pk is not None])
        if None in team_ids:
            in_zone = messages.filter(ticket__team_id__in=[pk for pk in team_ids if pk is not None]) | messages.filter(
                ticket__team_id__isnull=True
            )
        rows = (
            in_zone.filter(created_at__gte=first, created_at__lt=after)
            .values(
                "channel",
                weekday=ExtractWeekDay("created_at", tzinfo=zone),
                hour=ExtractHour("created_at", tzinfo=zone),
            )
            .annotate(n=Count("pk"))
            .order_by()
        )
        for row in rows:
            # ExtractWeekDay: 1 = Sunday … 7 = Saturday; the grid starts on Monday.
            grid[row["channel"]][(row["weekday"] + 5) % 7][row["hour"]] += row["n"]
    return grid
