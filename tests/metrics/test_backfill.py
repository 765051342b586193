"""manage.py metrics_backfill: stamps the tickets of a database made before the stamps, then rebuilds the rollups."""

from datetime import date, datetime
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.db.models import Sum

from metrics.models import DailyTicketStats, RollupWatermark
from metrics.rollups import rollups_refresh
from tests.factories import AgentFactory, CustomerFactory, TeamFactory
from tickets import services
from tickets.demo.hours import IRAN_WORKING_HOURS
from tickets.models import Holiday, Ticket

pytestmark = pytest.mark.django_db

TEHRAN = ZoneInfo("Asia/Tehran")
STAMPS = [
    "first_inbound_at",
    "first_response_at",
    "first_response_seconds",
    "first_response_business_seconds",
    "first_resolution_seconds",
    "first_resolution_business_seconds",
    "resolution_seconds",
    "resolution_business_seconds",
    "contact_count",
    "inbound_before_first_reply",
]
HOUR = 3600


def backfill(**options) -> str:
    out = StringIO()
    call_command("metrics_backfill", stdout=out, **options)
    return out.getvalue()


def stamps(tickets=None) -> dict[int, tuple]:
    tickets = Ticket.objects.all() if tickets is None else tickets
    return {pk: tuple(row) for pk, *row in tickets.order_by("pk").values_list("pk", *STAMPS)}


def forget_stamps() -> None:
    """What a database made before the stamps looks like after the migration added them."""
    counts = {"contact_count", "inbound_before_first_reply"}
    Ticket.objects.update(
        **{name: None for name in STAMPS if name not in counts and name != "first_response_at"},
        **dict.fromkeys(counts, 0),
    )


def tehran(day: str, time: str) -> datetime:
    return datetime.fromisoformat(f"{day}T{time}").replace(tzinfo=TEHRAN)


@pytest.fixture
def agent():
    return AgentFactory()


@pytest.fixture
def tehran_team(agent):
    Holiday.objects.create(date=date(2026, 3, 21), name="Nowruz")  # a Saturday
    return TeamFactory(time_zone="Asia/Tehran", working_hours=IRAN_WORKING_HOURS, members=[agent])


def reopened_email_ticket(team, agent) -> Ticket:
    """Opened on a Wednesday afternoon, answered after Friday and a holiday, solved, reopened, solved again."""
    customer = CustomerFactory()
    ticket = services.ticket_create(
        customer=customer,
        subject="Refund",
        channel="email",
        body_text="Where is my refund?",
        team=team,
        created_at=tehran("2026-03-18", "16:00"),  # Wednesday
    )
    for at, direction in (
        (tehran("2026-03-19", "09:00"), "inbound"),  # Thursday: a second message before any reply
        (tehran("2026-03-22", "09:00"), "outbound"),  # Sunday, after Friday and the Nowruz Saturday
    ):
        services.message_add(
            ticket=ticket,
            channel="email",
            direction=direction,
            body_text="…",
            author_customer=customer if direction == "inbound" else None,
            author_agent=agent if direction == "outbound" else None,
            created_at=at,
        )
    services.ticket_change_status(ticket=ticket, status="solved", actor=agent, at=tehran("2026-03-22", "10:30"))
    services.message_add(
        ticket=ticket,
        channel="email",
        direction="inbound",
        body_text="It is back.",
        author_customer=customer,
        created_at=tehran("2026-03-23", "09:00"),
    )
    services.message_add(
        ticket=ticket,
        channel="email",
        direction="outbound",
        body_text="Fixed again.",
        author_agent=agent,
        created_at=tehran("2026-03-23", "10:00"),
    )
    services.ticket_change_status(ticket=ticket, status="solved", actor=agent, at=tehran("2026-03-23", "11:00"))
    return ticket


def chat_ticket(team, agent) -> Ticket:
    """Three agent chat messages: two in one session, the third after more than 30 quiet minutes."""
    ticket = services.ticket_create(
        customer=CustomerFactory(),
        subject="Chat",
        channel="chat",
        body_text="Hi?",
        team=team,
        created_at=tehran("2026-03-17", "10:00"),  # Tuesday
    )
    for time in ("10:01", "10:05", "10:50"):
        services.message_add(
            ticket=ticket,
            channel="chat",
            direction="outbound",
            body_text="…",
            author_agent=agent,
            created_at=tehran("2026-03-17", time),
        )
    return ticket


