"""The cost settings page at /dashboard/costs/: managers set the rates, the overview's cost figures follow."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from metrics.models import CostSettings
from tests.factories import AgentFactory, CustomerFactory, ManagerFactory, TeamFactory, TimeEntryFactory
from tickets import services
from tickets.models import Channel, Ticket

pytestmark = pytest.mark.django_db

URL = reverse("metrics:costs")


def _form_data(*, default="1.60", overhead="0", teams=(), agents=()):
    """The page's POST: the site fields, then one row per team and per agent as (pk, rate)."""
    data = {
        "site-default_cost_per_minute": default,
        "site-monthly_overhead": overhead,
        "team-TOTAL_FORMS": str(len(teams)),
        "team-INITIAL_FORMS": str(len(teams)),
        "agent-TOTAL_FORMS": str(len(agents)),
        "agent-INITIAL_FORMS": str(len(agents)),
    }
    for prefix, rows in (("team", teams), ("agent", agents)):
        for index, (pk, rate) in enumerate(rows):
            data[f"{prefix}-{index}-id"] = str(pk)
            data[f"{prefix}-{index}-cost_per_minute"] = rate
    return data


@pytest.fixture
def manager_client(client):
    client.force_login(ManagerFactory())
    return client


@pytest.fixture
def ten_minutes_on_a_solved_ticket():
    agent = AgentFactory()
    ticket = services.ticket_create(
        customer=CustomerFactory(),
        subject="Invoice",
        channel=Channel.EMAIL,
        body_text="Hello",
        created_at=timezone.now() - timedelta(days=1),
    )
    services.ticket_change_status(ticket=ticket, status=Ticket.Status.SOLVED)
    TimeEntryFactory(ticket=ticket, agent=agent, seconds=600)
    return agent


def _card(client, key: str) -> dict:
    response = client.get(reverse("metrics:overview"), {"period": "30d"})
    return next(card for card in response.context["cards"] if card["key"] == key)


def test_a_manager_changes_the_default_and_the_overhead_and_the_cost_figures_follow(
    manager_client, ten_minutes_on_a_solved_ticket
):
    # 10 minutes at the default $1.60 and no overhead: $1.60 a minute, $16.00 for the one solved ticket.
    assert _card(manager_client, "cost_per_minute")["value"] == "$1.60"
    assert _card(manager_client, "cost_per_ticket")["value"] == "$16.00"

    response = manager_client.post(URL, _form_data(default="2.00", overhead="3043.75"), follow=True)

    assert "Cost settings saved." in response.text
    row = CostSettings.objects.get()
    assert (row.default_cost_per_minute, row.monthly_overhead) == (Decimal("2.00"), Decimal("3043.75"))
    # Labour 10 × $2.00 = $20; overhead for 30 of 30.4375 days of a month = $3,000; total $3,020.
    assert _card(manager_client, "cost_per_minute")["value"] == "$302.00"
    assert _card(manager_client, "cost_per_ticket")["value"] == "$3,020.00"


def test_a_team_rate_wins_over_the_default(manager_client, ten_minutes_on_a_solved_ticket):
    team = TeamFactory(name="Billing")
    Ticket.objects.update(team=team)

    response = manager_client.post(URL, _form_data(teams=[(team.pk, "3.00")]))

    assert response.status_code == 302
    team.refresh_from_db()
    assert team.cost_per_minute == Decimal("3.00")
    assert _card(manager_client, "cost_per_minute")["value"] == "$3.00"


def test_an_agent_rate_is_saved_and_can_be_cleared(manager_client, ten_minutes_on_a_solved_ticket):
    agent = ten_minutes_on_a_solved_ticket

    manager_client.post(URL, _form_data(agents=[(agent.pk, "2.50")]))
    agent.refresh_from_db()
    assert agent.cost_per_minute == Decimal("2.50")
    assert _card(manager_client, "cost_per_minute")["value"] == "$2.50"

    manager_client.post(URL, _form_data(agents=[(agent.pk, "")]))
    agent.refresh_from_db()
    assert agent.cost_per_minute is None


def test_the_page_lists_every_team_and_agent(manager_client):
    TeamFactory(name="Billing")
    AgentFactory(first_name="Ava", last_name="Rahimi")

    response = manager_client.get(URL)

    assert response.status_code == 200
    assert "Billing" in response.text
    assert "Ava Rahimi" in response.text
    assert CostSettings.objects.count() == 1  # created with the defaults on first sight


@pytest.mark.parametrize(
    "data",
    [
        {"default": "-1.00"},
        {"overhead": "-100"},
    ],
)
def test_a_negative_site_cost_is_rejected(manager_client, data):
    response = manager_client.post(URL, _form_data(**data))

    assert response.status_code == 200
    assert "A cost cannot be negative." in response.text
    assert CostSettings.objects.get().default_cost_per_minute == Decimal("1.60")


def test_a_negative_team_or_agent_rate_is_rejected_and_nothing_is_saved(manager_client):
    team, agent = TeamFactory(), AgentFactory()

    response = manager_client.post(
        URL, _form_data(default="2.00", teams=[(team.pk, "-3")], agents=[(agent.pk, "1.00")])
    )

    assert response.status_code == 200
    assert "A cost cannot be negative." in response.text
    team.refresh_from_db()
    agent.refresh_from_db()
    assert (team.cost_per_minute, agent.cost_per_minute) == (None, None)
    assert CostSettings.objects.get().default_cost_per_minute == Decimal("1.60")


def test_a_posted_row_for_someone_not_an_agent_changes_nobody(manager_client):
    manager = ManagerFactory()

    manager_client.post(URL, _form_data(agents=[(manager.pk, "9.99")]))

    manager.refresh_from_db()
    assert manager.cost_per_minute is None


def test_agents_cannot_reach_the_page(client):
    client.force_login(AgentFactory())

    assert client.get(URL).status_code == 403
    assert client.post(URL, _form_data(default="0")).status_code == 403
