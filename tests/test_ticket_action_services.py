"""Acting on a ticket: replies, notes and mentions, splitting, links and followers (tickets.services)."""

import pytest
from django.core.exceptions import ValidationError

from tests.factories import AgentFactory, CustomerFactory, ManagerFactory, TeamFactory, UserFactory
from tickets import services
from tickets.models import Channel, Message, Ticket, TicketEvent, TicketFollower, TicketLink

pytestmark = pytest.mark.django_db

Status = Ticket.Status
Direction = Message.Direction


@pytest.fixture
def agent():
    return AgentFactory(username="ava")


def _ticket(channel=Channel.EMAIL, **kwargs):
    return services.ticket_create(
        customer=kwargs.pop("customer", None) or CustomerFactory(),
        subject=kwargs.pop("subject", "Order 1042 never arrived"),
        channel=channel,
        body_text="Where is it?",
        **kwargs,
    )


def _customer_writes(ticket, text="Any news?", channel=None):
    return services.message_add(
        ticket=ticket,
        channel=channel or ticket.current_channel,
        direction=Direction.INBOUND,
        body_text=text,
        author_customer=ticket.customer,
    )


# --- Replies ------------------------------------------------------------------------------


def test_a_reply_goes_out_on_the_current_channel_queued_and_stamps_first_response(agent):
    ticket = _ticket(Channel.CHAT)

    reply = services.ticket_reply(ticket=ticket, agent=agent, body_text="  On its way.  ")

    assert (reply.channel, reply.direction, reply.author_agent) == (Channel.CHAT, Direction.OUTBOUND, agent)
    assert reply.body_text == "On its way."
    assert reply.delivery_status == Message.DeliveryStatus.QUEUED
    ticket.refresh_from_db()
    assert ticket.first_response_at == reply.created_at
    assert ticket.status == Status.OPEN


def test_a_reply_on_another_channel_the_agent_picked_switches_the_conversation(agent):
    ticket = _ticket(Channel.EMAIL)

    reply = services.ticket_reply(ticket=ticket, agent=agent, body_text="Let us chat.", channel=Channel.CHAT)

    assert reply.channel == Channel.CHAT
    ticket.refresh_from_db()
    assert ticket.current_channel == Channel.CHAT
    assert ticket.events.filter(kind=TicketEvent.Kind.CHANNEL_SWITCH).exists()


def test_a_logged_phone_call_is_an_outbound_phone_message_with_nothing_to_deliver(agent):
    ticket = _ticket(Channel.EMAIL)

    call = services.ticket_reply(ticket=ticket, agent=agent, body_text="Called her back.", channel=Channel.PHONE)

    call.refresh_from_db()
    assert (call.channel, call.direction) == (Channel.PHONE, Direction.OUTBOUND)
    assert call.delivery_status == Message.DeliveryStatus.SENT


def test_a_reply_cannot_go_out_on_a_channel_we_do_not_send_on(agent):
    ticket = _ticket(Channel.EMAIL)

    with pytest.raises(ValidationError, match="cannot go out"):
        services.ticket_reply(ticket=ticket, agent=agent, body_text="Hi", channel=Channel.SOCIAL)
    with pytest.raises(ValidationError, match="cannot go out"):
        services.ticket_reply(ticket=ticket, agent=agent, body_text="Hi", channel="pigeon")


def test_a_reply_on_a_portal_ticket_may_stay_on_the_portal(agent):
    ticket = _ticket(Channel.PORTAL)

    assert services.ticket_reply(ticket=ticket, agent=agent, body_text="Hi").channel == Channel.PORTAL


@pytest.mark.parametrize("status_after", [Status.PENDING, Status.SOLVED])
def test_a_reply_can_set_the_status_afterwards(agent, status_after):
    ticket = _ticket()

    services.ticket_reply(ticket=ticket, agent=agent, body_text="Done.", status_after=status_after)

    ticket.refresh_from_db()
    assert ticket.status == status_after
    statuses = list(ticket.events.filter(kind=TicketEvent.Kind.STATUS).values_list("from_value", "to_value"))
    assert statuses == [(Status.NEW, Status.OPEN), (Status.OPEN, status_after)]


def test_a_refused_status_change_stores_no_reply_either(agent):
    ticket = _ticket()
    services.ticket_change_status(ticket=ticket, status=Status.SOLVED)
    services.ticket_change_status(ticket=ticket, status=Status.CLOSED)

    with pytest.raises(ValidationError):
        services.ticket_reply(ticket=ticket, agent=agent, body_text="Late.", status_after=Status.PENDING)

    assert not ticket.messages.filter(direction=Direction.OUTBOUND).exists()