def test_it_stamps_by_the_definitions_in_calendar_and_business_hours(tehran_team, agent):
    email = reopened_email_ticket(tehran_team, agent)
    chat = chat_ticket(tehran_team, agent)
    forget_stamps()

    backfill()

    email.refresh_from_db()
    assert email.first_inbound_at == tehran("2026-03-18", "16:00")
    assert email.first_response_at == tehran("2026-03-22", "09:00")
    # Wed 16-17, Thu 8-13, Fri off, Sat holiday, Sun 8-9.
    assert (email.first_response_seconds, email.first_response_business_seconds) == (89 * HOUR, 7 * HOUR)
    assert (email.first_resolution_seconds, email.first_resolution_business_seconds) == (90.5 * HOUR, 8.5 * HOUR)
    # To the latest solve, Monday 11:00: Wed 1 h, Thu 5 h, Sun 9 h, Mon 3 h.
    assert (email.resolution_seconds, email.resolution_business_seconds) == (115 * HOUR, 18 * HOUR)
    assert (email.contact_count, email.inbound_before_first_reply) == (2, 2)
    chat.refresh_from_db()
    assert (chat.first_response_seconds, chat.first_response_business_seconds) == (60, 60)
    assert (chat.contact_count, chat.inbound_before_first_reply) == (2, 1)
    assert chat.resolution_seconds is None and chat.first_resolution_seconds is None


def test_it_gives_the_stamps_the_services_wrote(tehran_team, agent):
    reopened_email_ticket(tehran_team, agent)
    chat_ticket(tehran_team, agent)
    stamped = stamps()
    forget_stamps()

    backfill()

    assert stamps() == stamped


def test_it_gives_the_stamps_the_demo_seeder_wrote():
    call_command("seed_demo", tickets=150, until="2025-06-01", stdout=StringIO())
    # A merged ticket keeps what message_add stamped on it; its messages now belong to another.
    unmerged = Ticket.objects.filter(merged_into__isnull=True)
    seeded = stamps(unmerged)
    forget_stamps()

    output = backfill(chunk=23)

    assert stamps(unmerged) == seeded
    assert "Restamped 150 tickets" in output and "Rebuilt the rollups" in output


def test_running_it_again_changes_nothing(tehran_team, agent):
    reopened_email_ticket(tehran_team, agent)
    chat_ticket(tehran_team, agent)
    backfill()
    first = stamps()
    rollups = sorted(DailyTicketStats.objects.values_list("day", "created", "first_response_sum", "resolution_sum"))

    backfill(chunk=1)

    assert stamps() == first
    assert sorted(DailyTicketStats.objects.values_list("day", "created", "first_response_sum", "resolution_sum")) == (
        rollups
    )


def test_it_rebuilds_the_rollups_from_the_new_stamps(tehran_team, agent):
    reopened_email_ticket(tehran_team, agent)
    forget_stamps()
    RollupWatermark.objects.all().delete()
    rollups_refresh()  # rollups of the unstamped tickets
    assert not DailyTicketStats.objects.aggregate(s=Sum("first_response_sum"))["s"]

    backfill()

    assert DailyTicketStats.objects.aggregate(s=Sum("first_response_sum"))["s"] == 89 * HOUR
    assert DailyTicketStats.objects.aggregate(s=Sum("resolution_business_sum"))["s"] == 18 * HOUR


def test_it_resumes_after_a_ticket_id_and_can_leave_the_rollups(tehran_team, agent):
    first = reopened_email_ticket(tehran_team, agent)
    second = reopened_email_ticket(tehran_team, agent)
    forget_stamps()

    output = backfill(after=first.pk, skip_rollups=True)

    first.refresh_from_db()
    second.refresh_from_db()
    assert first.first_response_seconds is None
    assert second.first_response_seconds == 89 * HOUR
    assert "Restamped 1 tickets" in output and "Rebuilt the rollups" not in output
    assert not RollupWatermark.objects.exists()


def test_it_refuses_a_chunk_of_nothing():
    with pytest.raises(Exception, match="--chunk"):
        backfill(chunk=0)
