"""The staffing forecast: Erlang C worked out by hand, and the forecast read from the arrivals rollup."""

from __future__ import annotations

import math
from datetime import date, datetime, time

import pytest
from django.utils import timezone

from metrics.models import HourlyArrivals, RollupWatermark
from metrics.queries._base import ROLLUP_WATERMARK
from metrics.scope import scope_for_days
from metrics.staffing import (
    DEFAULT_HANDLE_SECONDS,
    agents_needed,
    erlang_c,
    forecast_window,
    service_level,
    service_target,
    staffing_forecast,
)
from tests.factories import TeamFactory, TicketFactory, TimeEntryFactory
from tickets.models import Channel

# --- Erlang C by hand -------------------------------------------------------------------------------
#
# 60 calls an hour, 120 s each: A = λ·AHT = 60 × 120 / 3600 = 2 erlangs.
# Erlang B recursion B(n) = A·B(n−1) / (n + A·B(n−1)), B(0) = 1:
#   B(1) = 2/3, B(2) = (4/3)/(10/3) = 2/5, B(3) = (4/5)/(19/5) = 4/19, B(4) = (8/19)/(84/19) = 2/21.
# C = N·B / (N − A·(1 − B)):
#   N = 3: (12/19) / (3 − 30/19) = 12/27 = 4/9     (check: A³/3!·3/(3−2) = 4 over 1 + 2 + 2 + 4 = 9)
#   N = 4: (8/21) / (4 − 38/21) = 8/46 = 4/23
# SL = 1 − C·exp(−(N − A)·t/AHT), t = 20 s:
#   N = 3: 1 − 4/9 · e^(−1/6) = 1 − 0.444444 × 0.846482 = 0.623786
#   N = 4: 1 − 4/23 · e^(−1/3) = 1 − 0.173913 × 0.716531 = 0.875386
# so 80% within 20 s needs 4 agents.


def test_erlang_c_matches_the_hand_computed_probability_of_waiting():
    assert erlang_c(agents=3, traffic_erlangs=2) == pytest.approx(4 / 9)
    assert erlang_c(agents=4, traffic_erlangs=2) == pytest.approx(4 / 23)


def test_one_agent_waits_with_the_probability_of_being_busy():
    # N = 1: C = A (the agent is busy a share A of the time).
    assert erlang_c(agents=1, traffic_erlangs=0.25) == pytest.approx(0.25)


def test_service_level_matches_the_hand_computed_share():
    level = {
        n: service_level(agents=n, arrivals_per_hour=60, handle_seconds=120, target_wait_seconds=20) for n in (3, 4)
    }
    assert level[3] == pytest.approx(1 - 4 / 9 * math.exp(-1 / 6))
    assert level[3] == pytest.approx(0.623786, abs=1e-6)
    assert level[4] == pytest.approx(0.875386, abs=1e-6)


def test_agents_needed_is_the_fewest_that_meet_the_target():
    assert agents_needed(arrivals_per_hour=60, handle_seconds=120, target_share=0.8, target_wait_seconds=20) == 4
    assert agents_needed(arrivals_per_hour=60, handle_seconds=120, target_share=0.6, target_wait_seconds=20) == 3


def test_the_published_worked_example_needs_fourteen_agents():
    # The usual textbook case: 100 calls in 30 minutes, 180 s each, 80% within 20 s. A = 10 erlangs;
    # the published probabilities of waiting for 11–14 agents are 0.6821, 0.4494, 0.2853, 0.1741,
    # and 13 agents reach 1 − 0.2853·e^(−3·20/180) = 79.6%, just short: 14 are needed.
    for agents, published in ((11, 0.6821), (12, 0.4494), (13, 0.2853), (14, 0.1741)):
        assert erlang_c(agents=agents, traffic_erlangs=10) == pytest.approx(published, abs=5e-5)
    assert service_level(agents=13, arrivals_per_hour=200, handle_seconds=180, target_wait_seconds=20) == (
        pytest.approx(0.7956, abs=5e-5)
    )
    assert agents_needed(arrivals_per_hour=200, handle_seconds=180, target_share=0.8, target_wait_seconds=20) == 14


def test_no_arrivals_need_no_agents():
    assert agents_needed(arrivals_per_hour=0, handle_seconds=300, target_share=0.9, target_wait_seconds=60) == 0
    assert service_level(agents=0, arrivals_per_hour=0, handle_seconds=300, target_wait_seconds=60) == 1


def test_tiny_traffic_needs_one_agent():
    assert agents_needed(arrivals_per_hour=0.01, handle_seconds=300, target_share=0.8, target_wait_seconds=20) == 1


def test_as_many_agents_as_erlangs_never_empty_the_queue():
    assert erlang_c(agents=2, traffic_erlangs=2) == 1
    assert service_level(agents=2, arrivals_per_hour=60, handle_seconds=120, target_wait_seconds=20) == 0


