"""Acting on a ticket from its page: the POST endpoints of tickets/urls_actions.py."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from tests.factories import (
    AgentFactory,
    AttachmentFactory,
    CustomerFactory,
    ManagerFactory,
    PortalCustomerFactory,
    TeamFactory,
    TicketFactory,
    UserFactory,
)
from tickets import services
from tickets.models import Channel, Message, Ticket, TicketEvent, TicketFollower, TicketLink

pytestmark = pytest.mark.django_db

Status = Ticket.Status
Direction = Message.Direction
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def agent():
    return AgentFactory(username="ava", first_name="Ava", last_name="Agent")


@pytest.fixture
def team(agent):
    return TeamFactory(name="Billing", members=[agent])


@pytest.fixture
def agent_client(client, agent):
    client.force_login(agent)
    return client


@pytest.fixture
def ticket(team):
    return _ticket(team=team)


def _ticket(**kwargs):
    return services.ticket_create(
        customer=kwargs.pop("customer", None) or CustomerFactory(name="Sara"),
        subject=kwargs.pop("subject", "Invoice shows the wrong amount"),
        channel=kwargs.pop("channel", Channel.EMAIL),
        body_text="My invoice says 120, I paid 100.",
        **kwargs,
    )


def _url(name, ticket, *args):
    return reverse(f"tickets:{name}", args=[ticket.pk, *args])


def _page(ticket):
    return reverse("tickets:detail", args=[ticket.pk])


def _last_message_id(ticket):
    return ticket.messages.order_by("-pk").values_list("pk", flat=True).first()


def _customer_writes(ticket, text="Any news?"):
    return services.message_add(
        ticket=ticket,
        channel=ticket.current_channel,
        direction=Direction.INBOUND,
        body_text=text,
        author_customer=ticket.customer,
    )


def _messages_shown(response):
    return [str(m) for m in response.wsgi_request._messages]


# Every endpoint with a valid POST body, for the access rules that all of them share.
def _endpoints(ticket, other):
    split_me = _customer_writes(ticket, "Also: my password")
    return [
        (_url("reply", ticket), {"body": "Hello"}),
        (_url("note", ticket), {"body": "FYI"}),
        (_url("status", ticket), {"status": "pending"}),
        (_url("priority", ticket), {"priority": "high"}),
        (_url("assign", ticket), {"assignee": "me"}),
        (_url("tags", ticket), {"tags": "vip"}),
        (_url("merge", ticket), {"number": other.pk}),
        (_url("split", ticket, split_me.pk), {}),
        (_url("link", ticket), {"number": other.pk}),
        (_url("unlink", ticket), {"number": other.pk}),
        (_url("follow", ticket), {}),
        (_url("unfollow", ticket), {}),
    ]


# --- Replies ------------------------------------------------------------------------------


def test_a_plain_reply_post_stores_the_reply_and_redirects_back_with_a_message(agent_client, agent, ticket):
    response = agent_client.post(
        _url("reply", ticket), {"body": "We are on it.", "channel": "chat", "status_after": "pending"}
    )

    assert response.status_code == 302
    assert response.url == _page(ticket)
    reply = ticket.messages.get(direction=Direction.OUTBOUND)
    assert (reply.body_text, reply.channel, reply.author_agent) == ("We are on it.", Channel.CHAT, agent)
    assert reply.delivery_status == Message.DeliveryStatus.QUEUED
    ticket.refresh_from_db()
    assert ticket.status == Status.PENDING
    assert _messages_shown(response) == ["Reply sent."]


def test_an_htmx_reply_gets_a_fresh_composer_and_the_timeline_and_facts_out_of_band(agent_client, ticket):
    page = agent_client.get(_page(ticket)).text
    old_key = re.search(r'name="idempotency_key" value="([0-9a-f]+)"', page).group(1)

    response = agent_client.post(
        _url("reply", ticket), {"body": "On its way.", "idempotency_key": old_key, "status_after": "solved"}, **HTMX
    )

    assert response.status_code == 200
    html = response.text
    assert html.lstrip().startswith('<div id="reply-composer"')
    assert "<html" not in html
    assert "Reply sent." in html
    assert old_key not in html  # a fresh key for the next reply
    assert 'id="ticket-facts" hx-swap-oob="true"' in html
    assert 'hx-swap-oob="outerHTML:section.timeline"' in html
    assert "On its way." in html
    assert 'id="ticket-controls"' in html and "Solved" in html
    assert '<textarea id="reply-body"' in html and "On its way.</textarea>" not in html


def test_an_empty_htmx_reply_shows_the_error_inline(agent_client, ticket):
    response = agent_client.post(_url("reply", ticket), {"body": "  "}, **HTMX)

    assert response.status_code == 200
    assert 'id="reply-error" role="alert">The message is empty.' in response.text
    assert not ticket.messages.filter(direction=Direction.OUTBOUND).exists()


def test_a_refused_reply_without_javascript_shows_the_page_again_with_the_text_kept(agent_client, agent, ticket):
    services.ticket_change_status(ticket=ticket, status=Status.SOLVED)
    services.ticket_change_status(ticket=ticket, status=Status.CLOSED)

    response = agent_client.post(_url("reply", ticket), {"body": "Sorry for the wait."})

    assert response.status_code == 400
    assert "is closed; open a follow-up ticket instead." in response.text
    assert "Sorry for the wait.</textarea>" in response.text
    assert "<html" in response.text


def test_hostile_html_in_a_posted_reply_is_stored_as_text_and_shown_escaped(agent_client, ticket):
    hostile = '<script>alert(1)</script><img src=x onerror="alert(2)">'

    agent_client.post(_url("reply", ticket), {"body": hostile})
    page = agent_client.get(_page(ticket)).text

    reply = ticket.messages.get(direction=Direction.OUTBOUND)
    assert (reply.body_text, reply.body_html) == (hostile, "")
    assert "<script>alert(1)" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_an_html_only_message_is_shown_sanitized(agent_client, ticket):
    services.message_add(
        ticket=ticket,
        channel=Channel.EMAIL,
        direction=Direction.INBOUND,
        body_html='<p onclick="x()">Hi <b>there</b></p><script>alert(1)</script>',
        author_customer=ticket.customer,
    )

    page = agent_client.get(_page(ticket)).text

    assert "<p>Hi <b>there</b></p>" in page
    assert "alert(1)" not in page and "onclick" not in page


def test_the_same_idempotency_key_posted_twice_stores_one_reply(agent_client, ticket):
    data = {"body": "Only once, please.", "idempotency_key": "3f0c1d", "last_message_id": _last_message_id(ticket)}

    first = agent_client.post(_url("reply", ticket), data)
    second = agent_client.post(_url("reply", ticket), data)

    assert (first.status_code, second.status_code) == (302, 302)
    assert ticket.messages.filter(direction=Direction.OUTBOUND).count() == 1


def test_a_reply_written_while_the_customer_wrote_again_is_held_back_with_a_warning(agent_client, ticket):
    seen = _last_message_id(ticket)
    _customer_writes(ticket, "Actually, it is 130 now.")

    response = agent_client.post(
        _url("reply", ticket), {"body": "Refunding 20.", "last_message_id": seen, "idempotency_key": "k1"}, **HTMX
    )

    assert response.status_code == 200
    html = response.text
    assert "A new message arrived while you were writing" in html
    assert "Actually, it is 130 now." in html
    assert "Refunding 20.</textarea>" in html
    assert 'name="confirm_stale" value="1"' in html
    assert not ticket.messages.filter(direction=Direction.OUTBOUND).exists()

    sent = agent_client.post(
        _url("reply", ticket),
        {"body": "Refunding 20.", "last_message_id": seen, "idempotency_key": "k1", "confirm_stale": "1"},
        **HTMX,
    )

    assert "Reply sent." in sent.text
    assert ticket.messages.filter(direction=Direction.OUTBOUND).count() == 1


def test_the_warning_without_javascript_shows_the_whole_page_with_the_text_kept(agent_client, ticket):
    seen = _last_message_id(ticket)
    _customer_writes(ticket, "Hello? Anyone?")

    response = agent_client.post(_url("reply", ticket), {"body": "Here!", "last_message_id": seen})

    assert response.status_code == 409
    assert "A new message arrived while you were writing" in response.text
    assert "Here!</textarea>" in response.text
    # The form now carries the newest id, so a plain "Send" after reading goes out.
    newest = _last_message_id(ticket)
    assert f'name="last_message_id" value="{newest}"' in response.text


def test_the_agents_own_messages_are_no_reason_for_a_warning(agent_client, agent, ticket):
    seen = _last_message_id(ticket)
    services.note_add(ticket=ticket, agent=agent, body_text="Checking with finance.")

    response = agent_client.post(_url("reply", ticket), {"body": "Checked.", "last_message_id": seen})

    assert response.status_code == 302
    assert ticket.messages.filter(direction=Direction.OUTBOUND).count() == 1


# --- Notes --------------------------------------------------------------------------------


def test_a_note_is_stored_with_its_mentions_and_shown_as_a_note(agent_client, ticket):
    AgentFactory(username="bob")

    response = agent_client.post(_url("note", ticket), {"body": "@bob can you check? @nobody", **{}}, **HTMX)

    note = ticket.messages.get(direction=Direction.NOTE)
    assert list(note.mentions.values_list("username", flat=True)) == ["bob"]
    html = response.text
    assert html.lstrip().startswith('<div id="note-composer"')
    assert "Note added." in html
    assert re.search(r'class="msg msg-note".*?Internal note.*?@bob can you check\?.*?Mentioned: <span', html, re.S)


def test_an_empty_note_is_refused_without_losing_the_reply_being_written(agent_client, ticket):
    response = agent_client.post(_url("note", ticket), {"body": ""}, **HTMX)

    assert "The message is empty." in response.text
    assert 'id="reply-composer"' not in response.text  # the reply composer is left alone


# --- Controls -----------------------------------------------------------------------------


def test_status_changes_and_an_invalid_one_is_an_inline_error(agent_client, ticket):
    response = agent_client.post(_url("status", ticket), {"status": "solved"}, **HTMX)

    assert response.text.lstrip().startswith('<div id="ticket-controls"')
    assert "Status changed." in response.text
    ticket.refresh_from_db()
    assert ticket.status == Status.SOLVED

    agent_client.post(_url("status", ticket), {"status": "closed"})
    response = agent_client.post(_url("status", ticket), {"status": "open"}, **HTMX)

    assert "A Closed ticket cannot become Open." in response.text


def test_a_plain_status_post_that_fails_redirects_with_the_error(agent_client, ticket):
    response = agent_client.post(_url("status", ticket), {"status": "gone"})

    assert response.status_code == 302
    assert _messages_shown(response) == ["Unknown status “gone”."]


def test_priority_changes(agent_client, ticket):
    agent_client.post(_url("priority", ticket), {"priority": "urgent"})

    ticket.refresh_from_db()
    assert ticket.priority == Ticket.Priority.URGENT


def test_assign_to_me_and_to_a_team_mate(agent_client, agent, team, ticket):
    mate = AgentFactory()
    team.members.add(mate)

    agent_client.post(_url("assign", ticket), {"assignee": "me"})
    ticket.refresh_from_db()
    assert ticket.assignee == agent

    agent_client.post(_url("assign", ticket), {"team": team.pk, "assignee": mate.pk})
    ticket.refresh_from_db()
    assert ticket.assignee == mate


def test_assign_to_me_outside_the_tickets_team_shows_the_error(client, team, ticket):
    manager = ManagerFactory(first_name="Mo", last_name="Manager")
    client.force_login(manager)

    response = client.post(_url("assign", ticket), {"assignee": "me"}, **HTMX)

    assert "Mo Manager is not a member of team Billing." in response.text
    ticket.refresh_from_db()
    assert ticket.assignee is None


def test_moving_to_another_team_keeps_the_ticket_only_if_the_agent_may_still_see_it(agent_client, agent, ticket):
    other_team = TeamFactory(name="Shipping")

    response = agent_client.post(_url("assign", ticket), {"team": other_team.pk, "assignee": ""}, **HTMX)

    ticket.refresh_from_db()
    assert ticket.team == other_team
    assert response["HX-Redirect"] == reverse("tickets:list")

    services.ticket_assign(ticket=ticket, team=None)
    response = agent_client.post(_url("assign", ticket), {"team": other_team.pk})

    assert response.url == reverse("tickets:list")
    assert f"Ticket #{ticket.pk} is no longer in your queues." in _messages_shown(response)


def test_tags_are_saved_from_a_comma_separated_field(agent_client, ticket):
    agent_client.post(_url("tags", ticket), {"tags": "Billing, VIP customer"})

    assert sorted(ticket.tags.values_list("name", flat=True)) == ["billing", "customer", "vip"]


def test_merge_into_another_ticket_by_number(agent_client, team, ticket):
    target = _ticket(team=team, subject="Older request")

    response = agent_client.post(_url("merge", ticket), {"number": f"#{target.pk}"}, **HTMX)

    assert response["HX-Redirect"] == _page(ticket)
    ticket.refresh_from_db()
    assert ticket.merged_into == target
    page = agent_client.get(_page(ticket)).text
    assert f"Merged into #{target.pk}." in page
    assert 'id="reply-form"' not in page  # nothing more to do on a merged ticket


def test_merge_into_itself_is_an_inline_error(agent_client, ticket):
    response = agent_client.post(_url("merge", ticket), {"number": ticket.pk}, **HTMX)

    assert "A ticket cannot be merged into itself." in response.text


def test_merge_or_link_to_a_ticket_the_agent_cannot_see_is_404(agent_client, ticket):
    hidden = _ticket(team=TeamFactory())

    assert agent_client.post(_url("merge", ticket), {"number": hidden.pk}).status_code == 404
    assert agent_client.post(_url("link", ticket), {"number": hidden.pk}).status_code == 404
    assert agent_client.post(_url("merge", ticket), {"number": 999_999}).status_code == 404
    ticket.refresh_from_db()
    assert ticket.merged_into is None
    assert not TicketLink.objects.exists()


def test_split_a_customer_message_into_a_new_ticket(agent_client, ticket):
    message = _customer_writes(ticket, "Also, I cannot log in.")

    response = agent_client.post(_url("split", ticket, message.pk), **HTMX)

    new = Ticket.objects.exclude(pk=ticket.pk).get()
    assert f"The message is now ticket #{new.pk}." in response.text
    assert f'A message was split off into <a href="{_page(new)}">#{new.pk}</a>' in response.text
    message.refresh_from_db()
    assert message.ticket == new


def test_split_needs_a_message_of_this_ticket(agent_client, team, ticket):
    elsewhere = _customer_writes(_ticket(team=team))

    assert agent_client.post(_url("split", ticket, elsewhere.pk)).status_code == 404


def test_the_page_offers_split_only_on_customer_messages(agent_client, agent, ticket):
    services.ticket_reply(ticket=ticket, agent=agent, body_text="Hi")
    inbound = ticket.messages.get(direction=Direction.INBOUND)

    page = agent_client.get(_page(ticket)).text

    assert page.count("Split into a new ticket") == 1
    assert _url("split", ticket, inbound.pk) in page


def test_link_and_unlink(agent_client, team, ticket):
    other = _ticket(team=team, subject="Same outage")

    response = agent_client.post(_url("link", ticket), {"number": other.pk}, **HTMX)

    assert f"Linked to #{other.pk}." in response.text
    assert TicketLink.objects.filter(ticket=ticket, related=other).exists()
    assert f'href="{_page(other)}">#{other.pk}</a> <span dir="auto">Same outage' in response.text

    response = agent_client.post(_url("unlink", ticket), {"number": other.pk})

    assert response.status_code == 302
    assert not TicketLink.objects.exists()
    assert ticket.events.filter(kind=TicketEvent.Kind.LINKED, to_value="").exists()


def test_linking_a_ticket_to_itself_is_an_inline_error(agent_client, ticket):
    response = agent_client.post(_url("link", ticket), {"number": ticket.pk}, **HTMX)

    assert "A ticket cannot be linked to itself." in response.text


def test_follow_and_unfollow(agent_client, agent, ticket):
    response = agent_client.post(_url("follow", ticket), **HTMX)

    assert TicketFollower.objects.filter(ticket=ticket, user=agent).exists()
    assert 'id="unfollow"' in response.text and "Ava Agent" in response.text

    agent_client.post(_url("unfollow", ticket))

    assert not TicketFollower.objects.exists()


# --- Access -------------------------------------------------------------------------------


def test_every_action_is_404_on_another_teams_ticket(client, ticket, team):
    other = _ticket(team=team)
    endpoints = _endpoints(ticket, other)
    client.force_login(AgentFactory())

    for url, data in endpoints:
        assert client.post(url, data).status_code == 404, url
    assert ticket.messages.count() == 2
    assert not TicketEvent.objects.exclude(kind=TicketEvent.Kind.CREATED).exclude(kind=TicketEvent.Kind.STATUS).exists()


def test_customers_and_role_less_users_are_refused_and_anonymous_visitors_sent_to_log_in(client, ticket, team):
    endpoints = _endpoints(ticket, _ticket(team=team))

    client.force_login(PortalCustomerFactory().user)
    for url, data in endpoints:
        assert client.post(url, data).status_code == 403, url
    client.force_login(UserFactory())
    for url, data in endpoints:
        assert client.post(url, data).status_code == 403, url
    client.logout()
    for url, data in endpoints:
        response = client.post(url, data)
        assert response.status_code == 302 and response.url.startswith(reverse("login")), url


def test_actions_take_only_post(agent_client, ticket):
    assert agent_client.get(_url("reply", ticket)).status_code == 405
    assert agent_client.get(_url("status", ticket)).status_code == 405


def test_csrf_is_enforced(agent, ticket):
    client = Client(enforce_csrf_checks=True)
    client.force_login(agent)

    refused = client.post(_url("reply", ticket), {"body": "Forged"})

    assert refused.status_code == 403
    assert not ticket.messages.filter(direction=Direction.OUTBOUND).exists()

    client.get(_page(ticket))
    token = client.cookies["csrftoken"].value
    allowed = client.post(_url("reply", ticket), {"body": "Real"}, HTTP_X_CSRFTOKEN=token, **HTMX)

    assert allowed.status_code == 200
    assert ticket.messages.filter(direction=Direction.OUTBOUND).count() == 1


# --- Cost ---------------------------------------------------------------------------------


@pytest.mark.parametrize("count", [3, 50])
def test_the_ticket_page_with_its_action_panel_takes_a_fixed_number_of_queries(
    agent_client, agent, team, count, django_assert_max_num_queries
):
    AgentFactory(username="bob")
    ticket = _ticket(team=team, tags=["billing"])
    for n in range(count - 1):
        direction = [Direction.INBOUND, Direction.OUTBOUND, Direction.NOTE][n % 3]
        if direction == Direction.NOTE:
            message = services.note_add(ticket=ticket, agent=agent, body_text=f"@bob note {n}")
        elif direction == Direction.OUTBOUND:
            message = services.ticket_reply(ticket=ticket, agent=agent, body_text=f"Reply {n}")
        else:
            message = _customer_writes(ticket, f"Question {n}")
        AttachmentFactory(message=message)
    for other in TicketFactory.create_batch(count // 10 + 1, team=team):
        services.ticket_link(ticket=ticket, related=other, actor=agent)
    services.ticket_follow(ticket=ticket, user=agent)

    # As the ticket page itself (tests/test_ticket_detail_view.py), whatever the number of rows.
    with django_assert_max_num_queries(18):
        response = agent_client.get(_page(ticket))

    assert response.text.count('class="msg ') == count
    assert response.text.count("Split into a new ticket") == (count - 1 + 2) // 3 + 1
