"""Queues on the ticket list: the built-in views and their counts, and saved views."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.roles import user_role
from tests.factories import AgentFactory, CustomerFactory, ManagerFactory, PortalCustomerFactory, TeamFactory
from tickets import services
from tickets.models import Channel, SavedView, Ticket
from tickets.selectors import queue_counts

pytestmark = pytest.mark.django_db

URL = reverse("tickets:list")
Status = Ticket.Status


def _ticket(subject="Order never arrived", **kwargs):
    return services.ticket_create(
        customer=CustomerFactory(), subject=subject, channel=Channel.EMAIL, body_text="Hello", **kwargs
    )


def _shown(response) -> set[int]:
    return {ticket.pk for ticket in response.context["page"].rows}


def _counts(response) -> dict[str, int]:
    return {queue.view: queue.count for queue in response.context["queues"]}


@pytest.fixture
def world(agent, team):
    """One ticket for each built-in view, and some that belong to none for this agent."""
    colleague = AgentFactory()
    team.members.add(colleague)
    other_team = TeamFactory(members=[colleague])
    mine = _ticket("Mine", team=team, assignee=agent)
    unassigned_team = _ticket("Team, nobody yet", team=team)
    unassigned_unowned = _ticket("No team, nobody yet")
    colleagues = _ticket("Colleague's", team=team, assignee=colleague)
    pending = _ticket("Waiting on them", team=team, assignee=agent)
    services.ticket_change_status(ticket=pending, status=Status.PENDING, actor=agent)
    solved = _ticket("Solved yesterday", team=team)
    services.ticket_change_status(ticket=solved, status=Status.SOLVED, actor=agent)
    solved_long_ago = _ticket("Solved last month", team=team)
    services.ticket_change_status(
        ticket=solved_long_ago, status=Status.SOLVED, actor=agent, at=timezone.now() - timedelta(days=30)
    )
    elsewhere = _ticket("Other team's", team=other_team)
    return {
        "mine": mine,
        "unassigned_team": unassigned_team,
        "unassigned_unowned": unassigned_unowned,
        "colleagues": colleagues,
        "pending": pending,
        "solved": solved,
        "solved_long_ago": solved_long_ago,
        "elsewhere": elsewhere,
    }


# --- Built-in views -----------------------------------------------------------------------


def test_mine_holds_open_tickets_assigned_to_me(agent_client, world):
    assert _shown(agent_client.get(URL, {"view": "mine"})) == {world["mine"].pk, world["pending"].pk}


def test_unassigned_holds_open_tickets_of_my_teams_or_no_team_without_assignee(agent_client, world):
    shown = _shown(agent_client.get(URL, {"view": "unassigned"}))

    assert shown == {world["unassigned_team"].pk, world["unassigned_unowned"].pk}


def test_my_teams_holds_every_open_ticket_of_my_teams(agent_client, world):
    shown = _shown(agent_client.get(URL, {"view": "my_teams"}))

    assert shown == {w.pk for w in (world["mine"], world["unassigned_team"], world["colleagues"], world["pending"])}


def test_all_open_holds_every_open_ticket_i_may_see(agent_client, world):
    shown = _shown(agent_client.get(URL, {"view": "open"}))

    expected = ("mine", "unassigned_team", "unassigned_unowned", "colleagues", "pending")
    assert shown == {world[name].pk for name in expected}


def test_waiting_on_customer_holds_pending_tickets(agent_client, world):
    assert _shown(agent_client.get(URL, {"view": "pending"})) == {world["pending"].pk}


def test_solved_recently_holds_tickets_solved_in_the_last_seven_days(agent_client, world):
    assert _shown(agent_client.get(URL, {"view": "solved_recently"})) == {world["solved"].pk}


def test_a_manager_sees_other_teams_in_all_open(client, world):
    client.force_login(ManagerFactory())

    assert world["elsewhere"].pk in _shown(client.get(URL, {"view": "open"}))


def test_a_view_combines_with_the_other_filters(agent_client, world, agent):
    services.ticket_change_priority(ticket=world["mine"], priority=Ticket.Priority.URGENT, actor=agent)

    assert _shown(agent_client.get(URL, {"view": "mine", "priority": "urgent"})) == {world["mine"].pk}
    assert _shown(agent_client.get(URL, {"view": "mine", "status": "pending"})) == {world["pending"].pk}


# --- Counts -------------------------------------------------------------------------------


def test_the_sidebar_counts_each_view(agent_client, world):
    counts = _counts(agent_client.get(URL))

    assert counts == {"mine": 2, "unassigned": 2, "my_teams": 4, "open": 5, "pending": 1, "solved_recently": 1}


def test_counts_leave_out_merged_tickets(agent_client, world, agent, team):
    duplicate = _ticket("Duplicate", team=team, assignee=agent)
    services.ticket_merge(source=duplicate, target=world["mine"], actor=agent)

    assert _counts(agent_client.get(URL))["mine"] == 2


def test_counts_take_one_query_then_come_from_the_cache(agent, world, django_assert_num_queries):
    user_role(agent)  # the role is looked up once per request anyway

    with django_assert_num_queries(1):
        counts = queue_counts(user=agent)
    with django_assert_num_queries(0):
        again = queue_counts(user=agent)

    assert {c.view: c.count for c in counts}["open"] == 5
    assert again == counts


# --- Sorting and filtering ----------------------------------------------------------------


@pytest.mark.parametrize(
    "sort", ["number", "subject", "customer", "status", "priority", "channel", "team", "assignee", "created", "updated"]
)
def test_every_column_sorts_both_ways(agent_client, world, sort):
    rows = {
        d: agent_client.get(URL, {"view": "open", "sort": sort, "dir": d}).context["page"].rows for d in ("asc", "desc")
    }
    ascending, descending = [t.pk for t in rows["asc"]], [t.pk for t in rows["desc"]]

    assert len(ascending) == 5
    if sort in ("number", "subject", "created"):
        assert ascending == list(reversed(descending))


def test_sorting_by_subject(agent_client, team):
    b, a, c = _ticket("Beta", team=team), _ticket("Alpha", team=team), _ticket("Gamma", team=team)

    rows = agent_client.get(URL, {"sort": "subject", "dir": "asc"}).context["page"].rows

    assert [t.pk for t in rows] == [a.pk, b.pk, c.pk]


def test_a_header_click_on_the_sorted_column_reverses_it(agent_client, world):
    response = agent_client.get(URL, {"sort": "subject", "dir": "asc"})

    header = next(h for h in response.context["headers"] if h["column"] == "subject")
    assert "dir=desc" in header["url"] and header["aria_sort"] == "ascending"


def test_it_filters_by_tag_customer_organization_and_dates(agent_client, team, agent):
    from tests.factories import OrganizationFactory

    org = OrganizationFactory()
    tagged = _ticket("Tagged", team=team, tags=["vip"])
    customer = services.customer_create(name="Org person", organization=org)
    of_org = services.ticket_create(customer=customer, subject="Org's", channel=Channel.EMAIL, body_text="x", team=team)
    old = _ticket("Old", team=team, created_at=timezone.now() - timedelta(days=40))
    today = timezone.localdate()

    assert _shown(agent_client.get(URL, {"tag": "vip"})) == {tagged.pk}
    assert _shown(agent_client.get(URL, {"customer": customer.pk})) == {of_org.pk}
    assert _shown(agent_client.get(URL, {"org": org.pk})) == {of_org.pk}
    old_day = (today - timedelta(days=40)).isoformat()
    assert _shown(agent_client.get(URL, {"created_from": old_day, "created_to": old_day})) == {old.pk}
    assert old.pk not in _shown(agent_client.get(URL, {"created_from": today.isoformat()}))
    assert _shown(agent_client.get(URL, {"updated_to": "not-a-date"})) == {tagged.pk, of_org.pk, old.pk}


@pytest.mark.parametrize("tickets", [5, 60])
def test_a_view_with_its_counts_takes_a_fixed_number_of_queries(
    agent_client, team, agent, tickets, django_assert_max_num_queries
):
    for _ in range(tickets):
        _ticket(team=team, assignee=agent, tags=["a", "b"])
    SavedView.objects.create(owner=agent, name="Mine urgent", query="assignee=me&priority=urgent")

    # session, user, role, ticket ids, those tickets, tags, view counts, saved views,
    # team, agent and organization choices
    with django_assert_max_num_queries(11):
        response = agent_client.get(URL, {"view": "mine", "sort": "customer"})

    assert len(response.context["page"].rows) == min(tickets, 50)
    assert _counts(response)["mine"] == tickets


# --- Saved views --------------------------------------------------------------------------


def test_an_agent_saves_the_current_filters_under_a_name(agent_client, agent):
    response = agent_client.post(
        reverse("tickets:saved_view_create"),
        {"name": "Urgent chats", "query": "priority=urgent&channel=chat&page=3&bogus=1"},
    )

    view = SavedView.objects.get(owner=agent)
    assert (view.name, view.query, view.is_shared) == ("Urgent chats", "priority=urgent&channel=chat", False)
    assert response.status_code == 302 and response.url.endswith("?priority=urgent&channel=chat")


def test_a_name_is_required_and_unique_per_agent(agent_client, agent):
    SavedView.objects.create(owner=agent, name="Mine", query="assignee=me")

    agent_client.post(reverse("tickets:saved_view_create"), {"name": "", "query": "q=x"})
    response = agent_client.post(reverse("tickets:saved_view_create"), {"name": "Mine", "query": "q=x"}, follow=True)

    assert SavedView.objects.count() == 1
    assert "already have a view" in response.text


def test_the_sidebar_lists_my_views_and_shared_ones_but_not_others_private_ones(agent_client, agent):
    colleague = AgentFactory()
    SavedView.objects.create(owner=agent, name="My private", query="assignee=me")
    SavedView.objects.create(owner=colleague, name="Team shared", query="team=none", is_shared=True)
    SavedView.objects.create(owner=colleague, name="Their private", query="q=x")

    response = agent_client.get(URL)

    assert [v.name for v in response.context["saved_views"]] == ["My private", "Team shared"]
    assert "Their private" not in response.text
    assert 'href="?team=none"' in response.text


def test_an_agent_deletes_their_own_view(agent_client, agent):
    view = SavedView.objects.create(owner=agent, name="Mine", query="assignee=me")

    response = agent_client.post(reverse("tickets:saved_view_delete", args=[view.pk]))

    assert response.status_code == 302
    assert not SavedView.objects.exists()


def test_someone_elses_view_cannot_be_deleted_even_if_shared(agent_client):
    view = SavedView.objects.create(owner=AgentFactory(), name="Shared", query="q=x", is_shared=True)

    response = agent_client.post(reverse("tickets:saved_view_delete", args=[view.pk]))

    assert response.status_code == 404
    assert SavedView.objects.filter(pk=view.pk).exists()


def test_saved_views_take_posts_from_agents_only(client, agent_client, agent):
    view = SavedView.objects.create(owner=agent, name="Mine", query="assignee=me")
    assert agent_client.get(reverse("tickets:saved_view_delete", args=[view.pk])).status_code == 405
    client.force_login(PortalCustomerFactory().user)

    assert client.post(reverse("tickets:saved_view_create"), {"name": "x", "query": ""}).status_code == 403


def test_a_saved_view_keeps_the_built_in_view_it_was_made_from(agent_client, agent):
    agent_client.post(reverse("tickets:saved_view_create"), {"name": "My new", "query": "view=mine&status=new"})

    assert SavedView.objects.get(owner=agent).query == "view=mine&status=new"


def test_an_agents_own_change_shows_in_the_counts_at_once(agent_client, world, agent):
    before = _counts(agent_client.get(URL))["mine"]

    agent_client.post(reverse("tickets:bulk"), {"ids": [world["unassigned_team"].pk], "action": "assign_me"})

    assert _counts(agent_client.get(URL))["mine"] == before + 1
