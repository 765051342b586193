"""Teams and agents (read-only) through the API."""

from __future__ import annotations

import pytest

from tests.factories import AgentFactory, CustomerFactory, ManagerFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_teams_list_their_members(api_agent, team, agent):
    other = TeamFactory(name="Billing")

    rows = api_agent.get("/api/v1/teams/").json()["results"]

    assert [(row["name"], row["members"]) for row in rows] == [("Billing", []), (team.name, [agent.pk])]
    assert api_agent.get(f"/api/v1/teams/{other.pk}/").json()["time_zone"] == "UTC"


def test_agents_are_staff_only_with_their_role_and_teams(api_agent, team, agent):
    manager = ManagerFactory(username="zz-manager")
    CustomerFactory(user=UserFactory(username="not-staff"))

    rows = api_agent.get("/api/v1/agents/", {"page_size": 100}).json()["results"]

    by_name = {row["username"]: row for row in rows}
    assert by_name[agent.username]["teams"] == [team.pk]
    assert by_name[agent.username]["role"] == "agent"
    assert by_name[manager.username]["role"] == "manager"
    assert "not-staff" not in by_name


@pytest.mark.parametrize("count", [2, 20])
def test_agents_list_in_a_fixed_number_of_queries(api_agent, count, django_assert_max_num_queries):
    for _ in range(count):
        TeamFactory(members=[AgentFactory()])

    with django_assert_max_num_queries(6):
        response = api_agent.get("/api/v1/agents/", {"page_size": 100})

    assert len(response.json()["results"]) == count + 1
