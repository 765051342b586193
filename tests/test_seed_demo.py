"""manage.py seed_demo: how much it makes, that it is reproducible, and that its rows keep the domain's invariants."""

import hashlib
import random
import re
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from io import StringIO
from itertools import pairwise
from statistics import mean

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models import Count, F, Max, Min, Q
from django.test import TestCase

from metrics.models import CostSettings, DailyTicketStats, RollupWatermark, SurveyAnswer, SurveyInvitation
from metrics.surveys import NPS_EVERY, SurveyLinkExpired, survey_invitation_from_token
from tickets import services
from tickets.business_hours import Schedule, schedule_for_team
from tickets.demo.arrivals import period_before
from tickets.demo.bulk import BulkWriter, dangling_foreign_key
from tickets.demo.hours import IRAN_WORKING_HOURS, BusinessClock, iran_holidays
from tickets.demo.seeder import TABLES
from tickets.models import (
    Channel,
    Customer,
    CustomerIdentity,
    Holiday,
    Message,
    SlaPolicy,
    Team,
    Ticket,
    TicketEvent,
    TimeEntry,
)
from tickets.services.stamps import ticket_stamps_recompute

STAMPS = [
    "first_inbound_at",
    "first_response_at",
    "first_response_seconds",
    "first_response_business_seconds",
    "contact_count",
    "inbound_before_first_reply",
]

UNTIL = "2025-06-01"
START = datetime(2024, 6, 1, tzinfo=UTC)
END = datetime(2025, 6, 1, tzinfo=UTC)


def seed(tickets: int = 300, seed: int = 42, **options) -> str:
    out = StringIO()
    call_command("seed_demo", tickets=tickets, seed=seed, until=UNTIL, stdout=out, **options)
    return out.getvalue()


def digest() -> str:
    """A hash of every seeded row, ids and foreign keys included."""
    hasher = hashlib.sha256()
    for model in (
        Customer,
        CustomerIdentity,
        Ticket,
        Ticket.tags.through,
        Message,
        TicketEvent,
        TimeEntry,
        SurveyInvitation,
        SurveyAnswer,
    ):
        for row in model.objects.order_by("pk").values_list():
            hasher.update(repr(row).encode())
    return hasher.hexdigest()


def wipe() -> None:
    Ticket.objects.update(merged_into=None)
    Ticket.objects.all().delete()
    Customer.objects.all().delete()


@pytest.mark.django_db
def test_the_same_seed_and_until_give_identical_data():
    seed(tickets=120, seed=7)
    first = digest()
    wipe()

    seed(tickets=120, seed=7)

    assert digest() == first


@pytest.mark.django_db
def test_another_seed_gives_different_data():
    seed(tickets=120, seed=7)
    first = digest()
    wipe()

    seed(tickets=120, seed=8)

    assert digest() != first


@pytest.mark.django_db
def test_if_empty_leaves_a_database_with_tickets_alone():
    seed(tickets=30)
    before = digest()

    output = seed(tickets=300, if_empty=True)

    assert "nothing seeded" in output
    assert Ticket.objects.count() == 30
    assert digest() == before


@pytest.mark.django_db
def test_if_empty_seeds_an_empty_database():
    seed(tickets=30, if_empty=True)

    assert Ticket.objects.count() == 30


