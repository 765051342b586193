"""The dashboard's detail pages: trends, distributions, channels and hours, teams and agents, customers."""

from datetime import datetime, time, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests.factories import AgentFactory, CustomerFactory, ManagerFactory, TeamFactory, TimeEntryFactory
from tickets import services
from tickets.models import Channel, Message, Ticket

pytestmark = pytest.mark.django_db

PAGES = ["metrics:trends", "metrics:distributions", "metrics:channels", "metrics:people", "metrics:customers"]


def _ticket(*, team=None, agent=None, channel=Channel.EMAIL, created=None, solved=True, subject="Question"):
    created = created or timezone.now() - timedelta(days=2)
    ticket = services.ticket_create(
        customer=CustomerFactory(),
        subject=subject,
        channel=channel,
        body_text="Hello",
        team=team,
        assignee=agent,
        created_at=created,
    )
    services.message_add(
        ticket=ticket,
        channel=channel,
        direction=Message.Direction.OUTBOUND,
        body_text="Hi",
        author_agent=agent or AgentFactory(),
        created_at=created + timedelta(minutes=30),
    )
    if solved:
        services.ticket_change_status(ticket=ticket, status=Ticket.Status.SOLVED, at=created + timedelta(hours=2))
    return ticket


@pytest.fixture
def manager_client(client):
    client.force_login(ManagerFactory())
    return client


@pytest.mark.parametrize("name", PAGES)
def test_each_page_opens_for_managers_only(client, name):
    url = reverse(name)
    assert client.get(url).status_code == 302  # to the login page
    client.force_login(AgentFactory())
    assert client.get(url).status_code == 403
    client.force_login(ManagerFactory())
    assert client.get(url).status_code == 200


@pytest.mark.parametrize("name", PAGES)
def test_each_page_shows_a_bad_filter_as_a_message(manager_client, name):
    response = manager_client.get(reverse(name), {"priority": "whenever"})

    assert response.status_code == 200
    assert "“whenever” is not a valid priority." in response.text


@pytest.mark.parametrize("name", PAGES)
def test_each_page_keeps_the_filters_in_its_tabs(manager_client, name):
    team = TeamFactory()

    response = manager_client.get(reverse(name), {"period": "90d", "team": team.pk})

    assert f'href="{reverse("metrics:overview")}?period=90d&amp;team={team.pk}"' in response.text


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


@pytest.mark.parametrize("name", PAGES)
def test_each_page_takes_the_same_queries_for_3_or_30_tickets(manager_client, name, django_assert_max_num_queries):
    agents = [AgentFactory() for _ in range(3)]
    team = TeamFactory(members=agents)
    for n in range(3):
        _ticket(team=team, agent=agents[n % 3], channel=Channel.CHAT)
    few = _queries(manager_client, reverse(name))
    more_agents = [AgentFactory() for _ in range(3)]
    other_team = TeamFactory(members=more_agents)
    for n in range(27):
        _ticket(team=other_team, agent=more_agents[n % 3], channel=[Channel.EMAIL, Channel.PHONE][n % 2])

    with django_assert_max_num_queries(few):
        assert manager_client.get(reverse(name)).status_code == 200


def test_trends_draw_the_chosen_series_by_day_with_its_numbers(manager_client):
    _ticket()
    _ticket()

    response = manager_client.get(reverse("metrics:trends"), {"period": "7d", "series": "created"})
    chosen = response.context["chosen"]

    assert chosen["key"] == "created"
    assert len(chosen["rows"]) == 7
    assert sorted(value for _day, value in chosen["rows"])[-1] == "2"
    assert '<svg xmlns="http://www.w3.org/2000/svg" class="chart chart-bars"' in response.text
    assert [chart["key"] for chart in response.context["small"]] == [
        "solved",
        "first_response_time",
        "resolution_time",
        "fcr",
        "csat",
    ]


def test_trends_by_week_and_a_year_defaults_to_weeks(manager_client):
    by_week = manager_client.get(reverse("metrics:trends"), {"period": "30d", "interval": "week"})
    a_year = manager_client.get(reverse("metrics:trends"), {"period": "12m"})

    assert by_week.context["interval"] == "week"
    assert len(by_week.context["chosen"]["rows"]) in (5, 6)
    assert a_year.context["interval"] == "week"


