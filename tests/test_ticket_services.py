"""The domain layer's rules for tickets: transitions, stamps, reopen, channel switches, merges."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from tests.factories import AgentFactory, CustomerFactory, TeamFactory, TicketFactory
from tickets import services
from tickets.models import Channel, Message, Ticket, TicketEvent, TimeEntry

pytestmark = pytest.mark.django_db

Status = Ticket.Status
Direction = Message.Direction


def _new_ticket(channel=Channel.EMAIL, **kwargs):
    customer = kwargs.pop("customer", None) or CustomerFactory()
    return services.ticket_create(
        customer=customer, subject="Order 1042 never arrived", channel=channel, body_text="Where is it?", **kwargs
    )


def _reply(ticket, agent, channel=None, **kwargs):
    return services.message_add(
        ticket=ticket,
        channel=channel or ticket.current_channel,
        direction=Direction.OUTBOUND,
        body_text="We are on it.",
        author_agent=agent,
        **kwargs,
    )


def _customer_writes(ticket, channel=None):
    return services.message_add(
        ticket=ticket,
        channel=channel or ticket.current_channel,
        direction=Direction.INBOUND,
        body_text="Any news?",
        author_customer=ticket.customer,
    )


def test_create_opens_a_new_ticket_with_the_customer_message_and_a_created_event():
    ticket = _new_ticket(tags=["Shipping", "late order"])

    assert ticket.status == Status.NEW
    assert ticket.current_channel == Channel.EMAIL
    message = ticket.messages.get()
    assert message.direction == Direction.INBOUND
    assert message.author_customer == ticket.customer
    assert message.created_at == ticket.created_at
    assert list(ticket.events.values_list("kind", flat=True)) == [TicketEvent.Kind.CREATED]
    assert sorted(ticket.tags.values_list("name", flat=True)) == ["late-order", "shipping"]


def test_create_refuses_an_unknown_channel():
    with pytest.raises(ValidationError, match="Unknown channel"):
        services.ticket_create(customer=CustomerFactory(), subject="x", channel="pigeon")


def test_proactive_ticket_starts_with_an_outbound_message_from_the_agent():
    agent = AgentFactory()
    ticket = services.ticket_create(
        customer=CustomerFactory(),
        subject="Your card expires soon",
        channel=Channel.EMAIL,
        body_text="Please update it.",
        actor=agent,
        is_proactive=True,
    )
    message = ticket.messages.get()
    assert message.direction == Direction.OUTBOUND
    assert message.author_agent == agent
    assert ticket.is_proactive


def test_first_agent_reply_stamps_first_response_and_opens_the_ticket():
    ticket = _new_ticket()
    agent = AgentFactory()

    reply = _reply(ticket, agent)
    _reply(ticket, agent)

    ticket.refresh_from_db()
    assert ticket.first_response_at == reply.created_at
    assert ticket.status == Status.OPEN
    assert reply.delivery_status == Message.DeliveryStatus.QUEUED


def test_internal_notes_and_automatic_messages_are_not_a_first_response():
    ticket = _new_ticket()
    agent = AgentFactory()

    services.message_add(
        ticket=ticket, channel=Channel.EMAIL, direction=Direction.NOTE, body_text="VIP", author_agent=agent
    )
    services.message_add(
        ticket=ticket, channel=Channel.EMAIL, direction=Direction.OUTBOUND, body_text="We got it", is_automatic=True
    )

    ticket.refresh_from_db()
    assert ticket.first_response_at is None
    assert ticket.status == Status.NEW


def test_customer_reply_moves_a_pending_ticket_back_to_open():
    ticket = _new_ticket()
    services.ticket_change_status(ticket=ticket, status=Status.PENDING)

    _customer_writes(ticket)

    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN
    assert ticket.reopen_count == 0


def test_customer_reply_reopens_a_solved_ticket_and_counts_the_reopen():
    ticket = _new_ticket()
    services.ticket_change_status(ticket=ticket, status=Status.SOLVED)
    first_solve = ticket.first_solved_at

    _customer_writes(ticket)

    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN
    assert ticket.reopen_count == 1
    assert ticket.solved_at is None
    assert ticket.first_solved_at == first_solve

    services.ticket_change_status(ticket=ticket, status=Status.SOLVED)
    ticket.refresh_from_db()
    assert ticket.solved_at > first_solve
    assert ticket.first_solved_at == first_solve


def test_agent_reopening_a_solved_ticket_counts_as_a_reopen():
    ticket = _new_ticket()
    services.ticket_change_status(ticket=ticket, status=Status.SOLVED)

    services.ticket_change_status(ticket=ticket, status=Status.PENDING)

    assert ticket.reopen_count == 1
    assert ticket.solved_at is None


@pytest.mark.parametrize(
    ("start", "target"),
    [(Status.NEW, Status.CLOSED), (Status.OPEN, Status.NEW), (Status.OPEN, Status.CLOSED), (Status.PENDING, "lost")],
)
def test_invalid_status_transitions_are_refused_with_a_clear_error(start, target):
    ticket = TicketFactory(status=start)

    with pytest.raises(services.InvalidTransition):
        services.ticket_change_status(ticket=ticket, status=target)

    ticket.refresh_from_db()
    assert ticket.status == start
    assert not ticket.events.exists()


def test_closed_is_final():
    ticket = _new_ticket()
    services.ticket_change_status(ticket=ticket, status=Status.SOLVED)
    services.ticket_change_status(ticket=ticket, status=Status.CLOSED)

    assert ticket.closed_at is not None
    with pytest.raises(services.InvalidTransition, match="cannot become"):
        services.ticket_change_status(ticket=ticket, status=Status.OPEN)


def test_a_customer_message_on_a_closed_ticket_is_refused_but_a_note_is_kept():
    ticket = _new_ticket()
    services.ticket_change_status(ticket=ticket, status=Status.SOLVED)
    services.ticket_change_status(ticket=ticket, status=Status.CLOSED)

    with pytest.raises(services.TicketClosed):
        _customer_writes(ticket)
    services.message_add(
        ticket=ticket, channel=Channel.EMAIL, direction=Direction.NOTE, body_text="Customer called", author_agent=None
    )
    assert ticket.messages.count() == 2


def test_changing_to_the_same_status_records_nothing():
    ticket = _new_ticket()
    services.ticket_change_status(ticket=ticket, status=Status.NEW)
    assert ticket.events.count() == 1


def test_status_changes_are_audited_with_actor_and_values():
    ticket = _new_ticket()
    agent = AgentFactory()

    services.ticket_change_status(ticket=ticket, status=Status.ON_HOLD, actor=agent)

    event = ticket.events.get(kind=TicketEvent.Kind.STATUS)
    assert (event.actor, event.from_value, event.to_value) == (agent, "new", "on_hold")


def test_customer_writing_on_another_channel_is_a_channel_switch():
    ticket = _new_ticket(channel=Channel.CHAT)

    _customer_writes(ticket, channel=Channel.EMAIL)

    ticket.refresh_from_db()
    assert ticket.channel == Channel.CHAT
    assert ticket.current_channel == Channel.EMAIL
    assert ticket.channel_switch_count == 1
    event = ticket.events.get(kind=TicketEvent.Kind.CHANNEL_SWITCH)
    assert (event.from_value, event.to_value) == ("chat", "email")


def test_automatic_messages_and_notes_on_another_channel_do_not_switch_the_channel():
    ticket = _new_ticket(channel=Channel.CHAT)

    services.message_add(
        ticket=ticket, channel=Channel.EMAIL, direction=Direction.OUTBOUND, body_text="Rate us", is_automatic=True
    )
    services.message_add(ticket=ticket, channel=Channel.PHONE, direction=Direction.NOTE, body_text="note")

    ticket.refresh_from_db()
    assert ticket.current_channel == Channel.CHAT
    assert ticket.channel_switch_count == 0


def test_escalating_a_chat_to_email_switches_the_channel_once():
    ticket = _new_ticket(channel=Channel.CHAT)
    agent = AgentFactory()

    services.ticket_switch_channel(ticket=ticket, channel=Channel.EMAIL, actor=agent)
    services.ticket_switch_channel(ticket=ticket, channel=Channel.EMAIL, actor=agent)

    assert ticket.current_channel == Channel.EMAIL
    assert ticket.channel_switch_count == 1


def test_empty_messages_are_refused():
    ticket = _new_ticket()
    with pytest.raises(ValidationError, match="empty"):
        services.message_add(ticket=ticket, channel=Channel.EMAIL, direction=Direction.INBOUND, body_text="  ")


def test_outbound_message_cannot_have_a_customer_author():
    ticket = _new_ticket()
    with pytest.raises(ValidationError):
        services.message_add(
            ticket=ticket,
            channel=Channel.EMAIL,
            direction=Direction.OUTBOUND,
            body_text="hi",
            author_customer=ticket.customer,
        )


def test_the_same_external_message_delivered_twice_is_stored_once():
    ticket = _new_ticket()
    kwargs = {
        "ticket": ticket,
        "channel": Channel.EMAIL,
        "direction": Direction.INBOUND,
        "body_text": "Hello again",
        "author_customer": ticket.customer,
    }

    first, created_first = services.message_add_once(external_id="mailbox-1:<abc@example.com>", **kwargs)
    second, created_second = services.message_add_once(external_id="mailbox-1:<abc@example.com>", **kwargs)

    assert (created_first, created_second) == (True, False)
    assert first.pk == second.pk
    assert ticket.messages.count() == 2


def test_assigning_records_team_and_assignee_events():
    agent = AgentFactory()
    team = TeamFactory(members=[agent])
    ticket = _new_ticket()

    services.ticket_assign(ticket=ticket, team=team, assignee=agent, actor=agent)

    ticket.refresh_from_db()
    assert (ticket.team, ticket.assignee) == (team, agent)
    kinds = set(ticket.events.values_list("kind", flat=True))
    assert {TicketEvent.Kind.TEAM, TicketEvent.Kind.ASSIGNEE} <= kinds


def test_assigning_an_agent_outside_the_ticket_team_is_refused():
    team = TeamFactory(members=[AgentFactory()])
    outsider = AgentFactory()
    ticket = _new_ticket(team=team)

    with pytest.raises(ValidationError, match="not a member"):
        services.ticket_assign(ticket=ticket, assignee=outsider)
    ticket.refresh_from_db()
    assert ticket.assignee is None


def test_unassigning_keeps_the_team():
    agent = AgentFactory()
    team = TeamFactory(members=[agent])
    ticket = _new_ticket(team=team, assignee=agent)

    services.ticket_assign(ticket=ticket, assignee=None)

    ticket.refresh_from_db()
    assert ticket.assignee is None
    assert ticket.team == team


def test_priority_and_tags_changes_are_audited():
    ticket = _new_ticket()

    services.ticket_change_priority(ticket=ticket, priority=Ticket.Priority.URGENT)
    services.ticket_set_tags(ticket=ticket, tags=["refund", "VIP"])

    assert ticket.priority == Ticket.Priority.URGENT
    tags_event = ticket.events.get(kind=TicketEvent.Kind.TAGS)
    assert tags_event.to_value == "refund, vip"
    with pytest.raises(ValidationError):
        services.ticket_change_priority(ticket=ticket, priority="whenever")


def test_merge_moves_messages_time_and_tags_and_closes_the_source():
    agent = AgentFactory()
    customer = CustomerFactory()
    target = _new_ticket(customer=customer, tags=["billing"])
    source = _new_ticket(customer=customer, channel=Channel.CHAT, tags=["refund"])
    _reply(source, agent)
    services.time_entry_add(ticket=source, agent=agent, seconds=120, source=TimeEntry.Source.CHAT)

    services.ticket_merge(source=source, target=target, actor=agent)

    source.refresh_from_db()
    target.refresh_from_db()
    assert source.merged_into == target
    assert source.status == Status.CLOSED
    assert source.messages.count() == 0
    assert target.messages.count() == 3
    assert target.time_entries.get().seconds == 120
    assert sorted(target.tags.values_list("name", flat=True)) == ["billing", "refund"]
    assert target.first_response_at is not None
    assert source.events.filter(kind=TicketEvent.Kind.MERGED_INTO, to_value=str(target.pk)).exists()
    assert target.events.filter(kind=TicketEvent.Kind.MERGED_FROM, to_value=str(source.pk)).exists()


def test_merging_a_ticket_into_itself_is_refused():
    ticket = _new_ticket()
    with pytest.raises(services.InvalidMerge, match="itself"):
        services.ticket_merge(source=ticket, target=ticket)


def test_merging_into_a_merged_ticket_is_refused_and_names_the_surviving_ticket():
    a, b, c = _new_ticket(), _new_ticket(), _new_ticket()
    services.ticket_merge(source=b, target=a)

    with pytest.raises(services.InvalidMerge, match=f"#{a.pk}"):
        services.ticket_merge(source=c, target=b)
    with pytest.raises(services.InvalidMerge, match="already merged"):
        services.ticket_merge(source=b, target=c)


def test_a_message_for_a_merged_ticket_lands_on_the_ticket_it_was_merged_into():
    a, b = _new_ticket(), _new_ticket()
    services.ticket_merge(source=b, target=a)

    message = services.message_add(
        ticket=b, channel=Channel.EMAIL, direction=Direction.INBOUND, body_text="still there?", author_customer=None
    )

    assert message.ticket_id == a.pk


def test_status_of_a_merged_ticket_cannot_change():
    a, b = _new_ticket(), _new_ticket()
    services.ticket_merge(source=b, target=a)
    with pytest.raises(services.InvalidTransition, match="merged"):
        services.ticket_change_status(ticket=b, status=Status.OPEN)


def test_time_entries_need_positive_seconds():
    ticket = _new_ticket()
    with pytest.raises(ValidationError):
        services.time_entry_add(ticket=ticket, agent=AgentFactory(), seconds=0, source=TimeEntry.Source.MANUAL)


def test_close_solved_closes_only_tickets_solved_long_enough_ago():
    old = _new_ticket()
    recent = _new_ticket()
    services.ticket_change_status(ticket=old, status=Status.SOLVED, at=timezone.now() - timedelta(days=10))
    services.ticket_change_status(ticket=recent, status=Status.SOLVED)

    closed = services.tickets_close_solved(older_than=timezone.now() - timedelta(days=4))

    old.refresh_from_db()
    recent.refresh_from_db()
    assert closed == 1
    assert (old.status, recent.status) == (Status.CLOSED, Status.SOLVED)


def test_moving_a_ticket_to_another_team_unassigns_an_agent_who_is_not_in_it():
    agent = AgentFactory()
    billing, technical = TeamFactory(members=[agent]), TeamFactory()
    ticket = _new_ticket(team=billing, assignee=agent)

    services.ticket_assign(ticket=ticket, team=technical)

    ticket.refresh_from_db()
    assert (ticket.team, ticket.assignee) == (technical, None)
    assert ticket.events.filter(kind=TicketEvent.Kind.ASSIGNEE, to_value="").exists()


def test_hostile_html_is_sanitized_when_stored():
    ticket = _new_ticket()

    message = services.message_add(
        ticket=ticket,
        channel=Channel.EMAIL,
        direction=Direction.INBOUND,
        body_html=(
            '<p onclick="steal()">Hi <b>there</b></p><script>alert(1)</script>'
            '<a href="javascript:alert(2)">click</a><img src="x" onerror="alert(3)">'
            '<style>body{display:none}</style><a href="https://shop.example/order/7">order</a>'
        ),
        author_customer=ticket.customer,
    )

    html = message.body_html
    for hostile in ("script", "onclick", "onerror", "javascript:", "<style", "display:none"):
        assert hostile not in html
    assert "<b>there</b>" in html
    assert 'href="https://shop.example/order/7"' in html
    assert 'rel="noopener noreferrer nofollow"' in html


def test_a_long_tag_list_is_recorded_without_overflowing_the_audit_trail():
    ticket = _new_ticket()
    tags = [f"customer-segment-{n:03d}" for n in range(20)]  # about 460 characters joined

    services.ticket_set_tags(ticket=ticket, tags=tags)

    assert ticket.tags.count() == 20
    assert len(ticket.events.get(kind=TicketEvent.Kind.TAGS).to_value) <= 200
