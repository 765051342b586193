"""Time spent: pings of an open ticket page add up in one entry, capped; hand entries by their owner."""

import threading
import uuid
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, connections
from django.urls import reverse
from django.utils import timezone

from tests.factories import AgentFactory, CustomerFactory, TeamFactory, TimeEntryFactory
from tests.parts import missing
from tickets import services, time_tracking
from tickets.models import Channel, TimeEntry

pytestmark = pytest.mark.django_db


@pytest.fixture
def agent():
    return AgentFactory(username="sam", first_name="Sam", last_name="Lee")


@pytest.fixture
def ticket(agent):
    team = TeamFactory(name="Billing", members=[agent])
    return services.ticket_create(customer=CustomerFactory(), subject="Refund", channel=Channel.EMAIL, team=team)


def _age(entry: TimeEntry, seconds: int) -> None:
    # Pretend the page has been open this long, so the wall-clock cap allows the pings.
    TimeEntry.objects.filter(pk=entry.pk).update(created_at=timezone.now() - timedelta(seconds=seconds))


# --- Pings --------------------------------------------------------------------------------


def test_pings_with_one_key_add_up_in_one_auto_entry(ticket, agent):
    key = uuid.uuid4()
    first = time_tracking.time_track_ping(ticket=ticket, agent=agent, tracking_key=key, seconds=30)
    _age(first, 120)

    time_tracking.time_track_ping(ticket=ticket, agent=agent, tracking_key=key, seconds=30)
    time_tracking.time_track_ping(ticket=ticket, agent=agent, tracking_key=key, seconds=25)

    entry = TimeEntry.objects.get()
    assert (entry.pk, entry.seconds, entry.source, entry.tracking_key) == (first.pk, 85, "auto", key)
    assert (entry.ticket, entry.agent) == (ticket, agent)


def test_another_page_load_is_another_entry(ticket, agent):
    time_tracking.time_track_ping(ticket=ticket, agent=agent, tracking_key=uuid.uuid4(), seconds=10)
    time_tracking.time_track_ping(ticket=ticket, agent=agent, tracking_key=uuid.uuid4(), seconds=10)

    assert TimeEntry.objects.count() == 2


def test_one_ping_adds_at_most_a_minute(ticket, agent):
    entry = time_tracking.time_track_ping(ticket=ticket, agent=agent, tracking_key=uuid.uuid4(), seconds=36_000)

    assert entry.seconds == time_tracking.MAX_PING_SECONDS


def test_many_fast_pings_cannot_outrun_the_clock(ticket, agent):
    key = uuid.uuid4()
    for _ in range(20):
        time_tracking.time_track_ping(ticket=ticket, agent=agent, tracking_key=key, seconds=60)

    # Created just now: the entry may hold its age (about 0 s) plus one ping.
    assert TimeEntry.objects.get().seconds <= time_tracking.MAX_PING_SECONDS + 1


def test_nothing_is_recorded_for_zero_or_negative_seconds(ticket, agent):
    assert time_tracking.time_track_ping(ticket=ticket, agent=agent, tracking_key=uuid.uuid4(), seconds=0) is None
    assert time_tracking.time_track_ping(ticket=ticket, agent=agent, tracking_key=uuid.uuid4(), seconds=-50) is None
    assert not TimeEntry.objects.exists()


def test_a_key_of_another_agent_is_refused(ticket, agent):
    key = uuid.uuid4()
    time_tracking.time_track_ping(ticket=ticket, agent=agent, tracking_key=key, seconds=10)
    other = AgentFactory()
    ticket.team.members.add(other)

    with pytest.raises(PermissionDenied):
        time_tracking.time_track_ping(ticket=ticket, agent=other, tracking_key=key, seconds=10)
    assert TimeEntry.objects.get().seconds == 10


def test_the_ping_endpoint_records_time_and_answers_the_total(client, ticket, agent):
    TimeEntryFactory(ticket=ticket, agent=agent, seconds=3600)
    client.force_login(agent)

    response = client.post(
        reverse("tickets:time_ping", args=[ticket.pk]), {"tracking_key": str(uuid.uuid4()), "seconds": "45"}
    )

    assert response.json() == {"total_seconds": 3645, "total": "1:01"}
    assert TimeEntry.objects.filter(source="auto").get().seconds == 45


def test_the_ping_endpoint_refuses_nonsense(client, ticket, agent):
    client.force_login(agent)
    url = reverse("tickets:time_ping", args=[ticket.pk])

    assert client.post(url, {"tracking_key": "nope", "seconds": "10"}).status_code == 400
    assert client.post(url, {"tracking_key": str(uuid.uuid4()), "seconds": "ten"}).status_code == 400
    assert not TimeEntry.objects.exists()


