"""The ticket page at /tickets/<pk>/: header, one timeline, the customer panel, access and safety."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import (
    AgentFactory,
    AttachmentFactory,
    CustomerFactory,
    ManagerFactory,
    OrganizationFactory,
    PortalCustomerFactory,
    TeamFactory,
    TicketFactory,
    UserFactory,
)
from tickets import services
from tickets.models import Channel, Message, Ticket

pytestmark = pytest.mark.django_db

Direction = Message.Direction


@pytest.fixture
def agent():
    return AgentFactory(first_name="Ava", last_name="Agent")


@pytest.fixture
def team(agent):
    return TeamFactory(name="Billing", members=[agent])


@pytest.fixture
def agent_client(client, agent):
    client.force_login(agent)
    return client


@pytest.fixture
def customer():
    customer = services.customer_create(
        name="Sara Karimi",
        organization=OrganizationFactory(name="Acme Trading"),
        identities=[("email", "sara@acme.example"), ("phone", "+98 912 345 6789"), ("social", "@sara_k")],
        attributes={"plan": "Business", "recent_orders": [{"number": "A-77", "total": "120 EUR"}]},
    )
    return customer


def _url(ticket) -> str:
    return reverse("tickets:detail", args=[ticket.pk])


def _ticket(customer=None, **kwargs):
    return services.ticket_create(
        customer=customer or CustomerFactory(),
        subject=kwargs.pop("subject", "Invoice shows the wrong amount"),
        channel=kwargs.pop("channel", Channel.EMAIL),
        body_text=kwargs.pop("body_text", "My invoice says 120, I paid 100."),
        **kwargs,
    )


# --- What the page shows ------------------------------------------------------------------


def test_the_header_shows_number_subject_state_and_times(agent_client, agent, team, customer):
    ticket = _ticket(customer, team=team, assignee=agent, priority=Ticket.Priority.HIGH, tags=["billing"])
    services.message_add(
        ticket=ticket, channel=Channel.CHAT, direction=Direction.OUTBOUND, body_text="Checking.", author_agent=agent
    )

    response = agent_client.get(_url(ticket))

    assert response.status_code == 200
    page = response.text
    assert f"#{ticket.pk}" in page
    assert "Invoice shows the wrong amount" in page
    for text in ["Open", "High", "Email", "Chat", "Billing", "Ava Agent", "billing", "First response"]:
        assert text in page
    ticket.refresh_from_db()
    assert ticket.first_response_at.isoformat() in page


def test_the_timeline_interleaves_messages_and_events_in_time_order(agent_client, agent, team, customer):
    start = timezone.now() - timedelta(hours=3)
    ticket = _ticket(customer, team=team, created_at=start)
    services.ticket_change_status(ticket=ticket, status="pending", actor=agent, at=start + timedelta(hours=1))
    services.message_add(
        ticket=ticket,
        channel=Channel.PHONE,
        direction=Direction.INBOUND,
        body_text="Calling about it.",
        author_customer=customer,
        created_at=start + timedelta(hours=2),
    )

    page = agent_client.get(_url(ticket)).text

    order = [
        page.index("Ticket created via Email"),
        page.index("My invoice says 120"),
        page.index("Status changed from New to Pending"),
        page.index("Calling about it."),
        page.index("Status changed from Pending to Open"),
        page.index("Conversation moved from Email to Phone"),
    ]
    assert order == sorted(order)
    assert "via Phone" in page


def test_notes_are_marked_internal_automatic_messages_labelled_and_attachments_listed(agent_client, agent, team):
    ticket = _ticket(team=team)
    note = services.message_add(
        ticket=ticket, channel=Channel.EMAIL, direction=Direction.NOTE, body_text="VIP, be quick.", author_agent=agent
    )
    services.message_add(
        ticket=ticket,
        channel=Channel.EMAIL,
        direction=Direction.OUTBOUND,
        body_text="We received your request.",
        is_automatic=True,
    )
    AttachmentFactory(message=note, filename="screenshot.png", size=2048)

    page = agent_client.get(_url(ticket)).text

    assert re.search(r'class="msg msg-note"[^>]*>.*?Internal note.*?VIP, be quick\.', page, re.S)
    assert re.search(r'class="msg msg-outbound msg-automatic".*?Automatic message', page, re.S)
    assert "screenshot.png" in page
    assert "2.0\xa0KB" in page


def test_the_customer_panel_shows_identities_crm_data_and_other_tickets(agent_client, team, customer):
    ticket = _ticket(customer, team=team)
    older = _ticket(customer, subject="Cannot log in", team=team)
    services.ticket_change_status(ticket=older, status="solved")

    page = agent_client.get(_url(ticket)).text
    panel = page[page.index('class="customer-panel"') :]

    for text in ["Sara Karimi", "Acme Trading", "sara@acme.example", "+989123456789", "@sara_k"]:
        assert text in panel
    assert "Business" in panel and "A-77" in panel and "120 EUR" in panel
    assert "Cannot log in" in panel and "Solved" in panel


def test_the_panel_lists_the_latest_twenty_other_tickets(agent_client, team, customer):
    TicketFactory.create_batch(25, customer=customer, team=team)
    ticket = _ticket(customer, team=team)

    panel = agent_client.get(_url(ticket)).context["panel"]

    assert len(panel.other_tickets) == 20
    assert ticket not in panel.other_tickets


def test_a_merged_ticket_shows_a_banner_to_the_ticket_it_lives_on(agent_client, agent, team):
    source, target = _ticket(team=team), _ticket(team=team)
    services.ticket_merge(source=source, target=target, actor=agent)

    page = agent_client.get(_url(source)).text

    assert "This ticket was merged into" in page
    assert f'href="{_url(target)}">#{target.pk}</a>' in page


# --- Hostile content ----------------------------------------------------------------------


def test_hostile_html_in_a_message_is_shown_as_text(agent_client, team):
    hostile = '<script>alert(\'x\')</script>\n<img src="x" onerror="alert(1)">\n<a href="javascript:alert(2)">click</a>'
    ticket = _ticket(team=team, subject="<b>bold</b>", body_text=hostile, body_html=hostile)

    page = agent_client.get(_url(ticket)).text

    assert "<script>alert" not in page
    assert '<img src="x"' not in page
    assert 'href="javascript:' not in page
    assert "<b>bold</b>" not in page
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in page
    assert "&lt;img src=&quot;x&quot; onerror=&quot;alert(1)&quot;&gt;" in page


# --- Access -------------------------------------------------------------------------------


def test_an_agent_of_another_team_gets_404(client, team):
    ticket = _ticket(team=team)
    client.force_login(AgentFactory())

    assert client.get(_url(ticket)).status_code == 404


def test_an_unknown_ticket_is_404(agent_client):
    assert agent_client.get(reverse("tickets:detail", args=[999_999])).status_code == 404


def test_a_manager_opens_any_teams_ticket(client, team):
    ticket = _ticket(team=team)
    client.force_login(ManagerFactory())

    assert client.get(_url(ticket)).status_code == 200


def test_customers_and_role_less_users_cannot_open_the_agent_page(client, customer):
    portal_customer = PortalCustomerFactory()
    ticket = _ticket(portal_customer)

    client.force_login(portal_customer.user)
    assert client.get(_url(ticket)).status_code == 403
    client.force_login(UserFactory())
    assert client.get(_url(ticket)).status_code == 403


def test_an_anonymous_visitor_is_sent_to_log_in(client):
    ticket = _ticket()

    response = client.get(_url(ticket))

    assert response.status_code == 302
    assert response.url == f"{reverse('login')}?next={_url(ticket)}"


# --- Cost ---------------------------------------------------------------------------------


@pytest.mark.parametrize("messages", [3, 50])
def test_the_page_takes_a_fixed_number_of_queries(
    agent_client, agent, team, customer, messages, django_assert_max_num_queries
):
    ticket = _ticket(customer, team=team, tags=["billing", "vip"])
    for n in range(messages - 1):
        direction = [Direction.INBOUND, Direction.OUTBOUND, Direction.NOTE][n % 3]
        message = services.message_add(
            ticket=ticket,
            channel=Channel.EMAIL,
            direction=direction,
            body_text=f"Message {n}",
            author_customer=customer if direction == Direction.INBOUND else None,
            author_agent=None if direction == Direction.INBOUND else agent,
        )
        AttachmentFactory(message=message)
        services.ticket_change_priority(ticket=ticket, priority=["low", "high"][n % 2], actor=agent)
    TicketFactory.create_batch(5, customer=customer, team=team)

    # session, user, role, ticket, tags, participants, messages, attachments, events, identities, other tickets,
    # time entries with their total, macros; the action panel: followers, links, teams, assignable agents,
    # mentions of the notes
    with django_assert_max_num_queries(18):
        response = agent_client.get(_url(ticket))

    assert response.text.count('class="msg ') == messages
