"""Macros: rendering, the actions they apply through the domain layer, who may use and change them."""

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from tests.factories import AgentFactory, CustomerFactory, MacroFactory, ManagerFactory, TeamFactory
from tickets import macros, services
from tickets.models import Channel, Macro, Ticket, TicketEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def agent():
    return AgentFactory(username="sam", first_name="Sam", last_name="Agent")


@pytest.fixture
def team(agent):
    return TeamFactory(name="Billing", members=[agent])


@pytest.fixture
def ticket(team):
    return services.ticket_create(
        customer=CustomerFactory(name="Sara Karimi"),
        subject="Invoice shows the wrong amount",
        channel=Channel.EMAIL,
        body_text="Hello",
        team=team,
        tags=["billing"],
    )


# --- Rendering ----------------------------------------------------------------------------


def test_it_fills_the_known_placeholders(ticket, agent):
    body = "Hi {customer_name}, #{ticket_number} ({ticket_subject}) is on it. {agent_name}"

    text = macros.macro_render(body=body, ticket=ticket, agent=agent)

    assert text == f"Hi Sara Karimi, #{ticket.pk} (Invoice shows the wrong amount) is on it. Sam Agent"


def test_it_leaves_unknown_placeholders_and_stray_braces_alone(ticket, agent):
    body = "{greeting} {customer_name}! {0} {} {{customer_name}} {customer_name.__class__} {ticket_number!r} {"

    text = macros.macro_render(body=body, ticket=ticket, agent=agent)

    assert text == "{greeting} Sara Karimi! {0} {} {Sara Karimi} {customer_name.__class__} {ticket_number!r} {"


def test_values_that_look_like_placeholders_are_not_expanded_again(team, agent):
    hostile = services.ticket_create(
        customer=CustomerFactory(name="{agent_name} {ticket_subject} %s {0.__dict__}"),
        subject="{customer_name}",
        channel=Channel.EMAIL,
        team=team,
    )

    text = macros.macro_render(body="{customer_name} / {ticket_subject}", ticket=hostile, agent=agent)

    assert text == "{agent_name} {ticket_subject} %s {0.__dict__} / {customer_name}"


def test_an_agent_without_a_full_name_is_named_by_username(ticket):
    nameless = AgentFactory(username="kian", first_name="", last_name="")

    assert macros.macro_render(body="{agent_name}", ticket=ticket, agent=nameless) == "kian"


# --- Applying -----------------------------------------------------------------------------


def test_apply_changes_status_priority_team_and_adds_tags_with_events(ticket, agent):
    other_team = TeamFactory(name="Refunds")
    macro = MacroFactory(
        owner=agent,
        body="Thanks {customer_name}",
        set_status=Ticket.Status.PENDING,
        set_priority=Ticket.Priority.HIGH,
        set_team=other_team,
        add_tags="Refund, vip ,",
    )

    text = macros.macro_apply(macro=macro, ticket=ticket, agent=agent)

    assert text == "Thanks Sara Karimi"
    ticket.refresh_from_db()
    assert (ticket.status, ticket.priority, ticket.team) == ("pending", "high", other_team)
    assert sorted(ticket.tags.values_list("name", flat=True)) == ["billing", "refund", "vip"]
    events = {e.kind: e for e in TicketEvent.objects.filter(ticket=ticket, actor=agent)}
    assert events["status"].to_value == "pending"
    assert events["priority"].to_value == "high"
    assert events["team"].to_value == "Refunds"
    assert events["tags"].to_value == "billing, refund, vip"


def test_apply_of_a_text_only_macro_changes_nothing(ticket, agent):
    macro = MacroFactory(owner=None, body="Just text")
    events_before = TicketEvent.objects.filter(ticket=ticket).count()

    assert macros.macro_apply(macro=macro, ticket=ticket, agent=agent) == "Just text"
    assert TicketEvent.objects.filter(ticket=ticket).count() == events_before


def test_a_refused_status_change_rolls_back_the_other_actions(ticket, agent):
    services.ticket_change_status(ticket=ticket, status="solved", actor=agent)
    services.ticket_change_status(ticket=ticket, status="closed", actor=agent)
    macro = MacroFactory(owner=agent, set_priority="urgent", add_tags="late", set_status="open")

    with pytest.raises(services.InvalidTransition):
        macros.macro_apply(macro=macro, ticket=ticket, agent=agent)

    ticket.refresh_from_db()
    assert ticket.priority == "normal"
    assert list(ticket.tags.values_list("name", flat=True)) == ["billing"]


def test_nobody_applies_another_agents_personal_macro(ticket, agent):
    macro = MacroFactory(owner=AgentFactory())

    with pytest.raises(PermissionDenied):
        macros.macro_apply(macro=macro, ticket=ticket, agent=agent)


# --- Permissions --------------------------------------------------------------------------


def test_agents_see_their_own_and_shared_macros_only(agent):
    mine = MacroFactory(owner=agent, name="Mine")
    shared = MacroFactory(owner=None, name="Shared")
    MacroFactory(owner=AgentFactory(), name="Theirs")

    assert set(macros.macros_for_user(agent)) == {mine, shared}


def test_agents_edit_their_own_but_not_shared_macros(agent):
    mine = MacroFactory(owner=agent)
    shared = MacroFactory(owner=None)

    assert macros.macro_can_edit(user=agent, macro=mine)
    assert not macros.macro_can_edit(user=agent, macro=shared)
    with pytest.raises(PermissionDenied):
        macros.macro_update(macro=shared, actor=agent, name="Hijacked")
    with pytest.raises(PermissionDenied):
        macros.macro_delete(macro=shared, actor=agent)
    with pytest.raises(PermissionDenied):
        macros.macro_create(actor=agent, shared=True, name="Sneaky")


