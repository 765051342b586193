"""The customer portal: a customer's own requests and only what was said to and by them."""

import pytest
from django.urls import reverse

from tests.factories import AgentFactory, CustomerFactory, PortalCustomerFactory, TeamFactory
from tickets import services
from tickets.models import Channel, Message

pytestmark = pytest.mark.django_db

LIST_URL = reverse("portal:ticket_list")
Direction = Message.Direction


@pytest.fixture
def customer():
    return PortalCustomerFactory(name="Sara Karimi")


@pytest.fixture
def customer_client(client, customer):
    client.force_login(customer.user)
    return client


def _ticket(customer, subject="My parcel is late"):
    return services.ticket_create(customer=customer, subject=subject, channel=Channel.PORTAL, body_text="Order A-77")


def _url(ticket) -> str:
    return reverse("portal:ticket_detail", args=[ticket.pk])


def test_a_customer_sees_only_their_own_requests(customer_client, customer):
    mine = _ticket(customer, "My parcel is late")
    _ticket(CustomerFactory(), "Someone else's refund")

    response = customer_client.get(LIST_URL)

    assert response.status_code == 200
    assert [t.pk for t in response.context["page"].rows] == [mine.pk]
    assert "My parcel is late" in response.text
    assert "refund" not in response.text


def test_someone_elses_ticket_is_404(customer_client):
    other = _ticket(CustomerFactory())

    assert customer_client.get(_url(other)).status_code == 404


def test_the_ticket_page_shows_the_conversation_but_never_internal_notes_or_events(customer_client, customer):
    agent = AgentFactory(first_name="Ava", last_name="Secretlastname")
    team = TeamFactory(name="Tier two escalations", members=[agent])
    ticket = _ticket(customer)
    services.ticket_assign(ticket=ticket, team=team, assignee=agent, actor=agent)
    services.message_add(
        ticket=ticket,
        channel=Channel.PORTAL,
        direction=Direction.NOTE,
        body_text="Customer is on the watch list.",
        author_agent=agent,
    )
    services.message_add(
        ticket=ticket,
        channel=Channel.PORTAL,
        direction=Direction.OUTBOUND,
        body_text="Your parcel left the warehouse.",
        author_agent=agent,
    )

    page = customer_client.get(_url(ticket)).text

    assert "Order A-77" in page
    assert "Your parcel left the warehouse." in page
    assert "watch list" not in page
    assert "Internal note" not in page
    assert "Tier two escalations" not in page
    assert "Secretlastname" not in page
    assert "Assignee" not in page


def test_hostile_html_from_a_customer_is_shown_as_text(customer_client, customer):
    ticket = services.ticket_create(
        customer=customer, subject="Hi", channel=Channel.PORTAL, body_text='<img src="x" onerror="alert(1)">'
    )

    page = customer_client.get(_url(ticket)).text

    assert '<img src="x"' not in page
    assert "&lt;img src=&quot;x&quot;" in page


def test_agents_and_anonymous_visitors_do_not_get_the_portal(client):
    assert client.get(LIST_URL).url.startswith(reverse("login"))
    client.force_login(AgentFactory())
    assert client.get(LIST_URL).status_code == 403


@pytest.mark.parametrize("messages", [2, 30])
def test_the_ticket_page_takes_a_fixed_number_of_queries(
    customer_client, customer, messages, django_assert_max_num_queries
):
    ticket = _ticket(customer)
    for n in range(messages - 1):
        services.message_add(
            ticket=ticket,
            channel=Channel.PORTAL,
            direction=Direction.INBOUND,
            body_text=f"More {n}",
            author_customer=customer,
        )

    # session, user, customer, role groups, ticket, messages, attachments, the ticket's customer
    with django_assert_max_num_queries(8):
        response = customer_client.get(_url(ticket))

    assert response.text.count('class="msg ') == messages