def test_trends_fall_back_to_tickets_created_for_an_unknown_series(manager_client):
    response = manager_client.get(reverse("metrics:trends"), {"series": "mood"})

    assert response.context["chosen"]["key"] == "created"


def test_distributions_show_mean_median_and_p90_and_the_backlog_by_age(manager_client):
    _ticket()
    _ticket(solved=False, created=timezone.now() - timedelta(days=10))

    response = manager_client.get(reverse("metrics:distributions"))
    frt = response.context["durations"][0]

    assert frt["key"] == "first_response_time"
    assert frt["count"] == 2
    assert ("Calendar: Median", "30 min") in frt["rows"]
    assert ("Calendar: 90th percentile", "30 min") in frt["rows"]
    assert dict(response.context["ages"])["7 to 30 days"] == 1
    assert response.context["backlog_total"] == 1


def test_channels_show_arrivals_by_weekday_and_hour_with_the_staffing_forecast(manager_client):
    today = timezone.localdate()
    monday = today - timedelta(days=today.weekday() + 7)
    _ticket(
        channel=Channel.CHAT, created=datetime.combine(monday, time(11, 30), tzinfo=timezone.get_default_timezone())
    )

    response = manager_client.get(reverse("metrics:channels"))
    chat = next(block for block in response.context["peaks"] if block["channel"] == "chat")

    weekday, counts = chat["rows"][0]
    assert weekday == "Mon"
    assert counts[11] == 1
    assert chat["total"] == 1
    assert len(chat["staffing"]["hours"]) == 24
    assert "Monday 11:00–12:00: 1 inbound messages" in response.text
    assert "Agents needed" in response.text


def test_channels_link_escalations_and_the_channel_mix_to_their_tickets(manager_client):
    moved = _ticket(channel=Channel.CHAT, solved=False)
    services.ticket_switch_channel(ticket=moved, channel=Channel.EMAIL)
    _ticket(channel=Channel.CHAT)

    response = manager_client.get(reverse("metrics:channels"), {"period": "7d"})
    chat_row = next(row for row in response.context["escalation_rows"] if row["label"] == "Chat")
    to_email = chat_row["cells"][Channel.values.index("email")]
    mix = {row["label"]: row for row in response.context["mix_rows"]}

    assert (to_email["percent"], chat_row["started"]) == ("50.0%", 2)
    assert to_email["url"] == reverse("metrics:tickets") + "?period=7d&figure=escalations&part=chat%3Eemail"
    assert [ticket.pk for ticket in manager_client.get(to_email["url"]).context["page"].rows] == [moved.pk]
    assert (mix["Chat"]["count"], mix["Chat"]["percent"]) == (2, "100.0%")
    assert mix["Email"]["url"] == ""  # nothing to list


def test_people_show_a_row_per_team_and_agent_linked_to_their_tickets(manager_client):
    ava = AgentFactory(first_name="Ava", last_name="Rahimi")
    billing = TeamFactory(name="Billing", members=[ava])
    _ticket(team=billing, agent=ava)
    _ticket(team=billing, agent=ava)
    TimeEntryFactory(ticket=Ticket.objects.first(), agent=ava, seconds=600)

    response = manager_client.get(reverse("metrics:people"))
    team_row = response.context["team_rows"][0]
    agent_row = response.context["agent_rows"][0]

    assert team_row["name"] == "Billing"
    created, solved = team_row["cells"][0], team_row["cells"][1]
    assert created == ("2", reverse("metrics:tickets") + f"?team={billing.pk}&figure=created")
    assert solved[0] == "2"
    assert team_row["cells"][8][0] == "10 min"  # handle time
    assert agent_row["name"] == "Ava Rahimi"
    assert agent_row["filter_url"] == f"?agent={ava.pk}"
    assert len(manager_client.get(created[1]).context["page"].rows) == 2


def test_customers_show_retention_overall_and_by_satisfaction(manager_client):
    CustomerFactory()

    response = manager_client.get(reverse("metrics:customers"))
    rows = response.context["retention_rows"]

    assert [row["label"] for row in rows] == [
        "All customers",
        "Satisfied (mean CSAT 4 or more)",
        "Dissatisfied (mean CSAT under 4)",
    ]
    assert rows[0]["gained"] == "1"
