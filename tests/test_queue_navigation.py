"""Next and previous ticket of the queue the agent came from (J/K on the ticket page)."""

from datetime import timedelta

import pytest
from django.http import QueryDict
from django.urls import reverse
from django.utils import timezone

from tests.factories import AgentFactory, TeamFactory, TicketFactory
from tickets.models import Ticket
from tickets.navigation import queue_neighbours
from tickets.selectors import TicketFilters, ticket_list_for_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def agent():
    return AgentFactory()


@pytest.fixture
def queue(agent):
    """Five tickets of the agent's team, updated an hour apart: the newest first in the default queue."""
    team = TeamFactory(members=[agent])
    now = timezone.now()
    return [
        TicketFactory(team=team, status="open", priority=priority, updated_at=now - timedelta(hours=n))
        for n, priority in enumerate(["low", "urgent", "normal", "high", "urgent"])
    ]


def _filters(query: str = "") -> TicketFilters:
    return TicketFilters.from_query(QueryDict(query))


def test_neighbours_follow_the_default_order(agent, queue):
    middle = queue[2]

    around = queue_neighbours(user=agent, ticket=middle, filters=_filters())

    assert (around.previous_id, around.next_id) == (queue[1].pk, queue[3].pk)


def test_the_ends_of_the_queue_have_one_neighbour(agent, queue):
    assert queue_neighbours(user=agent, ticket=queue[0], filters=_filters()).previous_id is None
    assert queue_neighbours(user=agent, ticket=queue[-1], filters=_filters()).next_id is None


def test_neighbours_follow_the_priority_sort_and_filters(agent, queue):
    # By priority: urgent (1, 4), high (3), normal (2), low (0); ties by latest activity.
    around = queue_neighbours(user=agent, ticket=queue[3], filters=_filters("sort=priority"))
    assert (around.previous_id, around.next_id) == (queue[4].pk, queue[2].pk)

    only_urgent = queue_neighbours(user=agent, ticket=queue[1], filters=_filters("priority=urgent"))
    assert (only_urgent.previous_id, only_urgent.next_id) == (None, queue[4].pk)


def test_neighbours_follow_a_sort_with_empty_values_as_the_list_does(agent, queue):
    unowned = TicketFactory(team=None, status="open")
    filters = _filters("sort=team&dir=asc")
    order = list(ticket_list_for_user(user=agent, filters=filters).values_list("pk", flat=True))
    assert unowned.pk in order

    for index, pk in enumerate(order):
        around = queue_neighbours(user=agent, ticket=Ticket.objects.get(pk=pk), filters=filters)
        assert around.previous_id == (order[index - 1] if index else None)
        assert around.next_id == (order[index + 1] if index + 1 < len(order) else None)


def test_tickets_the_agent_cannot_see_are_skipped(agent, queue):
    hidden = TicketFactory(team=TeamFactory(), status="open", updated_at=queue[2].updated_at + timedelta(minutes=1))

    around = queue_neighbours(user=agent, ticket=queue[2], filters=_filters())

    assert around.previous_id == queue[1].pk != hidden.pk


def test_the_links_come_in_fixed_queries(client, agent, queue, django_assert_max_num_queries):
    client.force_login(agent)

    # session, user, role, ticket, tags, its sort values, next, previous
    with django_assert_max_num_queries(8):
        response = client.get(reverse("tickets:queue_nav", args=[queue[2].pk]), {"sort": "updated"})

    assert f'id="next-ticket" rel="next" href="/tickets/{queue[3].pk}/"' in response.text
    assert f'id="prev-ticket" rel="prev" href="/tickets/{queue[1].pk}/"' in response.text