class TestSeededYear(TestCase):
    """One seeded set, made once for the class (and rolled back after it), read by every test."""

    TICKETS = 1000

    @classmethod
    def setUpTestData(cls):
        cls.output = seed(tickets=cls.TICKETS)

    def test_it_seeds_the_requested_number_of_tickets_on_every_channel_over_the_year_before_until(self):
        assert Ticket.objects.count() == self.TICKETS
        assert set(Ticket.objects.values_list("channel", flat=True)) == set(Channel.values)
        span = Ticket.objects.aggregate(first=Min("created_at"), last=Max("created_at"))
        assert span["first"] >= START and span["last"] < END
        assert not Message.objects.filter(Q(created_at__lt=START) | Q(created_at__gte=END)).exists()
        assert f"Seeded {self.TICKETS:,} tickets" in self.output and "tickets_message" in self.output

    def test_the_channel_mix_is_led_by_email_then_chat(self):
        mix = dict(Ticket.objects.values_list("channel").annotate(n=Count("pk")).values_list("channel", "n"))

        assert mix["email"] > mix["chat"] > mix["phone"] > mix["api"]
        assert 0.33 < mix["email"] / self.TICKETS < 0.47

    def test_first_response_at_is_the_first_public_agent_reply(self):
        first_replies = dict(
            Ticket.objects.annotate(
                reply=Min(
                    "messages__created_at", filter=Q(messages__direction="outbound", messages__is_automatic=False)
                )
            ).values_list("pk", "reply")
        )
        stamped = dict(Ticket.objects.values_list("pk", "first_response_at"))

        assert stamped == first_replies
        assert any(value is None for value in stamped.values())  # some are still unanswered

    def test_solved_at_is_set_exactly_when_solved_or_closed_after_a_solve(self):
        solves = Count("events", filter=Q(events__kind="status", events__to_value="solved"))
        tickets = Ticket.objects.annotate(solves=solves)
        for ticket in tickets:
            if ticket.status == "solved":
                assert ticket.solved_at is not None
            elif ticket.status == "closed":
                assert (ticket.solved_at is not None) == (ticket.solves > 0), ticket.pk
            else:
                assert ticket.solved_at is None, ticket.pk
            if ticket.solved_at:
                assert ticket.first_solved_at <= ticket.solved_at
        assert tickets.filter(status="closed", solved_at__isnull=True).exists()  # merged ones close unsolved

    def test_closed_at_is_set_exactly_when_closed(self):
        assert not Ticket.objects.filter(status="closed", closed_at__isnull=True).exists()
        assert not Ticket.objects.exclude(status="closed").filter(closed_at__isnull=False).exists()

    def test_reopen_count_equals_the_solved_to_open_events(self):
        reopens = Count("events", filter=Q(events__kind="status", events__from_value="solved", events__to_value="open"))
        rows = Ticket.objects.annotate(reopens=reopens).values_list("reopen_count", "reopens")

        assert all(count == events for count, events in rows)
        assert any(count > 0 for count, _events in rows)

    def test_channel_switches_match_their_events_and_the_current_channel(self):
        switches = defaultdict(list)
        events = TicketEvent.objects.filter(kind="channel_switch").order_by("created_at", "pk")
        for ticket_id, to_value in events.values_list("ticket_id", "to_value"):
            switches[ticket_id].append(to_value)

        for pk, channel, current, count in Ticket.objects.values_list(
            "pk", "channel", "current_channel", "channel_switch_count"
        ):
            assert count == len(switches[pk]), pk
            assert current == (switches[pk][-1] if switches[pk] else channel), pk
        assert {(e.from_value, e.to_value) for e in events} >= {("chat", "email"), ("phone", "email")}

    def test_later_messages_are_on_the_channel_switched_to(self):
        for ticket in Ticket.objects.filter(channel_switch_count__gt=0, merged_tickets__isnull=True):
            replies = ticket.messages.exclude(direction="note").filter(is_automatic=False)
            assert replies.order_by("created_at", "pk").last().channel == ticket.current_channel, ticket.pk

    def test_updated_at_is_never_before_the_last_message(self):
        tickets = Ticket.objects.annotate(last=Max("messages__created_at"))

        assert not tickets.filter(updated_at__lt=F("last")).exists()

    def test_message_authors_match_their_direction(self):
        inbound, others = Message.objects.filter(direction="inbound"), Message.objects.exclude(direction="inbound")

        assert not inbound.filter(Q(author_customer__isnull=True) | Q(author_agent__isnull=False)).exists()
        assert not others.filter(author_customer__isnull=False).exists()
        assert not others.filter(is_automatic=False, author_agent__isnull=True).exists()
        assert not others.filter(is_automatic=True, author_agent__isnull=False).exists()
        assert others.filter(is_automatic=True).exists() and others.filter(direction="note").exists()

    def test_email_messages_are_threaded(self):
        emails = Message.objects.filter(channel="email").exclude(direction="note")

        assert not emails.filter(email_message_id="").exists()
        assert emails.exclude(email_in_reply_to="").exists()
        assert not Message.objects.exclude(channel="email").exclude(email_message_id="").exists()

    def test_each_ticket_starts_with_its_created_event_and_first_message(self):
        tickets = Ticket.objects.annotate(
            created_events=Count("events", filter=Q(events__kind="created"), distinct=True),
            created_event_at=Min("events__created_at", filter=Q(events__kind="created")),
            first_message_at=Min("messages__created_at"),
        )
        for ticket in tickets:
            assert ticket.created_events == 1 and ticket.created_event_at == ticket.created_at, ticket.pk
            if ticket.merged_into_id is None:
                assert ticket.first_message_at == ticket.created_at, ticket.pk
            else:  # its messages moved to the ticket it was merged into
                assert ticket.first_message_at is None, ticket.pk

    def test_priority_events_match_the_ticket_priority(self):
        bumped = TicketEvent.objects.filter(kind="priority")

        assert bumped.exists()
        assert not bumped.exclude(ticket__priority=F("to_value")).exists()

    def test_merged_tickets_are_closed_and_point_at_an_unmerged_ticket(self):
        merged = Ticket.objects.filter(merged_into__isnull=False)

        assert merged.exists()
        assert not merged.exclude(status="closed").exists()
        assert not merged.filter(merged_into__merged_into__isnull=False).exists()
        assert merged.count() == TicketEvent.objects.filter(kind="merged_into").count()

    def test_statuses_follow_age(self):
        old = Ticket.objects.filter(created_at__lt=END - timedelta(days=60))
        recent = Ticket.objects.filter(created_at__gte=END - timedelta(days=3))

        assert old.filter(status__in=Ticket.DONE_STATUSES).count() >= 0.95 * old.count()
        assert recent.exists() and recent.filter(status__in=Ticket.OPEN_STATUSES).count() >= 0.25 * recent.count()
        assert old.filter(status="closed").count() > old.filter(status="solved").count()

    def test_time_entries_come_from_calls_chats_and_tracking(self):
        sources = set(TimeEntry.objects.values_list("source", flat=True))

        assert sources == {"call", "chat", "auto", "manual"}
        assert not TimeEntry.objects.filter(source="call").exclude(ticket__messages__channel="phone").exists()

    def test_one_customer_has_several_identity_kinds(self):
        kinds = Customer.objects.annotate(kinds=Count("identities__kind", distinct=True))

        assert kinds.filter(kinds__gte=3).exists()
        assert not kinds.filter(kinds=0).exists()
        assert kinds.filter(churned_at__isnull=False).exists()

    def test_phone_identities_are_e164(self):
        phones = list(CustomerIdentity.objects.filter(kind="phone").values_list("value", flat=True))

        assert all(re.fullmatch(r"\+[1-9]\d{9,13}", phone) for phone in phones)
        assert any(phone.startswith("+98") for phone in phones)

    def test_persian_and_arabic_text_is_present(self):
        bodies = " ".join(Message.objects.values_list("body_text", flat=True))
        names = " ".join(Customer.objects.values_list("name", flat=True))

        assert re.search(r"[پچژگ]", bodies) and re.search(r"[پچژگ]", names)  # letters only Persian uses
        assert re.search(r"[ةأإى]", bodies) and re.search(r"[ةأإى]", names)  # letters typical of Arabic
        assert set(Customer.objects.values_list("locale", flat=True)) == {"en", "fa", "ar"}

    # --- the stamps, as tickets.services.stamps would have written them ---

    def test_conversation_stamps_are_what_the_services_recompute_from_the_messages(self):
        # A merged ticket keeps the stamps of its own first message (ticket_merge leaves the source be).
        for ticket in Ticket.objects.filter(merged_into__isnull=True):
            seeded = {name: getattr(ticket, name) for name in STAMPS}
            ticket_stamps_recompute(ticket=ticket)
            assert {name: getattr(ticket, name) for name in STAMPS} == seeded, ticket.pk
        stamped = Ticket.objects.filter(merged_into__isnull=True)
        assert stamped.filter(contact_count__gte=2).exists() and stamped.filter(inbound_before_first_reply=2).exists()

    def test_resolution_stamps_run_from_creation_to_the_first_and_the_latest_solve(self):
        for ticket in Ticket.objects.all():
            schedule = schedule_for_team(ticket.team_id)
            for solved, calendar, business in (
                ("first_solved_at", "first_resolution_seconds", "first_resolution_business_seconds"),
                ("solved_at", "resolution_seconds", "resolution_business_seconds"),
            ):
                at = getattr(ticket, solved)
                if at is None:
                    assert getattr(ticket, calendar) is None and getattr(ticket, business) is None, ticket.pk
                else:
                    assert getattr(ticket, calendar) == (at - ticket.created_at).total_seconds(), ticket.pk
                    assert getattr(ticket, business) == schedule.seconds_between(ticket.created_at, at), ticket.pk
        assert Ticket.objects.filter(reopen_count__gt=0, solved_at__isnull=True).exists()  # reopened, not solved again

    def test_proactive_tickets_have_no_first_response_time(self):
        proactive = Ticket.objects.filter(is_proactive=True)

        assert proactive.exists()
        assert not proactive.filter(first_response_seconds__isnull=False).exists()

    def test_the_teams_work_an_iranian_week_with_holidays(self):
        teams = Team.objects.all()

        assert {team.time_zone for team in teams} == {"Asia/Tehran"}
        assert all(team.working_hours == IRAN_WORKING_HOURS for team in teams)
        assert {"2025-03-21", "2025-03-24", "2025-04-02"} <= {
            str(day) for day in Holiday.objects.values_list("date", flat=True)
        }
        assert teams.filter(cost_per_minute__isnull=False).exists()

    def test_the_cost_settings_are_set(self):
        settings_row = CostSettings.objects.get()

        assert settings_row.default_cost_per_minute == Decimal("1.60")
        # $400 a month per seeded agent (at least five): the overhead follows the size of the team.
        assert settings_row.monthly_overhead % Decimal("400") == 0
        assert settings_row.monthly_overhead >= Decimal("2000")

    def test_every_priority_has_sla_targets_and_the_tickets_carry_them(self):
        assert set(SlaPolicy.objects.values_list("priority", flat=True)) == {"low", "normal", "high", "urgent"}
        assert not Ticket.objects.filter(sla_resolution_target__isnull=True).exists()
        urgent = Ticket.objects.filter(priority="urgent").first()
        assert (urgent.sla_first_response_target, urgent.sla_resolution_target) == (30 * 60, 4 * 3600)

    def test_some_customers_churned(self):
        share = Customer.objects.filter(churned_at__isnull=False).count() / Customer.objects.count()

        assert 0.01 < share < 0.12

    # --- surveys ---

    def test_a_survey_invitation_goes_out_once_at_the_first_solve(self):
        invitations = SurveyInvitation.objects.select_related("ticket", "message")
        solved = Ticket.objects.filter(first_solved_at__isnull=False)

        assert invitations.count() >= 0.7 * solved.count()
        for invitation in invitations:
            ticket = invitation.ticket
            assert ticket.first_solved_at < invitation.sent_at < ticket.first_solved_at + timedelta(minutes=2)
            assert invitation.channel != "phone"
            assert invitation.message.is_automatic and invitation.message.created_at == invitation.sent_at
            assert invitation.message.ticket_id == ticket.pk
            assert invitation.expires_at == invitation.sent_at + timedelta(days=30)

    def test_the_survey_link_in_the_invitation_opens_its_survey(self):
        invitation = SurveyInvitation.objects.select_related("message").order_by("-sent_at").first()
        token = re.search(r"/survey/([^/\s]+)/", invitation.message.body_text).group(1)

        try:
            found = survey_invitation_from_token(token=token)
        except SurveyLinkExpired as expired:
            found = expired.invitation
        assert found == invitation

    def test_nps_is_asked_at_most_once_per_customer_in_90_days(self):
        asked = defaultdict(list)
        for customer, sent in SurveyInvitation.objects.filter(asks_nps=True).values_list("customer", "sent_at"):
            asked[customer].append(sent)

        assert asked
        for times in asked.values():
            times.sort()
            assert all(later - earlier >= NPS_EVERY for earlier, later in pairwise(times)), times
        assert SurveyInvitation.objects.filter(asks_nps=False).exists()

    def test_answers_keep_the_tickets_assignee_team_and_channel_and_come_after_the_invitation(self):
        answers = SurveyAnswer.objects.select_related("ticket", "invitation")

        assert answers.exists()
        for answer in answers:
            ticket = answer.ticket
            assert (answer.agent_id, answer.team_id, answer.channel) == (
                ticket.assignee_id,
                ticket.team_id,
                ticket.channel,
            )
            assert answer.invitation.sent_at < answer.answered_at <= answer.updated_at < answer.invitation.expires_at
            assert answer.question in answer.invitation.questions

    def test_scores_come_out_near_the_benchmarks(self):
        answers = SurveyAnswer.objects.all()
        csat = list(answers.filter(question="csat").values_list("score", flat=True))
        ces = list(answers.filter(question="ces").values_list("score", flat=True))
        nps = list(answers.filter(question="nps").values_list("score", flat=True))

        assert 0.75 < sum(score >= 4 for score in csat) / len(csat) < 0.95
        assert 4.9 < mean(ces) < 5.9
        assert 10 < 100 * (sum(score >= 9 for score in nps) - sum(score <= 6 for score in nps)) / len(nps) < 50
        assert answers.exclude(comment="").exists()

    def test_the_rollups_are_built(self):
        assert RollupWatermark.objects.exists()
        created = sum(DailyTicketStats.objects.values_list("created", flat=True))
        assert created == Ticket.objects.filter(merged_into__isnull=True).count()