def test_a_ticket_of_another_team_is_not_found(client, ticket):
    outsider = AgentFactory(username="omid")
    TeamFactory(name="Shipping", members=[outsider])
    client.force_login(outsider)

    response = client.post(
        reverse("tickets:time_ping", args=[ticket.pk]), {"tracking_key": str(uuid.uuid4()), "seconds": "30"}
    )

    assert response.status_code == 404
    assert not TimeEntry.objects.exists()


# --- Hand entries -------------------------------------------------------------------------


def test_an_agent_adds_time_by_hand(client, ticket, agent):
    client.force_login(agent)

    response = client.post(reverse("tickets:time_add", args=[ticket.pk]), {"minutes": "15", "note": "Phone call"})

    assert response.status_code == 302
    entry = TimeEntry.objects.get()
    assert (entry.seconds, entry.source, entry.note, entry.agent) == (900, "manual", "Phone call", agent)


def test_hand_entries_are_bounded(client, ticket, agent):
    client.force_login(agent)

    client.post(reverse("tickets:time_add", args=[ticket.pk]), {"minutes": "0"})
    client.post(reverse("tickets:time_add", args=[ticket.pk]), {"minutes": "100000"})

    assert not TimeEntry.objects.exists()
    with pytest.raises(ValidationError):
        time_tracking.time_manual_add(ticket=ticket, agent=agent, seconds=25 * 3600)


def test_an_agent_corrects_and_deletes_their_own_hand_entry(client, ticket, agent):
    entry = TimeEntryFactory(ticket=ticket, agent=agent, seconds=600, source="manual")
    client.force_login(agent)

    client.post(reverse("tickets:time_edit", args=[ticket.pk, entry.pk]), {"minutes": "20", "note": "fixed"})
    entry.refresh_from_db()
    assert (entry.seconds, entry.note) == (1200, "fixed")

    client.post(reverse("tickets:time_delete", args=[ticket.pk, entry.pk]))
    assert not TimeEntry.objects.exists()


def test_nobody_changes_tracked_time_or_another_agents_entries(client, ticket, agent):
    colleague = AgentFactory()
    theirs = TimeEntryFactory(ticket=ticket, agent=colleague, seconds=600, source="manual")
    tracked = TimeEntryFactory(ticket=ticket, agent=agent, seconds=600, source="auto")
    client.force_login(agent)

    for entry in (theirs, tracked):
        edit = client.post(reverse("tickets:time_edit", args=[ticket.pk, entry.pk]), {"minutes": "1"})
        assert edit.status_code == 404
        assert client.post(reverse("tickets:time_delete", args=[ticket.pk, entry.pk])).status_code == 404
        with pytest.raises(PermissionDenied):
            time_tracking.time_manual_update(entry=entry, agent=agent, seconds=60)
        with pytest.raises(PermissionDenied):
            time_tracking.time_manual_delete(entry=entry, agent=agent)
    assert TimeEntry.objects.filter(seconds=600).count() == 2


def test_the_ticket_page_shows_the_total_and_the_entries_in_one_query(client, ticket, agent, django_assert_num_queries):
    for n in range(30):
        TimeEntryFactory(ticket=ticket, agent=AgentFactory(), seconds=60, note=f"entry {n}")
    TimeEntryFactory(ticket=ticket, agent=agent, seconds=30 * 60, source="manual", note="mine")
    client.force_login(agent)

    with django_assert_num_queries(1):
        summary = time_tracking.ticket_time_summary(ticket=ticket)
        assert [entry.agent.username for entry in summary.entries]
    page = client.get(reverse("tickets:detail", args=[ticket.pk])).text

    assert summary.total_seconds == 60 * 60 and len(summary.entries) == 20
    assert '<span id="time-total">1:00</span>' in page
    assert page.count(">Correct<") == 1  # only the agent's own hand entry


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_first_pings_racing_on_one_key_make_one_entry_and_lose_no_seconds(agent, ticket):
    if connection.vendor != "postgresql":
        missing("needs PostgreSQL (set DATABASE_URL): SQLite runs one writer at a time, so there is no race")
    key = uuid.uuid4()
    barrier = threading.Barrier(4)
    errors = []

    def ping() -> None:
        try:
            barrier.wait()
            time_tracking.time_track_ping(ticket=ticket, agent=agent, tracking_key=key, seconds=10)
        except Exception as error:  # reported below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=ping) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert TimeEntry.objects.get(tracking_key=key).seconds == 40
