"""The manager overview at /dashboard/: backlog, created by channel, solved, for managers only."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import AdminFactory, AgentFactory, CustomerFactory, ManagerFactory, PortalCustomerFactory
from tickets import services
from tickets.models import Channel, Ticket

pytestmark = pytest.mark.django_db

URL = reverse("metrics:overview")
Status = Ticket.Status


def _ticket(channel=Channel.EMAIL, days_ago=1):
    return services.ticket_create(
        customer=CustomerFactory(),
        subject="Question",
        channel=channel,
        body_text="Hello",
        created_at=timezone.now() - timedelta(days=days_ago),
    )


@pytest.fixture
def small_set():
    """Two new, one pending, one solved recently, one solved long ago, one merged away, one old."""
    now = timezone.now()
    _ticket(Channel.EMAIL)
    _ticket(Channel.CHAT)
    services.ticket_change_status(ticket=_ticket(Channel.CHAT), status=Status.PENDING)
    services.ticket_change_status(ticket=_ticket(Channel.PHONE), status=Status.SOLVED, at=now - timedelta(days=2))
    old_solved = _ticket(Channel.EMAIL, days_ago=50)
    services.ticket_change_status(ticket=old_solved, status=Status.SOLVED, at=now - timedelta(days=40))
    source, target = _ticket(Channel.PORTAL, days_ago=3), _ticket(Channel.PORTAL, days_ago=45)
    services.ticket_merge(source=source, target=target)


def test_it_shows_backlog_created_and_solved_figures(client, small_set):
    client.force_login(ManagerFactory())

    response = client.get(URL)

    assert response.status_code == 200
    context = response.context
    # new: email, chat and the merge target; pending: chat; merged and solved tickets are not backlog.
    assert dict(context["backlog"]) == {"New": 3, "Open": 0, "Pending": 1, "On hold": 0}
    assert context["backlog_total"] == 4
    # Created in 30 days: email, chat, chat, phone, and the merged portal ticket (it was created).
    assert dict(context["created"]) == {"Email": 1, "Chat": 2, "Phone": 1, "Portal": 1, "Social": 0, "API": 0}
    assert context["created_total"] == 5
    assert context["solved"] == 1
    assert 'data-figure="backlog">4<' in response.text


def test_a_reopened_ticket_no_longer_counts_as_solved(client):
    ticket = _ticket()
    services.ticket_change_status(ticket=ticket, status=Status.SOLVED)
    services.ticket_change_status(ticket=ticket, status=Status.OPEN)
    client.force_login(ManagerFactory())

    assert client.get(URL).context["solved"] == 0


def test_admins_may_open_it(client):
    client.force_login(AdminFactory())

    assert client.get(URL).status_code == 200


def test_agents_and_customers_get_403(client):
    client.force_login(AgentFactory())
    assert client.get(URL).status_code == 403
    client.force_login(PortalCustomerFactory().user)
    assert client.get(URL).status_code == 403


@pytest.mark.parametrize("extra", [0, 20])
def test_it_takes_a_fixed_number_of_queries(client, small_set, extra, django_assert_max_num_queries):
    for _ in range(extra):
        _ticket(Channel.SOCIAL)
    client.force_login(ManagerFactory())

    # session, user, role, then one query per figure
    with django_assert_max_num_queries(6):
        assert client.get(URL).status_code == 200