# --- business hours, fast ---

TEHRAN_WEEK = Schedule.build(
    time_zone="Asia/Tehran",
    working_hours=IRAN_WORKING_HOURS,
    holidays=[day for day, _name in iran_holidays(date(2024, 1, 1), date(2026, 12, 31))],
)
BERLIN_WEEK = Schedule.build(  # a time zone with daylight saving time, and a split day
    time_zone="Europe/Berlin",
    working_hours={
        "mon": [["09:00", "12:00"], ["13:00", "17:30"]],
        "tue": [["00:00", "24:00"]],
        "fri": [["09:00", "17:00"]],
    },
    holidays=[date(2025, 3, 31)],
)


@pytest.mark.parametrize("schedule", [TEHRAN_WEEK, BERLIN_WEEK], ids=["tehran", "berlin"])
def test_the_business_clock_counts_as_the_schedule_does(schedule):
    period = period_before(date(2025, 6, 1))
    clock = BusinessClock.for_period(schedule, period)
    rng = random.Random(5)
    for _ in range(2000):
        start = rng.randrange(period.start_ts - 3 * 86_400, period.until_ts + 3 * 86_400)
        end = start + int(rng.expovariate(1 / (2 * 86_400)))
        expected = schedule.seconds_between(datetime.fromtimestamp(start, UTC), datetime.fromtimestamp(end, UTC))
        assert clock.between(start, end) == expected, (start, end)


