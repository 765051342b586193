"""The manager overview at /dashboard/: one card per figure, filters in the URL, managers only."""

from datetime import datetime, time, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from metrics.figures import OVERVIEW_FIGURES
from tests.factories import (
    AdminFactory,
    AgentFactory,
    CustomerFactory,
    ManagerFactory,
    PortalCustomerFactory,
    TeamFactory,
)
from tickets import services
from tickets.models import Channel, Message, Ticket

pytestmark = pytest.mark.django_db

URL = reverse("metrics:overview")


def _ticket(*, team=None, agent=None, days_ago=2, answered=True, solved=True, channel=Channel.EMAIL, created=None):
    created = created or timezone.now() - timedelta(days=days_ago)
    ticket = services.ticket_create(
        customer=CustomerFactory(),
        subject="Question",
        channel=channel,
        body_text="Hello",
        team=team,
        assignee=agent,
        created_at=created,
    )
    if answered:
        services.message_add(
            ticket=ticket,
            channel=channel,
            direction=Message.Direction.OUTBOUND,
            body_text="Hi",
            author_agent=agent or AgentFactory(),
            created_at=created + timedelta(hours=1),
        )
    if solved:
        services.ticket_change_status(ticket=ticket, status=Ticket.Status.SOLVED, at=created + timedelta(hours=3))
    return ticket


def _cards(response) -> dict[str, dict]:
    return {card["key"]: card for card in response.context["cards"]}


@pytest.fixture
def manager_client(client):
    client.force_login(ManagerFactory())
    return client


def test_it_shows_a_card_for_every_figure_with_its_benchmark(manager_client):
    _ticket()

    response = manager_client.get(URL)

    assert response.status_code == 200
    assert [card["key"] for card in response.context["cards"]] == [info.key for info in OVERVIEW_FIGURES]
    for info in OVERVIEW_FIGURES:
        assert str(info.label) in response.text
        if info.benchmark_text:
            assert str(info.benchmark_text) in response.text


def test_a_duration_card_shows_mean_median_and_p90_in_calendar_and_business_hours(manager_client):
    # A Wednesday 10:00 a week or two ago, answered at 11:00: one hour, all of it in working hours.
    today = timezone.localdate()
    wednesday = today - timedelta(days=(today.weekday() - 2) % 7 + 7)
    _ticket(created=datetime.combine(wednesday, time(10), tzinfo=timezone.get_default_timezone()))

    card = _cards(manager_client.get(URL))["first_response_time"]

    assert card["value"] == "1 h"
    assert card["durations"]["rows"] == [("Mean", "1 h", "1 h"), ("Median", "1 h", "1 h"), ("p90", "1 h", "1 h")]
    assert card["durations"]["approximate"] is False


def test_it_says_in_words_whether_a_figure_beats_its_benchmark(manager_client):
    # Two solved tickets, each answered once: FCR 100%, better than the 74% benchmark.
    _ticket()
    _ticket()

    response = manager_client.get(URL)
    card = _cards(response)["fcr"]

    assert card["value"] == "100.0%"
    assert card["benchmark"]["state"] == "beats"
    assert "beats the benchmark" in response.text
    assert 'class="card kpi kpi-beats" data-figure="fcr"' in response.text


def test_the_change_against_the_previous_period_says_whether_it_is_better(manager_client):
    # Previous 30 days: one ticket answered in 1 hour. This period: answered in 1 hour too, and one reopened.
    _ticket(days_ago=40)
    reopened = _ticket(days_ago=3)
    services.message_add(
        ticket=reopened, channel=Channel.EMAIL, direction=Message.Direction.INBOUND, body_text="Still broken"
    )
    services.ticket_change_status(ticket=reopened, status=Ticket.Status.SOLVED)

    card = _cards(manager_client.get(URL))["reopen_rate"]

    assert card["value"] == "100.0%"
    assert card["previous"] == "0.0%"
    assert card["change"]["text"] == "+100.0 pts"
    assert card["change"]["state"] == "worse"  # a higher reopen rate is worse
    assert card["change"]["arrow"] == "▲"


def test_every_number_links_to_the_tickets_behind_it(manager_client):
    _ticket()

    response = manager_client.get(URL + "?period=7d")
    cards = _cards(response)

    assert cards["fcr"]["url"] == reverse("metrics:tickets") + "?period=7d&figure=fcr"
    assert [line["url"] for line in cards["fcr"]["details"]] == [
        reverse("metrics:tickets") + "?period=7d&figure=fcr&part=resolved",
        reverse("metrics:tickets") + "?period=7d&figure=fcr",
    ]
    assert cards["cost_per_minute"]["url"] == ""  # no tickets behind a rate
    assert 'href="/dashboard/tickets/?period=7d&amp;figure=fcr"' in response.text


def test_a_team_filter_in_the_url_changes_the_numbers(manager_client):
    billing, sales = TeamFactory(name="Billing"), TeamFactory(name="Sales")
    _ticket(team=billing, solved=False)
    _ticket(team=billing, solved=False)
    _ticket(team=sales, solved=False)

    everyone = _cards(manager_client.get(URL))["backlog"]["value"]
    only_billing = manager_client.get(URL, {"team": billing.pk})

    assert everyone == "3"
    assert _cards(only_billing)["backlog"]["value"] == "2"
    assert f'<option value="{billing.pk}" selected>Billing</option>' in only_billing.text


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"team": "abc"}, "“team” must be a number."),
        ({"period": "5y"}, "Unknown period “5y”; use 7d, 30d, 90d, 12m."),
        ({"from": "2025-13-40"}, "“2025-13-40” is not a date (YYYY-MM-DD)."),
        ({"from": "2025-05-10", "to": "2025-05-01"}, "The period starts after it ends."),
        ({"channel": "pigeon"}, "“pigeon” is not a valid channel."),
    ],
)
def test_a_bad_filter_shows_a_message_not_an_error(manager_client, query, message):
    response = manager_client.get(URL, query)

    assert response.status_code == 200
    assert message in response.text
    assert "cards" not in response.context


def test_custom_dates_choose_the_period(manager_client):
    _ticket(days_ago=60, solved=False)
    today = timezone.localdate()

    response = manager_client.get(URL, {"from": (today - timedelta(days=70)).isoformat(), "to": today.isoformat()})

    assert response.context["scope"].days == 71
    assert _cards(response)["unanswered"]["details"][1]["text"] == "1"  # created in the period


def test_admins_may_open_it(client):
    client.force_login(AdminFactory())

    assert client.get(URL).status_code == 200


def test_agents_and_customers_get_403_and_anonymous_visitors_the_login_page(client):
    anonymous = client.get(URL)
    assert anonymous.status_code == 302
    assert anonymous.url.startswith(reverse("login"))

    client.force_login(AgentFactory())
    assert client.get(URL).status_code == 403
    client.force_login(PortalCustomerFactory().user)
    assert client.get(URL).status_code == 403


def _queries(client) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(URL).status_code == 200
    return len(captured)


def test_it_takes_the_same_number_of_queries_for_3_or_30_tickets(manager_client, source, django_assert_max_num_queries):
    team = TeamFactory()
    for _ in range(3):
        _ticket(team=team)
    source.refresh()
    few = _queries(manager_client)
    for _ in range(27):
        _ticket(team=team)
    source.refresh()

    with django_assert_max_num_queries(few):
        assert manager_client.get(URL).status_code == 200
    assert _queries(manager_client) == few