def test_a_reply_with_an_unknown_status_after_is_refused_before_anything_is_stored(agent):
    ticket = _ticket()

    with pytest.raises(ValidationError, match="Unknown status"):
        services.ticket_reply(ticket=ticket, agent=agent, body_text="Hi", status_after="gone")

    assert ticket.messages.count() == 1


def test_an_empty_reply_is_refused(agent):
    with pytest.raises(ValidationError, match="empty"):
        services.ticket_reply(ticket=_ticket(), agent=agent, body_text="   \n ")


def test_the_same_idempotency_key_stores_one_reply_and_changes_the_status_once(agent):
    ticket = _ticket()

    first = services.ticket_reply(
        ticket=ticket, agent=agent, body_text="Done.", status_after=Status.SOLVED, idempotency_key="k-1"
    )
    services.ticket_change_status(ticket=ticket, status=Status.OPEN, actor=agent)
    again = services.ticket_reply(
        ticket=ticket, agent=agent, body_text="Done.", status_after=Status.SOLVED, idempotency_key="k-1"
    )

    assert again.pk == first.pk
    assert first.external_id == "web:k-1"
    assert ticket.messages.filter(direction=Direction.OUTBOUND).count() == 1
    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN  # the retry did not solve it again


def test_different_keys_store_different_replies(agent):
    ticket = _ticket()

    services.ticket_reply(ticket=ticket, agent=agent, body_text="One.", idempotency_key="a")
    services.ticket_reply(ticket=ticket, agent=agent, body_text="Two.", idempotency_key="b")

    assert ticket.messages.filter(direction=Direction.OUTBOUND).count() == 2


def test_a_merged_ticket_takes_no_reply(agent):
    source, target = _ticket(), _ticket()
    services.ticket_merge(source=source, target=target)

    with pytest.raises(ValidationError, match="merged into"):
        services.ticket_reply(ticket=source, agent=agent, body_text="Hi")


# --- Notes and mentions -------------------------------------------------------------------


def test_a_note_is_internal_and_changes_neither_status_nor_first_response(agent):
    ticket = _ticket()

    note = services.note_add(ticket=ticket, agent=agent, body_text="VIP customer.")

    assert (note.direction, note.author_agent, note.delivery_status) == (Direction.NOTE, agent, "")
    ticket.refresh_from_db()
    assert ticket.status == Status.NEW
    assert ticket.first_response_at is None


def test_mentions_of_active_agent_side_users_are_kept_and_other_names_ignored(agent):
    bob = AgentFactory(username="bob")
    manager = ManagerFactory(username="mona.k")
    AgentFactory(username="gone", is_active=False)
    UserFactory(username="carol")  # no agent-side role
    ticket = _ticket()

    note = services.note_add(
        ticket=ticket,
        agent=agent,
        body_text="@Bob and @mona.k, please look. Not @gone, @carol or @nobody; mail sara@bob.example.",
    )

    assert set(note.mentions.all()) == {bob, manager}


def test_a_note_without_mentions_has_none(agent):
    note = services.note_add(ticket=_ticket(), agent=agent, body_text="Just a note.")

    assert not note.mentions.exists()


def test_the_same_note_key_stores_one_note(agent):
    ticket = _ticket()

    first = services.note_add(ticket=ticket, agent=agent, body_text="Once.", idempotency_key="n-1")
    again = services.note_add(ticket=ticket, agent=agent, body_text="Once.", idempotency_key="n-1")

    assert first.pk == again.pk
    assert ticket.messages.filter(direction=Direction.NOTE).count() == 1


def test_a_closed_ticket_still_takes_notes(agent):
    ticket = _ticket()
    services.ticket_change_status(ticket=ticket, status=Status.SOLVED)
    services.ticket_change_status(ticket=ticket, status=Status.CLOSED)

    assert services.note_add(ticket=ticket, agent=agent, body_text="For the record.").pk


# --- Split --------------------------------------------------------------------------------