def test_the_business_clock_skips_fridays_holidays_and_the_thursday_afternoon():
    clock = BusinessClock.for_period(TEHRAN_WEEK, period_before(date(2025, 6, 1)))

    def at(day: str, hour: int) -> int:
        return int(datetime.fromisoformat(f"{day}T{hour:02d}:00:00+03:30").timestamp())

    assert clock.between(at("2025-05-14", 16), at("2025-05-17", 9)) == 3600 + 5 * 3600 + 3600  # Wed, Thu, Sat
    # Wed 19 March 2025 is Oil Nationalization Day, Thursday a half day, Friday to Monday weekend and Nowruz.
    assert clock.between(at("2025-03-19", 8), at("2025-03-26", 8)) == 5 * 3600 + 9 * 3600


def test_nowruz_and_the_other_solar_holidays_fall_on_their_days():
    holidays = dict(iran_holidays(date(2025, 11, 23), date(2026, 11, 22)))

    assert [day for day, name in holidays.items() if name == "Nowruz"] == [date(2026, 3, d) for d in (21, 22, 23, 24)]
    assert holidays[date(2026, 2, 11)] == "Revolution Day"
    assert holidays[date(2026, 3, 20)] == "Oil Nationalization Day"
    assert holidays[date(2026, 6, 4)] == "Death of Ayatollah Khomeini"
    assert iran_holidays(date(2024, 3, 20), date(2024, 3, 20)) == [(date(2024, 3, 20), "Nowruz")]


