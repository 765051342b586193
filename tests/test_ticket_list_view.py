"""The agent queue at /tickets/: who sees what, filters, number jump, sorting, paging, query count."""

from datetime import timedelta

import factory
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests.factories import (
    AgentFactory,
    CustomerFactory,
    ManagerFactory,
    PortalCustomerFactory,
    TagFactory,
    TeamFactory,
    TicketFactory,
    UserFactory,
)
from tickets import services
from tickets.models import Channel, Ticket

pytestmark = pytest.mark.django_db

URL = reverse("tickets:list")
Status = Ticket.Status


def _ticket(subject="Order never arrived", *, channel=Channel.EMAIL, **kwargs):
    customer = kwargs.pop("customer", None) or CustomerFactory()
    return services.ticket_create(customer=customer, subject=subject, channel=channel, body_text="Hello", **kwargs)


def _shown(response) -> list[int]:
    return [ticket.pk for ticket in response.context["page"].rows]


# --- Who may open the queue ---------------------------------------------------------------


def test_an_anonymous_visitor_is_sent_to_the_login_page(client):
    response = client.get(URL)

    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_a_customer_cannot_open_the_agent_queue(client):
    client.force_login(PortalCustomerFactory().user)

    assert client.get(URL).status_code == 403


def test_a_user_without_a_role_cannot_open_the_agent_queue(client):
    client.force_login(UserFactory())

    assert client.get(URL).status_code == 403


# --- Visibility ---------------------------------------------------------------------------


def test_an_agent_sees_their_teams_tickets_and_unowned_ones_but_not_other_teams(agent_client, team):
    mine = _ticket("Ours", team=team)
    unowned = _ticket("Nobody's yet")
    theirs = _ticket("Another team's", team=TeamFactory())

    response = agent_client.get(URL)

    assert response.status_code == 200
    assert set(_shown(response)) == {mine.pk, unowned.pk}
    assert "Another team&#x27;s" not in response.text
    assert theirs.pk not in _shown(response)


def test_an_agent_still_sees_a_ticket_assigned_to_them_in_a_team_they_left(agent_client, agent):
    # The row as it stands after the agent left the team; the assignment keeps it in their view.
    ticket = TicketFactory(team=TeamFactory(), assignee=agent)

    assert _shown(agent_client.get(URL)) == [ticket.pk]


def test_a_manager_sees_every_team(client, team):
    tickets = [_ticket(team=team), _ticket(team=TeamFactory()), _ticket()]
    client.force_login(ManagerFactory())

    assert set(_shown(client.get(URL))) == {t.pk for t in tickets}


def test_merged_tickets_are_left_out_of_the_queue(agent_client, team, agent):
    source, target = _ticket("Duplicate", team=team), _ticket("Original", team=team)
    services.ticket_merge(source=source, target=target, actor=agent)

    assert _shown(agent_client.get(URL, {"status": "all"})) == [target.pk]


# --- Filters ------------------------------------------------------------------------------


def test_by_default_only_open_statuses_are_listed(agent_client, team, agent):
    new = _ticket(team=team)
    solved = _ticket(team=team)
    services.ticket_change_status(ticket=solved, status=Status.SOLVED, actor=agent)

    assert _shown(agent_client.get(URL)) == [new.pk]


def test_status_can_be_repeated_and_all_shows_every_status(agent_client, team, agent):
    new, pending, solved = _ticket(team=team), _ticket(team=team), _ticket(team=team)
    services.ticket_change_status(ticket=pending, status=Status.PENDING, actor=agent)
    services.ticket_change_status(ticket=solved, status=Status.SOLVED, actor=agent)

    assert set(_shown(agent_client.get(URL, {"status": ["pending", "solved"]}))) == {pending.pk, solved.pk}
    assert set(_shown(agent_client.get(URL, {"status": "all"}))) == {new.pk, pending.pk, solved.pk}


def test_it_filters_by_priority_team_and_channel(agent_client, team, agent):
    other_team = TeamFactory(members=[agent])
    urgent = _ticket(team=team, priority=Ticket.Priority.URGENT)
    chat = _ticket(team=other_team, channel=Channel.CHAT)

    assert _shown(agent_client.get(URL, {"priority": "urgent"})) == [urgent.pk]
    assert _shown(agent_client.get(URL, {"team": other_team.pk})) == [chat.pk]
    assert _shown(agent_client.get(URL, {"channel": "chat"})) == [chat.pk]


def test_it_filters_unowned_tickets_with_team_none(agent_client, team):
    _ticket(team=team)
    unowned = _ticket()

    assert _shown(agent_client.get(URL, {"team": "none"})) == [unowned.pk]