def test_split_moves_one_customer_message_into_a_new_linked_ticket(agent):
    team = TeamFactory(members=[agent])
    ticket = _ticket(team=team, priority=Ticket.Priority.HIGH, subject="Order 1042")
    other_matter = _customer_writes(ticket, "Also, my password reset does not work.", channel=Channel.CHAT)

    new = services.ticket_split(message=other_matter, actor=agent)

    other_matter.refresh_from_db()
    assert other_matter.ticket == new
    assert ticket.messages.count() == 1
    assert new.subject == "Split: Order 1042"
    assert (new.customer, new.team, new.priority, new.channel) == (
        ticket.customer,
        team,
        Ticket.Priority.HIGH,
        Channel.CHAT,
    )
    assert new.status == Status.NEW
    assert new.created_at == other_matter.created_at
    assert ticket.events.filter(kind=TicketEvent.Kind.SPLIT, to_value=str(new.pk), actor=agent).exists()
    assert new.events.filter(kind=TicketEvent.Kind.SPLIT_FROM, to_value=str(ticket.pk)).exists()
    assert TicketLink.objects.filter(ticket=ticket, related=new).exists()


def test_only_customer_messages_can_be_split(agent):
    ticket = _ticket()
    reply = services.ticket_reply(ticket=ticket, agent=agent, body_text="Hi")

    with pytest.raises(ValidationError, match="Only a message from the customer"):
        services.ticket_split(message=reply, actor=agent)


def test_the_only_message_of_a_ticket_cannot_be_split(agent):
    ticket = _ticket()

    with pytest.raises(ValidationError, match="only message"):
        services.ticket_split(message=ticket.messages.get(), actor=agent)
    assert Ticket.objects.count() == 1


def test_a_message_already_split_off_is_not_split_again(agent):
    ticket = _ticket()
    message = _customer_writes(ticket)
    stale_copy = Message.objects.get(pk=message.pk)
    services.ticket_split(message=message, actor=agent)
    _customer_writes(ticket)

    with pytest.raises(ValidationError, match="moved"):
        services.ticket_split(message=stale_copy, actor=agent)


# --- Links --------------------------------------------------------------------------------


def test_linking_records_an_event_on_both_tickets(agent):
    ticket, related = _ticket(), _ticket()

    link = services.ticket_link(ticket=ticket, related=related, actor=agent)

    assert (link.ticket, link.related, link.created_by) == (ticket, related, agent)
    assert ticket.events.filter(kind=TicketEvent.Kind.LINKED, to_value=str(related.pk)).exists()
    assert related.events.filter(kind=TicketEvent.Kind.LINKED, to_value=str(ticket.pk)).exists()


def test_linking_twice_in_either_direction_is_a_no_op(agent):
    ticket, related = _ticket(), _ticket()
    link = services.ticket_link(ticket=ticket, related=related, actor=agent)

    assert services.ticket_link(ticket=ticket, related=related, actor=agent).pk == link.pk
    assert services.ticket_link(ticket=related, related=ticket, actor=agent).pk == link.pk
    assert TicketLink.objects.count() == 1
    assert TicketEvent.objects.filter(kind=TicketEvent.Kind.LINKED).count() == 2


def test_a_ticket_cannot_be_linked_to_itself(agent):
    ticket = _ticket()

    with pytest.raises(ValidationError, match="itself"):
        services.ticket_link(ticket=ticket, related=ticket, actor=agent)


def test_unlinking_removes_the_link_whichever_side_made_it(agent):
    ticket, related = _ticket(), _ticket()
    services.ticket_link(ticket=ticket, related=related, actor=agent)

    assert services.ticket_unlink(ticket=related, related=ticket, actor=agent) is True

    assert not TicketLink.objects.exists()
    assert ticket.events.filter(kind=TicketEvent.Kind.LINKED, from_value=str(related.pk), to_value="").exists()


def test_unlinking_tickets_that_are_not_linked_does_nothing(agent):
    ticket, related = _ticket(), _ticket()

    assert services.ticket_unlink(ticket=ticket, related=related, actor=agent) is False
    assert not TicketEvent.objects.filter(kind=TicketEvent.Kind.LINKED).exists()


# --- Followers ----------------------------------------------------------------------------


def test_following_twice_is_one_follower_and_unfollowing_twice_is_harmless(agent):
    ticket = _ticket()

    first = services.ticket_follow(ticket=ticket, user=agent)
    assert services.ticket_follow(ticket=ticket, user=agent).pk == first.pk
    assert TicketFollower.objects.filter(ticket=ticket).count() == 1

    services.ticket_unfollow(ticket=ticket, user=agent)
    services.ticket_unfollow(ticket=ticket, user=agent)
    assert not TicketFollower.objects.exists()
