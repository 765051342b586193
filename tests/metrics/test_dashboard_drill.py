"""The drill-down at /dashboard/tickets/: exactly the tickets a figure counted, a page at a time."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests.factories import AgentFactory, CustomerFactory, ManagerFactory, TeamFactory
from tickets import services
from tickets.models import Channel, Message, Ticket

pytestmark = pytest.mark.django_db

URL = reverse("metrics:tickets")
Status = Ticket.Status


def _ticket(subject, *, team=None, agent=None, days_ago=3):
    return services.ticket_create(
        customer=CustomerFactory(),
        subject=subject,
        channel=Channel.EMAIL,
        body_text="Hello",
        team=team,
        assignee=agent,
        created_at=timezone.now() - timedelta(days=days_ago),
    )


def _reply(ticket, agent, *, channel=Channel.EMAIL):
    services.message_add(
        ticket=ticket, channel=channel, direction=Message.Direction.OUTBOUND, body_text="Hi", author_agent=agent
    )


def _customer_writes(ticket):
    services.message_add(
        ticket=ticket,
        channel=Channel.EMAIL,
        direction=Message.Direction.INBOUND,
        body_text="One more thing",
        author_customer=ticket.customer,
    )


def _solve(ticket):
    services.ticket_change_status(ticket=ticket, status=Status.SOLVED)


@pytest.fixture
def fcr_set():
    """One ticket resolved at first contact; one with two contacts; one reopened; one solved with no reply."""
    agent = AgentFactory(first_name="Ava", last_name="Rahimi")
    team = TeamFactory(name="Billing", members=[agent])
    first = _ticket("Resolved at once", team=team, agent=agent)
    _reply(first, agent)
    _solve(first)
    twice = _ticket("Needed two replies", team=team, agent=agent)
    _reply(twice, agent)
    _customer_writes(twice)
    _reply(twice, agent)
    _solve(twice)
    reopened = _ticket("Came back", team=team, agent=agent)
    _reply(reopened, agent)
    _solve(reopened)
    _customer_writes(reopened)
    _solve(reopened)
    silent = _ticket("Solved without a word")
    _solve(silent)
    return {"first": first, "twice": twice, "reopened": reopened, "silent": silent, "team": team, "agent": agent}


@pytest.fixture
def manager_client(client):
    client.force_login(ManagerFactory())
    return client


def _listed(response) -> list[int]:
    return [ticket.pk for ticket in response.context["page"].rows]


def test_it_lists_exactly_the_tickets_resolved_at_first_contact(manager_client, fcr_set):
    response = manager_client.get(URL, {"figure": "fcr", "part": "resolved"})

    assert response.status_code == 200
    assert _listed(response) == [fcr_set["first"].pk]
    assert "First contact resolution: resolved at first contact" in response.text
    assert reverse("tickets:detail", args=[fcr_set["first"].pk]) in response.text


def test_the_fcr_denominator_lists_solved_tickets_with_a_contact(manager_client, fcr_set):
    response = manager_client.get(URL, {"figure": "fcr"})

    # Newest first; the ticket solved with no reply had no contact, so FCR leaves it out.
    assert _listed(response) == [fcr_set["reopened"].pk, fcr_set["twice"].pk, fcr_set["first"].pk]


@pytest.mark.parametrize("key", ["fcr", "reopen_rate", "unanswered", "first_response_time", "resolution_time"])
def test_the_overview_card_counts_what_the_drill_down_lists(manager_client, fcr_set, source, key):
    """On both read paths: live from the tickets, and from the daily rollups."""
    source.refresh()
    overview = manager_client.get(reverse("metrics:overview"))
    source.check(overview.context["scope"])
    card = next(card for card in overview.context["cards"] if card["key"] == key)

    linked = [line for line in card["details"] if line["url"]]
    assert linked
    for line in linked:
        assert line["text"] == str(len(_listed(manager_client.get(line["url"]))))


def test_a_row_shows_number_subject_status_channel_team_assignee_and_dates(manager_client, fcr_set):
    response = manager_client.get(URL, {"figure": "fcr", "part": "resolved"})
    row = response.text[response.text.index(f'data-ticket="{fcr_set["first"].pk}"') :]

    for text in (f"#{fcr_set['first'].pk}", "Resolved at once", "Solved", "Email", "Billing", "Ava Rahimi"):
        assert text in row[: row.index("</tr>")]


def test_filters_narrow_the_list(manager_client, fcr_set):
    other_team = TeamFactory()

    assert _listed(manager_client.get(URL, {"figure": "fcr", "team": fcr_set["team"].pk})) != []
    assert _listed(manager_client.get(URL, {"figure": "fcr", "team": other_team.pk})) == []


def test_it_pages_with_a_next_link(manager_client):
    tickets = [_ticket(f"Open {n}") for n in range(30)]

    first = manager_client.get(URL, {"figure": "backlog", "size": "25"})
    second = manager_client.get(URL, {"figure": "backlog", "size": "25", "page": "2"})

    assert _listed(first) == [ticket.pk for ticket in reversed(tickets)][:25]
    assert first.context["page"].has_next
    assert 'rel="next"' in first.text
    assert _listed(second) == [ticket.pk for ticket in reversed(tickets)][25:]
    assert not second.context["page"].has_next
    assert 'rel="prev"' in second.text


def test_an_unknown_figure_shows_a_message(manager_client):
    response = manager_client.get(URL, {"figure": "happiness"})

    assert response.status_code == 200
    assert "Pick a figure" in response.text


def test_a_bad_filter_shows_a_message(manager_client):
    response = manager_client.get(URL, {"figure": "fcr", "agent": "me"})

    assert response.status_code == 200
    assert "“agent” must be a number." in response.text


def test_agents_cannot_open_it(client):
    client.force_login(AgentFactory())

    assert client.get(URL, {"figure": "fcr"}).status_code == 403


def _count(client, query) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(URL, query).status_code == 200
    return len(captured)


def test_a_page_takes_the_same_queries_whatever_its_size(manager_client, django_assert_max_num_queries):
    team = TeamFactory()
    agent = AgentFactory()
    for n in range(60):
        _ticket(f"Open {n}", team=team, agent=agent)
    small = _count(manager_client, {"figure": "backlog", "size": "25"})

    with django_assert_max_num_queries(small):
        assert len(manager_client.get(URL, {"figure": "backlog", "size": "100"}).context["page"].rows) == 60