def test_it_filters_by_assignee_me_none_or_id(agent_client, team, agent):
    colleague = AgentFactory()
    team.members.add(colleague)
    mine = _ticket(team=team, assignee=agent)
    theirs = _ticket(team=team, assignee=colleague)
    nobodys = _ticket(team=team)

    assert _shown(agent_client.get(URL, {"assignee": "me"})) == [mine.pk]
    assert _shown(agent_client.get(URL, {"assignee": "none"})) == [nobodys.pk]
    assert _shown(agent_client.get(URL, {"assignee": colleague.pk})) == [theirs.pk]


def test_words_search_the_subject(agent_client, team):
    refund = _ticket("Refund for order 77", team=team)
    _ticket("Password reset", team=team)

    assert _shown(agent_client.get(URL, {"q": "refund"})) == [refund.pk]


def test_unknown_filter_values_are_ignored(agent_client, team):
    ticket = _ticket(team=team)

    response = agent_client.get(URL, {"priority": "bogus", "team": "x", "sort": "nope", "page": "-3"})
    huge = agent_client.get(URL, {"team": "9" * 40, "assignee": "²", "page": "9" * 40})

    assert _shown(response) == [ticket.pk]
    assert huge.status_code == 200 and _shown(huge) == [ticket.pk]


@pytest.mark.parametrize("query", ["#{}", "{}", "# {}"])
def test_a_ticket_number_jumps_to_the_ticket(agent_client, team, query):
    ticket = _ticket(team=team)

    response = agent_client.get(URL, {"q": query.format(ticket.pk)})

    assert response.status_code == 302
    assert response.url == reverse("tickets:detail", args=[ticket.pk])


def test_a_number_in_persian_digits_jumps_too(agent_client, team):
    ticket = _ticket(team=team)
    persian = str(ticket.pk).translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹"))

    assert agent_client.get(URL, {"q": f"#{persian}"}).url == reverse("tickets:detail", args=[ticket.pk])


def test_a_number_jump_reaches_a_solved_ticket_too(agent_client, team, agent):
    ticket = _ticket(team=team)
    services.ticket_change_status(ticket=ticket, status=Status.SOLVED, actor=agent)

    assert agent_client.get(URL, {"q": f"#{ticket.pk}"}).url == reverse("tickets:detail", args=[ticket.pk])


def test_a_number_jump_does_not_reveal_another_teams_ticket(agent_client):
    hidden = _ticket(team=TeamFactory())

    response = agent_client.get(URL, {"q": f"#{hidden.pk}"})

    assert response.status_code == 200
    assert _shown(response) == []


# --- Sorting and paging -------------------------------------------------------------------


def test_sorting_by_activity_creation_and_priority(agent_client, team):
    now = timezone.now()
    old_urgent = _ticket(team=team, priority=Ticket.Priority.URGENT, created_at=now - timedelta(days=3))
    low = _ticket(team=team, priority=Ticket.Priority.LOW, created_at=now - timedelta(days=2))
    high = _ticket(team=team, priority=Ticket.Priority.HIGH, created_at=now - timedelta(days=1))
    # A fresh message makes the oldest ticket the most recently active.
    services.message_add(ticket=old_urgent, channel=Channel.EMAIL, direction="inbound", body_text="Still waiting")

    assert _shown(agent_client.get(URL)) == [old_urgent.pk, high.pk, low.pk]
    assert _shown(agent_client.get(URL, {"sort": "created"})) == [high.pk, low.pk, old_urgent.pk]
    assert _shown(agent_client.get(URL, {"sort": "priority"})) == [old_urgent.pk, high.pk, low.pk]


def test_pages_hold_fifty_and_link_older_and_newer_without_counting(agent_client, team):
    customer = CustomerFactory()
    start = timezone.now() - timedelta(days=1)
    # A different minute for each ticket, so the order is certain.
    TicketFactory.create_batch(
        51, team=team, customer=customer, created_at=factory.Sequence(lambda n: start + timedelta(minutes=n))
    )

    with CaptureQueriesContext(connection) as queries:
        first = agent_client.get(URL)
    second = agent_client.get(URL, {"page": 2})

    assert len(first.context["page"].rows) == 50
    assert "Older" in first.text and "Newer" not in first.text
    assert len(second.context["page"].rows) == 1
    assert "Newer" in second.text and "Older" not in second.text
    assert not any("COUNT(" in query["sql"].upper() for query in queries.captured_queries)


@pytest.mark.parametrize("tickets", [5, 60])
def test_the_queue_takes_a_fixed_number_of_queries(agent_client, team, agent, tickets, django_assert_max_num_queries):
    tags = TagFactory.create_batch(3)
    for n in range(tickets):
        ticket = TicketFactory(team=team, assignee=agent, customer=CustomerFactory())
        ticket.tags.set(tags[: n % 3 + 1])

    # session, user, role, ticket ids, those tickets, tags, view counts, saved views,
    # team, agent and organization choices
    with django_assert_max_num_queries(11):
        response = agent_client.get(URL, {"status": "all"})

    assert len(response.context["page"].rows) == min(tickets, 50)
