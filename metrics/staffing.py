"""The staffing forecast (docs: metrics definitions, "Staffing"): agents needed per hour of day, by Erlang C.

Erlang C models one queue with N interchangeable agents, arrivals at random (Poisson) and
handle times that are roughly exponential. It answers: with A = λ·AHT erlangs of work offered,
what share of contacts waits at most t seconds? We invert that to the fewest agents that meet
a channel's target. The Erlang functions are pure; staffing_forecast() reads its two inputs
(arrivals per hour of day, tracked handle time) with a fixed number of SQL aggregates.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from datetime import timedelta

from django.db.models import Sum

from metrics.queries import arrivals, people
from metrics.scope import Scope, local_midnight
from tickets.models import Channel

HOURS = 24
WINDOW_DAYS = 8 * 7  # "the last 8 weeks": long enough to smooth out a quiet week, short enough to follow trends
DEFAULT_HANDLE_SECONDS = 300  # used when no time was tracked on a channel, so the page still shows a forecast
# A safety stop for agents_needed(): far beyond any traffic a helpdesk sees (A is at most a few hundred).
MAX_AGENTS = 10_000


@dataclass(frozen=True)
class ServiceTarget:
    """Answer `share` (0–1) of contacts within `wait_seconds`."""

    share: float
    wait_seconds: int


# metrics.md: chat 80% within 60 s, phone 80% within 20 s, email 90% within 4 h; other channels are
# written, not live, so they get email's target.
SERVICE_TARGETS: dict[str, ServiceTarget] = {
    Channel.CHAT: ServiceTarget(share=0.80, wait_seconds=60),
    Channel.PHONE: ServiceTarget(share=0.80, wait_seconds=20),
    Channel.EMAIL: ServiceTarget(share=0.90, wait_seconds=4 * 3600),
}


def service_target(channel: str) -> ServiceTarget:
    return SERVICE_TARGETS.get(channel, SERVICE_TARGETS[Channel.EMAIL])


def erlang_c(*, agents: int, traffic_erlangs: float) -> float:
    """The probability that a contact has to wait, with `agents` agents and `traffic_erlangs` of work offered.

    Computed through the Erlang B recursion B(n) = A·B(n−1) / (n + A·B(n−1)), then
    C = N·B / (N − A·(1 − B)): every step stays between 0 and 1, so it neither overflows
    (A^N / N! does past N ≈ 170) nor loses precision. With N ≤ A the queue grows without
    bound and every contact waits: 1.
    """
    if traffic_erlangs <= 0:
        return 0.0
    if agents <= traffic_erlangs:
        return 1.0
    blocking = 1.0
    for n in range(1, agents + 1):
        blocking = traffic_erlangs * blocking / (n + traffic_erlangs * blocking)
    return agents * blocking / (agents - traffic_erlangs * (1 - blocking))


def service_level(*, agents: int, arrivals_per_hour: float, handle_seconds: float, target_wait_seconds: float) -> float:
    """The share of contacts answered within the target wait: 1 − C·exp(−(N − A)·t / AHT)."""
    if arrivals_per_hour <= 0:
        return 1.0
    traffic = arrivals_per_hour * handle_seconds / 3600
    if agents <= traffic:
        return 0.0
    waiting = erlang_c(agents=agents, traffic_erlangs=traffic)
    return max(0.0, 1.0 - waiting * math.exp(-(agents - traffic) * target_wait_seconds / handle_seconds))


def agents_needed(
    *, arrivals_per_hour: float, handle_seconds: float, target_share: float, target_wait_seconds: float
) -> int:
    """The fewest agents (always more than the traffic A, or the queue never empties) that meet the target.

    0 when nothing arrives: an hour with no contacts needs nobody on this channel.
    """
    if arrivals_per_hour <= 0 or handle_seconds <= 0:
        return 0
    traffic = arrivals_per_hour * handle_seconds / 3600
    agents = math.floor(traffic) + 1
    while agents < MAX_AGENTS:
        level = service_level(
            agents=agents,
            arrivals_per_hour=arrivals_per_hour,
            handle_seconds=handle_seconds,
            target_wait_seconds=target_wait_seconds,
        )
        if level >= target_share:
            break
        agents += 1
    return agents


@dataclass(frozen=True)
class ChannelStaffing:
    """One channel's forecast: 24 values each, index = hour of day in the team's time zone."""

    channel: str
    target: ServiceTarget
    arrivals_per_hour: list[float]
    handle_seconds: float
    handle_time_measured: bool  # False: no time tracked in the window, DEFAULT_HANDLE_SECONDS was used
    agents: list[int]


def forecast_window(scope: Scope) -> Scope:
    """The scope's filters over the 8 weeks of whole days that end with the scope's last day."""
    first_day = scope.last_day - timedelta(days=WINDOW_DAYS - 1)
    return replace(scope, start=local_midnight(first_day), end=local_midnight(scope.last_day + timedelta(days=1)))


def staffing_forecast(scope: Scope) -> dict[str, ChannelStaffing]:
    """Agents needed per hour of day and channel, from the 8 weeks before the scope's end.

    Arrivals are the peak-hours figure of the same window (metrics.queries.arrivals: the
    HourlyArrivals rollup, hours in the team's time zone, or the messages themselves while the
    rollup cannot answer), summed over the weekdays and divided by the window's 56 days, so
    quiet days and weekends count as the averages they are. Same filters, same numbers as
    the heatmap beside it.

    Handle time is the time tracked in the window on tickets of the channel (by origin),
    divided by the channel's arrivals: the work per arriving message, so that λ·AHT is exactly
    the work done. A mean per ticket would count a chat of ten lines as ten chats' work.
    """
    window = forecast_window(scope)
    channels = [scope.channel] if scope.channel else list(Channel.values)
    grid = arrivals.peak_hours(window)
    tracked = {
        row["ticket__channel"]: row["total"]
        for row in people.time_entries_for(window)
        .filter(ticket__channel__in=channels)
        .values("ticket__channel")
        .annotate(total=Sum("seconds"))
        .order_by()
    }

    forecast = {}
    for channel in channels:
        per_hour = [sum(day[hour] for day in grid[channel]) for hour in range(HOURS)]
        total_arrivals = sum(per_hour)
        seconds = tracked.get(channel) or 0
        measured = bool(seconds and total_arrivals)
        handle = seconds / total_arrivals if measured else DEFAULT_HANDLE_SECONDS
        target = service_target(channel)
        rates = [count / WINDOW_DAYS for count in per_hour]
        forecast[channel] = ChannelStaffing(
            channel=channel,
            target=target,
            arrivals_per_hour=rates,
            handle_seconds=handle,
            handle_time_measured=measured,
            agents=[
                agents_needed(
                    arrivals_per_hour=rate,
                    handle_seconds=handle,
                    target_share=target.share,
                    target_wait_seconds=target.wait_seconds,
                )
                for rate in rates
            ],
        )
    return forecast
