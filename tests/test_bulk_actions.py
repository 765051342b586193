"""Bulk actions on the queue: each ticket through the domain services, errors reported per ticket."""

import pytest
from django.test import Client
from django.urls import reverse

from tests.factories import AgentFactory, CustomerFactory, PortalCustomerFactory, TeamFactory
from tickets import services
from tickets.models import Channel, Ticket, TicketEvent

pytestmark = pytest.mark.django_db

URL = reverse("tickets:bulk")
LIST = reverse("tickets:list")
Status = Ticket.Status


def _ticket(team, subject="Order never arrived", **kwargs):
    return services.ticket_create(
        customer=CustomerFactory(), subject=subject, channel=Channel.EMAIL, body_text="Hello", team=team, **kwargs
    )


def _post(client, tickets, action, follow=True, **fields):
    data = {"ids": [t.pk for t in tickets], "action": action, "next": f"{LIST}?view=open", **fields}
    return client.post(URL, data, follow=follow)


def _messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def test_assign_to_me(agent_client, agent, team):
    tickets = [_ticket(team), _ticket(team)]

    response = _post(agent_client, tickets, "assign_me")

    assert response.redirect_chain[-1][0] == f"{LIST}?view=open"
    assert _messages(response) == ["2 updated"]
    assert {t.assignee_id for t in Ticket.objects.all()} == {agent.pk}
    assert TicketEvent.objects.filter(kind=TicketEvent.Kind.ASSIGNEE, actor=agent).count() == 2


def test_assign_to_an_agent_outside_the_team_is_reported_per_ticket(agent_client, agent, team):
    colleague = AgentFactory()
    team.members.add(colleague)
    ours = _ticket(team)
    unowned = _ticket(None)
    elsewhere_team = TeamFactory(members=[agent])
    theirs = _ticket(elsewhere_team)

    response = _post(agent_client, [ours, unowned, theirs], "assign_agent", to_agent=colleague.pk)

    assert Ticket.objects.get(pk=ours.pk).assignee == colleague
    assert Ticket.objects.get(pk=unowned.pk).assignee == colleague
    assert Ticket.objects.get(pk=theirs.pk).assignee is None
    [message] = _messages(response)
    assert message.startswith(f"2 updated, 1 could not: #{theirs.pk} ")
    assert "not a member of team" in message


def test_move_to_a_team(agent_client, team):
    other = TeamFactory()
    tickets = [_ticket(team), _ticket(team)]

    _post(agent_client, tickets, "assign_team", to_team=other.pk)

    assert set(Ticket.objects.values_list("team_id", flat=True)) == {other.pk}


def test_change_status_reports_tickets_that_cannot_move(agent_client, agent, team):
    open_one, closed = _ticket(team), _ticket(team)
    services.ticket_change_status(ticket=closed, status=Status.SOLVED, actor=agent)
    services.ticket_change_status(ticket=closed, status=Status.CLOSED, actor=agent)

    response = _post(agent_client, [open_one, closed], "status", to_status="pending")

    assert response.status_code == 200
    assert Ticket.objects.get(pk=open_one.pk).status == Status.PENDING
    assert Ticket.objects.get(pk=closed.pk).status == Status.CLOSED
    assert _messages(response) == [f"1 updated, 1 could not: #{closed.pk} A Closed ticket cannot become Pending."]


def test_change_priority(agent_client, team):
    tickets = [_ticket(team), _ticket(team)]

    _post(agent_client, tickets, "priority", to_priority="urgent")

    assert set(Ticket.objects.values_list("priority", flat=True)) == {"urgent"}


def test_add_a_tag_keeps_the_tags_already_there(agent_client, team):
    tagged, plain = _ticket(team, tags=["billing"]), _ticket(team)

    _post(agent_client, [tagged, plain], "add_tag", to_tag="VIP customer")

    assert sorted(Ticket.objects.get(pk=tagged.pk).tags.values_list("name", flat=True)) == ["billing", "vip-customer"]
    assert list(Ticket.objects.get(pk=plain.pk).tags.values_list("name", flat=True)) == ["vip-customer"]


def test_merge_the_selected_into_one_of_them(agent_client, team):
    target, first, second = _ticket(team), _ticket(team), _ticket(team)

    response = _post(agent_client, [target, first, second], "merge", to_merge=f"#{target.pk}")

    assert set(Ticket.objects.filter(merged_into=target).values_list("pk", flat=True)) == {first.pk, second.pk}
    assert _messages(response) == ["2 updated"]


def test_merge_target_must_be_among_the_selected(agent_client, team):
    a, b, outsider = _ticket(team), _ticket(team), _ticket(team)

    response = _post(agent_client, [a, b], "merge", to_merge=outsider.pk)

    assert not Ticket.objects.filter(merged_into__isnull=False).exists()
    assert _messages(response) == ["Choose one of the selected tickets to merge into."]


def test_tickets_the_user_cannot_see_are_ignored(agent_client, team):
    mine = _ticket(team)
    hidden = _ticket(TeamFactory())

    response = _post(agent_client, [mine, hidden], "priority", to_priority="high")

    assert Ticket.objects.get(pk=mine.pk).priority == "high"
    assert Ticket.objects.get(pk=hidden.pk).priority == "normal"
    assert _messages(response) == ["1 updated"]


def test_nothing_selected_or_a_bad_action_is_an_error_not_a_crash(agent_client, team):
    ticket = _ticket(team)

    assert _messages(_post(agent_client, [], "assign_me")) == ["Select at least one ticket."]
    assert _messages(_post(agent_client, [ticket], "explode")) == ["Choose an action."]
    assert _messages(_post(agent_client, [ticket], "status", to_status="bogus")) == ["Choose a status."]
    assert _messages(_post(agent_client, [ticket], "assign_agent", to_agent="x")) == ["Choose an agent."]
    response = agent_client.post(URL, {"ids": ["1", "abc", "9" * 40], "action": "assign_me"})
    assert response.status_code == 302


def test_it_goes_back_to_the_queue_only_on_this_site(agent_client, team):
    response = _post(agent_client, [_ticket(team)], "assign_me", follow=False, next="https://evil.example/")

    assert response.url == LIST


def test_csrf_is_required(agent, team):
    client = Client(enforce_csrf_checks=True)
    client.force_login(agent)
    ticket = _ticket(team)

    response = client.post(URL, {"ids": [ticket.pk], "action": "priority", "to_priority": "urgent"})

    assert response.status_code == 403
    assert Ticket.objects.get(pk=ticket.pk).priority == "normal"


def test_customers_and_anonymous_visitors_are_refused(client, team):
    ticket = _ticket(team)

    anonymous = client.post(URL, {"ids": [ticket.pk], "action": "priority", "to_priority": "urgent"})
    client.force_login(PortalCustomerFactory().user)
    customer = client.post(URL, {"ids": [ticket.pk], "action": "priority", "to_priority": "urgent"})

    assert anonymous.status_code == 302 and anonymous.url.startswith(reverse("login"))
    assert customer.status_code == 403
    assert Ticket.objects.get(pk=ticket.pk).priority == "normal"


def test_the_list_has_a_checkbox_per_row_and_a_select_all(agent_client, team):
    tickets = [_ticket(team), _ticket(team)]

    text = agent_client.get(LIST).text

    assert 'class="select-all"' in text
    for ticket in tickets:
        assert f'name="ids" value="{ticket.pk}"' in text
    assert text.count('class="ticket-row"') == 2 and text.count('class="ticket-link"') == 2