@pytest.mark.django_db
def test_the_foreign_key_check_after_a_bulk_load_finds_a_dangling_reference():
    seed(tickets=30)
    first_ids = {Message: 1, TicketEvent: 1, Ticket: 1, Customer: 1}
    assert dangling_foreign_key(first_ids) is None
    message = Message.objects.order_by("pk").last()

    Message.objects.filter(pk=message.pk).update(ticket_id=10**9)

    assert dangling_foreign_key(first_ids) == f"tickets_message.ticket_id = {10**9} points at no tickets_ticket row"
    Message.objects.filter(pk=message.pk).update(ticket_id=message.ticket_id)  # the deferred FK check at teardown


def _indexes_of_loaded_tables() -> list[tuple[str, str]]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = ANY(%s) ORDER BY 1",
            [[model._meta.db_table for model, _columns in TABLES]],
        )
        return cursor.fetchall()


postgres_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="the one-transaction load is PostgreSQL's")


@postgres_only
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_fresh_postgres_database_is_loaded_in_one_go_and_gets_its_indexes_back():
    indexes = _indexes_of_loaded_tables()

    seed(tickets=200)

    assert Ticket.objects.count() == 200
    assert _indexes_of_loaded_tables() == indexes
    customer = Customer.objects.first()
    ticket = services.ticket_create(customer=customer, subject="After the seed", channel="email", body_text="Hello")
    assert ticket.pk == 201  # the sequences moved past the explicit ids


@postgres_only
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_failed_load_leaves_no_rows_and_every_index(monkeypatch):
    indexes = _indexes_of_loaded_tables()
    copy = BulkWriter._copy

    def fail_on_events(self, model, *args):
        if model is TicketEvent:
            raise RuntimeError("disk full")
        copy(self, model, *args)

    monkeypatch.setattr(BulkWriter, "_copy", fail_on_events)

    with pytest.raises(RuntimeError, match="disk full"):
        seed(tickets=200)

    assert not Ticket.objects.exists() and not Customer.objects.exists() and not Message.objects.exists()
    assert _indexes_of_loaded_tables() == indexes
