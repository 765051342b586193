"""The change log: every domain service records what it changed, in its own transaction, in commit order."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection, connections, transaction

from integrations.changes import START, LogPosition, change_record, changes_after
from integrations.models import Change, ChangeKind, SubjectType
from metrics.surveys import survey_answer_submit, survey_invitation_send
from tests.factories import AgentFactory, TeamFactory
from tests.parts import missing
from tickets import services
from tickets.models import Channel, Message, Ticket


@pytest.fixture
def customer(db):
    return services.customer_create(name="Sara Karimi", identities=[("email", "sara@mail.example")])


def _ticket(customer, **kwargs) -> Ticket:
    return services.ticket_create(
        customer=customer, subject="Invoice is wrong", channel=Channel.EMAIL, body_text="It shows 3 items.", **kwargs
    )


def _last_id() -> int:
    return Change.objects.order_by("-id").values_list("id", flat=True).first() or 0


def _recorded_since(last_id: int) -> list[tuple]:
    rows = Change.objects.filter(id__gt=last_id).order_by("id")
    return [(row.kind, row.subject_type, row.subject_id, row.changes) for row in rows]


@pytest.mark.django_db
def test_creating_a_customer_records_customer_created():
    customer = services.customer_create(name="Sara Karimi", identities=[("email", "sara@mail.example")])

    row = Change.objects.get()
    assert (row.kind, row.subject_type, row.subject_id, row.customer_id) == (
        ChangeKind.CUSTOMER_CREATED,
        SubjectType.CUSTOMER,
        customer.pk,
        customer.pk,
    )


def test_a_ticket_created_with_a_body_records_the_ticket_then_its_first_message(customer):
    last = _last_id()

    ticket = _ticket(customer)

    message = ticket.messages.get()
    assert _recorded_since(last) == [
        (ChangeKind.TICKET_CREATED, SubjectType.TICKET, ticket.pk, {}),
        (ChangeKind.MESSAGE_CREATED, SubjectType.MESSAGE, message.pk, {}),
    ]
    assert set(Change.objects.filter(id__gt=last).values_list("ticket_id", flat=True)) == {ticket.pk}


def test_a_status_change_records_ticket_updated_with_before_and_after(customer):
    ticket = _ticket(customer)
    agent = AgentFactory()
    last = _last_id()

    services.ticket_change_status(ticket=ticket, status=Ticket.Status.PENDING, actor=agent)

    assert _recorded_since(last) == [
        (ChangeKind.TICKET_UPDATED, SubjectType.TICKET, ticket.pk, {"status": ["new", "pending"]}),
    ]
    assert Change.objects.get(id__gt=last).actor_id == agent.pk


def test_an_assignment_records_the_team_and_the_assignee(customer):
    ticket = _ticket(customer)
    agent = AgentFactory()
    team = TeamFactory(members=[agent])
    last = _last_id()

    services.ticket_assign(ticket=ticket, team=team, assignee=agent, actor=agent)

    assert _recorded_since(last) == [
        (
            ChangeKind.TICKET_UPDATED,
            SubjectType.TICKET,
            ticket.pk,
            {"team": [None, team.pk], "assignee": [None, agent.pk]},
        ),
    ]


def test_a_merge_records_the_merged_ticket_the_target_and_every_moved_message(customer):
    source = _ticket(customer)
    services.message_add(
        ticket=source, channel=Channel.EMAIL, direction=Message.Direction.INBOUND, body_text="And another thing"
    )
    target = _ticket(customer)
    moved = list(source.messages.order_by("id").values_list("id", flat=True))
    last = _last_id()

    services.ticket_merge(source=source, target=target)

    assert _recorded_since(last) == [
        (
            ChangeKind.TICKET_MERGED,
            SubjectType.TICKET,
            source.pk,
            {"merged_into": [None, target.pk], "status": ["new", "closed"]},
        ),
        (ChangeKind.TICKET_UPDATED, SubjectType.TICKET, target.pk, {"merged_from": [None, source.pk]}),
        *[(ChangeKind.MESSAGE_UPDATED, SubjectType.MESSAGE, pk, {"ticket": [source.pk, target.pk]}) for pk in moved],
    ]


def test_a_customer_merge_records_the_merged_customer(customer):
    duplicate = services.customer_create(name="S. Karimi", identities=[("phone", "+989123456789")])
    ticket = _ticket(duplicate)
    last = _last_id()

    services.customer_merge(source=duplicate, target=customer)

    assert _recorded_since(last) == [
        (ChangeKind.CUSTOMER_MERGED, SubjectType.CUSTOMER, duplicate.pk, {"merged_into": [None, customer.pk]}),
        (ChangeKind.CUSTOMER_UPDATED, SubjectType.CUSTOMER, customer.pk, {"merged_from": [None, duplicate.pk]}),
        (ChangeKind.TICKET_UPDATED, SubjectType.TICKET, ticket.pk, {"customer": [duplicate.pk, customer.pk]}),
    ]


def test_a_survey_answer_records_survey_answered(customer, settings):
    settings.HELPDESK_BASE_URL = "https://help.example.com"
    ticket = _ticket(customer)
    services.ticket_change_status(ticket=ticket, status=Ticket.Status.SOLVED)
    invitation = survey_invitation_send(ticket=ticket)
    last = _last_id()

    [answer] = survey_answer_submit(invitation=invitation, answers={"csat": 4})

    assert _recorded_since(last) == [
        (ChangeKind.SURVEY_ANSWERED, SubjectType.SURVEY_ANSWER, answer.pk, {"score": [None, 4]}),
    ]
    assert Change.objects.get(id__gt=last).ticket_id == ticket.pk


def test_a_transaction_that_rolls_back_records_nothing(customer):
    last = _last_id()

    with pytest.raises(RuntimeError), transaction.atomic():
        ticket = _ticket(customer)
        services.ticket_change_status(ticket=ticket, status=Ticket.Status.PENDING)
        raise RuntimeError("the caller fails after the services ran")

    assert _recorded_since(last) == []


# --- reading in commit order, on PostgreSQL -----------------------------------------------------------


def _read_until(position: LogPosition, count: int) -> list[Change]:
    """Read from `position` until `count` changes came back.

    A transaction of another session on the same PostgreSQL server (another test run) holds the
    horizon back while it runs; the reader then simply gets the changes later.
    """
    deadline = time.monotonic() + 300
    while True:
        found, _after = changes_after(position, limit=100)
        if len(found) >= count or time.monotonic() > deadline:
            return found
        time.sleep(0.05)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_reader_stops_before_a_running_transaction_and_then_skips_nothing(real_horizon):
    if connection.vendor != "postgresql":
        missing("needs PostgreSQL (set DATABASE_URL): on SQLite writers commit one at a time")
    written, release = threading.Event(), threading.Event()
    failures: list[BaseException] = []

    def slow_writer() -> None:
        try:
            with transaction.atomic():
                change_record(kind=ChangeKind.TICKET_UPDATED, subject_type=SubjectType.TICKET, subject_id=1)
                written.set()
                release.wait(15)
        except BaseException as error:  # the test reports it
            failures.append(error)
        finally:
            connections.close_all()

    writer = threading.Thread(target=slow_writer)
    writer.start()
    try:
        assert written.wait(15)
        # A later transaction takes a higher id and commits first.
        change_record(kind=ChangeKind.TICKET_UPDATED, subject_type=SubjectType.TICKET, subject_id=2)
        assert Change.objects.filter(subject_id=2).exists()

        found, position = changes_after(START, limit=100)

        assert [(c.subject_id, c.txid) for c in found] == [], "reading it would move the reader past the running one"
        assert position == START
    finally:
        release.set()
        writer.join(15)
    assert not failures

    found = _read_until(position, 2)

    assert [change.subject_id for change in found] == [1, 2]
    assert changes_after(LogPosition(found[-1].txid, found[-1].pk), limit=100)[0] == []
