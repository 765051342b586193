"""The metrics API: the dashboards' figures as JSON, for managers only, with one error shape."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from metrics import figures
from metrics.scope import scope_from_params
from metrics.values import plain
from tests.factories import (
    AdminFactory,
    AgentFactory,
    ManagerFactory,
    PortalCustomerFactory,
    TeamFactory,
    TicketFactory,
    TimeEntryFactory,
)
from tickets.models import Channel, Ticket

pytestmark = pytest.mark.django_db

API = "/api/v1/metrics/"
# Session, user and role, then the figures' own queries: a fixed number whatever the data.
AUTH_QUERIES = 3


@pytest.fixture
def manager_client(client):
    client.force_login(ManagerFactory())
    return client


@pytest.fixture
def teams():
    return TeamFactory(name="Billing"), TeamFactory(name="Shipping")


@pytest.fixture
def solved(teams):
    """Two tickets solved yesterday (1 h and 2 h to resolve, one per team) and one solved long ago."""
    billing, shipping = teams
    yesterday = timezone.now() - timedelta(days=1)

    def ticket(team, seconds, solved_at, channel):
        return TicketFactory(
            team=team,
            assignee=AgentFactory(),
            channel=channel,
            status=Ticket.Status.SOLVED,
            created_at=solved_at - timedelta(seconds=seconds),
            first_solved_at=solved_at,
            solved_at=solved_at,
            resolution_seconds=seconds,
            resolution_business_seconds=seconds // 2,
            first_resolution_seconds=seconds,
            first_resolution_business_seconds=seconds // 2,
        )

    return [
        ticket(billing, 3600, yesterday, Channel.EMAIL),
        ticket(shipping, 7200, yesterday, Channel.CHAT),
        ticket(billing, 60, timezone.now() - timedelta(days=200), Channel.EMAIL),
    ]


def _get(client, path: str, **params):
    return client.get(f"{API}{path}", params)


# --- the list of figures ----------------------------------------------------------------------------


def test_it_lists_every_figure_with_label_unit_and_benchmark(manager_client):
    response = _get(manager_client, "")

    assert response.status_code == 200
    rows = {row["key"]: row for row in response.json()["figures"]}
    assert list(rows) == figures.ALL_KEYS
    assert rows["fcr"] == {
        "key": "fcr",
        "label": "First contact resolution",
        "unit": "percent",
        "benchmark": {"value": 74, "text": "74%", "higher_is_better": True},
    }
    assert rows["cost_per_ticket"]["benchmark"]["value"] == "15.56"
    assert rows["resolution_time"]["benchmark"] is None
    assert rows["escalations"]["unit"] == "table"
    assert "chat → email 25%" in rows["escalations"]["benchmark"]["text"]


# --- one figure ------------------------------------------------------------------------------------


@pytest.mark.usefixtures("solved")
def test_a_figure_is_the_dashboards_value(manager_client):
    response = _get(manager_client, "resolution_time/", period="30d")

    assert response.status_code == 200
    body = response.json()
    scope = scope_from_params({"period": "30d"})
    assert body["figure"] == "resolution_time"
    assert body["unit"] == "seconds"
    assert body["period"] == {"from": scope.first_day.isoformat(), "to": scope.last_day.isoformat()}
    assert body["filters"] == {}
    assert body["value"] == plain(figures.figure(scope, "resolution_time"))
    # By hand: the two tickets solved yesterday took 1 h and 2 h; the old one is outside the period.
    assert body["value"]["calendar"]["count"] == 2
    assert body["value"]["calendar"]["mean"] == 5400
    assert body["value"]["business"]["mean"] == 2700
    assert body["headline"] == 5400
    assert body["benchmark"] is None


def test_a_figure_keeps_to_the_filters(manager_client, solved, teams):
    billing, _shipping = teams

    body = _get(manager_client, "resolution_time/", team=billing.pk, channel="email").json()

    assert body["filters"] == {"team": billing.pk, "channel": "email"}
    assert body["value"]["calendar"]["count"] == 1
    assert body["value"]["calendar"]["mean"] == 3600


@pytest.mark.usefixtures("solved")
def test_a_figure_reads_from_and_to(manager_client):
    today = timezone.localdate()
    long_ago = (today - timedelta(days=300)).isoformat()

    body = _get(manager_client, "resolution_time/", **{"from": long_ago, "to": today.isoformat()}).json()

    assert body["period"] == {"from": long_ago, "to": today.isoformat()}
    assert body["value"]["calendar"]["count"] == 3


def test_a_money_figure_keeps_its_decimals_as_text(manager_client):
    ticket = TicketFactory(status=Ticket.Status.SOLVED, solved_at=timezone.now() - timedelta(hours=1))
    TimeEntryFactory(ticket=ticket, seconds=600, created_at=timezone.now() - timedelta(hours=1))

    body = _get(manager_client, "cost_per_ticket/").json()

    assert body["value"] == plain(figures.figure(scope_from_params({}), "cost_per_ticket"))
    assert body["benchmark"] == {
        "value": "15.56",
        "text": "$15.56 average; range $2.93 to $49.69",
        "higher_is_better": False,
    }


def test_a_table_figure_has_its_value_and_no_headline(manager_client):
    TicketFactory(channel=Channel.CHAT)

    body = _get(manager_client, "channel_mix/").json()

    assert body["headline"] is None
    assert body["value"] == plain(figures.figure(scope_from_params({}), "channel_mix"))
    assert body["value"]["tickets"]["chat"] == 1


# --- errors ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "code", "field"),
    [
        ({"period": "2w"}, "bad_period", "period"),
        ({"from": "yesterday"}, "bad_period", "from"),
        ({"team": "billing"}, "bad_filter", "team"),
        ({"channel": "fax"}, "bad_filter", "channel"),
        ({"priority": "whenever"}, "bad_filter", "priority"),
    ],
)
def test_a_bad_filter_is_a_400_naming_the_parameter(manager_client, params, code, field):
    response = _get(manager_client, "fcr/", **params)

    assert response.status_code == 400
    body = response.json()
    assert set(body) == {"code", "message", "field_errors"}
    assert body["code"] == code
    assert body["message"]
    assert list(body["field_errors"]) == [field]


def test_a_period_wrong_only_as_a_whole_is_reported_under_period(manager_client):
    body = _get(manager_client, "fcr/", **{"from": "2025-03-10", "to": "2025-03-01"}).json()

    assert body == {
        "code": "bad_period",
        "message": "The period starts after it ends.",
        "field_errors": {"period": ["The period starts after it ends."]},
    }


def test_an_unknown_figure_is_a_404_in_the_same_shape(manager_client):
    response = _get(manager_client, "happiness/")

    assert response.status_code == 404
    assert response.json() == {
        "code": "unknown_figure",
        "message": "There is no figure “happiness”.",
        "field_errors": {},
    }


# --- who may read ----------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["", "fcr/", "overview/", "fcr/series/", "breakdown/team/", "staffing/"])
def test_an_agent_is_refused(client, path):
    client.force_login(AgentFactory())

    response = _get(client, path)

    assert response.status_code == 403
    assert response.json() == {
        "code": "forbidden_role",
        "message": "Only managers can read the metrics.",
        "field_errors": {},
    }


def test_a_customer_is_refused(client):
    client.force_login(PortalCustomerFactory().user)

    assert _get(client, "fcr/").status_code == 403


@pytest.mark.parametrize("path", ["", "fcr/", "overview/", "staffing/"])
def test_an_anonymous_visitor_is_refused(client, path):
    response = _get(client, path)

    assert response.status_code in (401, 403)
    assert response.json()["code"] == "not_authenticated"


def test_an_admin_may_read(client):
    client.force_login(AdminFactory())

    assert _get(client, "fcr/").status_code == 200


# --- overview, series, breakdown, staffing ---------------------------------------------------------


@pytest.mark.usefixtures("solved")
def test_the_overview_has_every_card(manager_client):
    response = _get(manager_client, "overview/", period="30d")

    assert response.status_code == 200
    body = response.json()
    scope = scope_from_params({"period": "30d"})
    previous = scope.previous()
    assert body["period"] == {"from": scope.first_day.isoformat(), "to": scope.last_day.isoformat()}
    assert body["previous_period"] == {"from": previous.first_day.isoformat(), "to": previous.last_day.isoformat()}
    cards = {card["figure"]: card for card in body["cards"]}
    assert list(cards) == [info.key for info in figures.OVERVIEW_FIGURES]
    assert set(cards["fcr"]) == {
        "figure",
        "label",
        "unit",
        "value",
        "headline",
        "previous",
        "change",
        "beats",
        "benchmark",
    }
    assert cards["resolution_time"]["headline"] == 5400
    assert cards["resolution_time"]["previous"] is None
    assert cards["resolution_time"]["change"] is None
    assert cards["csat"]["beats"] is None  # no answers: nothing to compare


@pytest.mark.usefixtures("solved")
def test_the_series_has_one_point_per_day_or_week(manager_client):
    yesterday = timezone.localdate() - timedelta(days=1)

    body = _get(manager_client, "resolution_time/series/", period="7d").json()

    assert body["figure"] == "resolution_time"
    assert body["interval"] == "day"
    assert len(body["points"]) == 7
    points = {point["start"]: point["value"] for point in body["points"]}
    assert points[yesterday.isoformat()] == 5400

    weekly = _get(manager_client, "resolution_time/series/", period="30d", interval="week").json()
    scope = scope_from_params({"period": "30d"})
    expected = figures.series(scope, "resolution_time", "week")
    assert weekly["points"] == [{"start": start.isoformat(), "value": value} for start, value in expected]


def test_a_bad_interval_is_a_400(manager_client):
    response = _get(manager_client, "fcr/series/", interval="month")

    assert response.status_code == 400
    assert response.json()["code"] == "bad_interval"
    assert list(response.json()["field_errors"]) == ["interval"]


@pytest.mark.parametrize("key", ["escalations", "backlog", "cost_per_ticket"])
def test_a_figure_without_a_value_per_day_has_no_series(manager_client, key):
    response = _get(manager_client, f"{key}/series/")

    assert response.status_code == 404
    assert response.json()["code"] == "no_series"


@pytest.mark.parametrize("key", ["fcr", "csat", "handle_time", "first_response_time"])
def test_the_cards_with_a_series_answer(manager_client, key):
    assert _get(manager_client, f"{key}/series/", interval="week").status_code == 200


def test_the_breakdown_has_a_row_per_team(manager_client, solved, teams):
    billing, _shipping = teams

    response = _get(manager_client, "breakdown/team/", period="30d")

    assert response.status_code == 200
    body = response.json()
    assert body["by"] == "team"
    rows = {row["name"]: row for row in body["rows"]}
    assert rows["Billing"]["id"] == billing.pk
    assert rows["Billing"]["solved"] == 1
    assert rows["Shipping"]["resolution_mean"] == 7200
    assert body["rows"] == plain(figures.breakdown(scope_from_params({"period": "30d"}), "team"))


def test_an_unknown_breakdown_is_a_404(manager_client):
    response = _get(manager_client, "breakdown/planet/")

    assert response.status_code == 404
    assert response.json()["code"] == "unknown_breakdown"


def test_the_staffing_forecast_has_24_hours_per_channel(manager_client):
    response = _get(manager_client, "staffing/", channel="chat")

    assert response.status_code == 200
    body = response.json()
    today = timezone.localdate()
    assert body["period"] == {"from": (today - timedelta(days=55)).isoformat(), "to": today.isoformat()}
    assert body["filters"] == {"channel": "chat"}
    chat = body["channels"]["chat"]
    assert list(body["channels"]) == ["chat"]
    assert chat["target"] == {"share": 0.8, "wait_seconds": 60}
    assert chat["agents"] == [0] * 24
    assert len(chat["arrivals_per_hour"]) == 24
    assert chat["handle_time_measured"] is False


# --- query counts ----------------------------------------------------------------------------------


def _more_of_everything() -> None:
    for _ in range(3):
        ticket = TicketFactory(
            team=TeamFactory(cost_per_minute="2.00"),
            assignee=AgentFactory(),
            channel=Channel.PHONE,
            status=Ticket.Status.SOLVED,
            solved_at=timezone.now() - timedelta(hours=2),
            resolution_seconds=600,
            resolution_business_seconds=600,
        )
        TimeEntryFactory(ticket=ticket, agent=ticket.assignee, created_at=timezone.now() - timedelta(hours=1))


@pytest.mark.parametrize(
    ("path", "queries"),
    [
        ("", 0),
        ("fcr/", 2),  # whether the rollups are ready, then one aggregate
        ("resolution_time/", 5),
        ("cost_per_ticket/", 7),
        ("overview/", 70),  # every card for two periods; the figures' own budget (metrics.figures.overview)
        ("resolution_time/series/", 4),
        ("breakdown/team/", 12),  # the cost rates once, not once per team
        ("breakdown/agent/", 12),
        ("staffing/", 4),
    ],
)
@pytest.mark.usefixtures("solved")
def test_each_endpoint_answers_in_a_fixed_number_of_queries(
    manager_client, django_assert_max_num_queries, path, queries
):
    with django_assert_max_num_queries(AUTH_QUERIES + queries) as before:
        assert _get(manager_client, path).status_code == 200
    _more_of_everything()

    # More teams, agents, tickets and time do not add queries: the figures are grouped aggregates.
    with django_assert_max_num_queries(len(before)) as after:
        assert _get(manager_client, path).status_code == 200
    assert len(after) == len(before)