def test_managers_edit_shared_macros_but_not_an_agents_own(agent):
    manager = ManagerFactory()
    shared = macros.macro_create(actor=manager, shared=True, name="Refund done", body="Refunded.")
    personal = MacroFactory(owner=agent)

    macros.macro_update(macro=shared, actor=manager, name="Refund sent")

    assert shared.owner is None
    assert Macro.objects.get(pk=shared.pk).name == "Refund sent"
    assert not macros.macro_can_edit(user=manager, macro=personal)


# --- Pages --------------------------------------------------------------------------------


def test_the_macro_page_lists_own_and_shared_in_fixed_queries(client, agent, django_assert_max_num_queries):
    for n in range(5):
        MacroFactory(owner=agent, name=f"Mine {n}", set_team=TeamFactory())
        MacroFactory(owner=None, name=f"Shared {n}")
    MacroFactory(owner=AgentFactory(), name="Theirs")
    client.force_login(agent)

    # session, user, role, macros (with team and owner)
    with django_assert_max_num_queries(4):
        response = client.get(reverse("tickets:macros"))

    page = response.text
    assert "Mine 4" in page and "Shared 4" in page and "Theirs" not in page
    assert page.count(">Edit<") == 5


def test_an_agent_creates_edits_and_deletes_a_macro_by_the_pages(client, agent, team):
    client.force_login(agent)

    response = client.post(
        reverse("tickets:macro_create"),
        {"name": "Ask for invoice", "body": "Could you send the invoice, {customer_name}?", "set_status": "pending"},
    )
    assert response.status_code == 302
    macro = Macro.objects.get(name="Ask for invoice")
    assert macro.owner == agent and macro.set_status == "pending"

    client.post(reverse("tickets:macro_edit", args=[macro.pk]), {"name": "Ask again", "body": "x", "set_team": team.pk})
    macro.refresh_from_db()
    assert (macro.name, macro.set_team, macro.set_status) == ("Ask again", team, "")

    client.post(reverse("tickets:macro_delete", args=[macro.pk]))
    assert not Macro.objects.filter(pk=macro.pk).exists()


def test_an_agent_cannot_edit_a_shared_macro_by_the_pages(client, agent):
    shared = MacroFactory(owner=None, name="Shared")
    client.force_login(agent)

    assert client.get(reverse("tickets:macro_edit", args=[shared.pk])).status_code == 403
    assert client.post(reverse("tickets:macro_delete", args=[shared.pk])).status_code == 403
    assert client.post(reverse("tickets:macro_create"), {"name": "S", "shared": "on"}).status_code == 302
    assert Macro.objects.get(name="S").owner == agent  # the box is not offered to agents; ignored


def test_another_agents_macro_is_not_found(client, agent):
    theirs = MacroFactory(owner=AgentFactory())
    client.force_login(agent)

    assert client.get(reverse("tickets:macro_edit", args=[theirs.pk])).status_code == 404


def test_a_manager_creates_a_shared_macro(client):
    manager = ManagerFactory()
    client.force_login(manager)

    client.post(reverse("tickets:macro_create"), {"name": "Everyone", "body": "Hi", "shared": "on"})

    assert Macro.objects.get(name="Everyone").owner is None


def test_applying_from_the_ticket_page_returns_the_text_and_new_facts(client, agent, ticket):
    macro = MacroFactory(owner=None, body="Dear {customer_name}", set_priority="urgent")
    client.force_login(agent)

    response = client.post(reverse("tickets:macro_apply", args=[ticket.pk, macro.pk]))

    data = response.json()
    assert data["text"] == "Dear Sara Karimi"
    assert data["changed"] is True
    assert "Urgent" in data["facts"]
    ticket.refresh_from_db()
    assert ticket.priority == "urgent"


def test_applying_on_a_ticket_of_another_team_is_not_found(client, agent):
    other = services.ticket_create(
        customer=CustomerFactory(), subject="x", channel=Channel.EMAIL, team=TeamFactory(name="Elsewhere")
    )
    macro = MacroFactory(owner=None, set_priority="urgent")
    client.force_login(agent)

    assert client.post(reverse("tickets:macro_apply", args=[other.pk, macro.pk])).status_code == 404
    other.refresh_from_db()
    assert other.priority == "normal"


def test_a_refused_action_is_reported_to_the_picker(client, agent, ticket):
    services.ticket_change_status(ticket=ticket, status="solved", actor=agent)
    services.ticket_change_status(ticket=ticket, status="closed", actor=agent)
    macro = MacroFactory(owner=agent, set_status="open")
    client.force_login(agent)

    response = client.post(reverse("tickets:macro_apply", args=[ticket.pk, macro.pk]))

    assert response.status_code == 400
    assert "cannot become" in response.json()["error"]


def test_the_ticket_page_offers_the_macros_in_the_picker(client, agent, ticket):
    MacroFactory(owner=agent, name="Mine")
    MacroFactory(owner=None, name="Shared one")
    MacroFactory(owner=AgentFactory(), name="Theirs")
    client.force_login(agent)

    page = client.get(reverse("tickets:detail", args=[ticket.pk])).text

    assert 'id="macro-picker"' in page
    assert "Mine" in page and "Shared one" in page and "Theirs" not in page