def test_large_traffic_does_not_overflow():
    # A^N / N! would overflow a float here; the recursion stays between 0 and 1.
    waiting = erlang_c(agents=1000, traffic_erlangs=950)
    assert 0 < waiting < 1
    assert agents_needed(arrivals_per_hour=3600, handle_seconds=950, target_share=0.8, target_wait_seconds=20) > 950


def test_each_channel_has_the_target_of_the_definitions():
    assert (service_target("chat").share, service_target("chat").wait_seconds) == (0.8, 60)
    assert (service_target("phone").share, service_target("phone").wait_seconds) == (0.8, 20)
    assert (service_target("email").share, service_target("email").wait_seconds) == (0.9, 4 * 3600)
    assert service_target("social") == service_target("email")


# --- the forecast from the rollup -------------------------------------------------------------------

LAST_DAY = date(2025, 3, 31)
FIRST_DAY = date(2025, 2, 4)  # 56 days, both included


@pytest.fixture
def rollups_ready(db, settings):
    settings.HELPDESK_METRICS_ROLLUPS = True
    RollupWatermark.objects.create(name=ROLLUP_WATERMARK, value=timezone.now())


def _at(day: date, hour: int = 12) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=timezone.get_default_timezone())


def _arrivals(day: date, hour: int, count: int, channel: str = Channel.PHONE, team=None) -> None:
    HourlyArrivals.objects.create(day=day, hour=hour, channel=channel, count=count, team_id=team and team.pk)


def test_the_window_is_the_eight_weeks_ending_with_the_periods_last_day():
    window = forecast_window(scope_for_days(date(2025, 3, 1), LAST_DAY))
    assert (window.first_day, window.last_day) == (FIRST_DAY, LAST_DAY)
    assert window.days == 56


@pytest.mark.usefixtures("rollups_ready")
def test_the_forecast_reads_arrivals_per_hour_of_day_and_the_handle_time(django_assert_max_num_queries):
    team = TeamFactory()
    # Phone at 10:00: 3,360 calls over the 56 days = 60 an hour; at 11:00: 56 calls = 1 an hour.
    _arrivals(FIRST_DAY, 10, 1680, team=team)
    _arrivals(LAST_DAY, 10, 1680, team=team)
    _arrivals(date(2025, 3, 3), 11, 56, team=team)
    # Outside the window: ignored.
    _arrivals(date(2025, 2, 3), 10, 5000, team=team)
    _arrivals(date(2025, 4, 1), 10, 5000, team=team)
    # 3,416 calls × 120 s tracked on phone tickets in the window: AHT 120 s.
    phone_ticket = TicketFactory(channel=Channel.PHONE, team=team)
    TimeEntryFactory(ticket=phone_ticket, seconds=3416 * 100, created_at=_at(FIRST_DAY))
    TimeEntryFactory(ticket=phone_ticket, seconds=3416 * 20, created_at=_at(LAST_DAY, 23))
    TimeEntryFactory(ticket=phone_ticket, seconds=99_999, created_at=_at(date(2025, 4, 1), 1))
    # Email: arrivals but no time tracked, so the default handle time.
    _arrivals(date(2025, 3, 10), 9, 112, channel=Channel.EMAIL, team=team)

    with django_assert_max_num_queries(3):
        forecast = staffing_forecast(scope_for_days(date(2025, 3, 1), LAST_DAY))

    phone = forecast[Channel.PHONE]
    assert phone.arrivals_per_hour[10] == 60
    assert phone.arrivals_per_hour[11] == 1
    assert phone.handle_seconds == 120
    assert phone.handle_time_measured is True
    # 10:00 is the hand-computed case above (A = 2, 80% within 20 s): 4 agents.
    # 11:00: A = 1/30; one agent answers 1 − (1/30)·e^(−(29/30)·20/120) = 97% within 20 s.
    assert phone.agents == [0] * 10 + [4, 1] + [0] * 12

    email = forecast[Channel.EMAIL]
    assert email.arrivals_per_hour[9] == 2
    assert email.handle_seconds == DEFAULT_HANDLE_SECONDS
    assert email.handle_time_measured is False
    assert email.agents[9] == 1  # A = 2 × 300 / 3600 = 1/6; a 4-hour target is met by one agent

    assert forecast[Channel.CHAT].agents == [0] * 24
    assert set(forecast) == set(Channel.values)


@pytest.mark.usefixtures("rollups_ready")
def test_the_forecast_keeps_to_the_team_and_channel_filters():
    team, other = TeamFactory(), TeamFactory()
    _arrivals(date(2025, 3, 3), 14, 56 * 3, channel=Channel.CHAT, team=team)
    _arrivals(date(2025, 3, 3), 14, 56 * 50, channel=Channel.CHAT, team=other)
    _arrivals(date(2025, 3, 3), 14, 56 * 50, channel=Channel.PHONE, team=team)

    forecast = staffing_forecast(scope_for_days(date(2025, 3, 1), LAST_DAY, team=team.pk, channel=Channel.CHAT))

    assert list(forecast) == [Channel.CHAT]
    assert forecast[Channel.CHAT].arrivals_per_hour[14] == 3
