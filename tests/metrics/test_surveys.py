"""Satisfaction surveys: who is invited, when, on which channel and in which words; how answers are kept."""

from __future__ import annotations

import html
import re
import threading
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import IntegrityError, OperationalError, connection, connections, transaction
from django.utils import timezone, translation

from helpdesk.celery import app as celery_app
from metrics import surveys
from metrics.models import SurveyAnswer, SurveyInvitation, SurveyQuestion
from metrics.surveys import (
    SurveyLinkExpired,
    SurveyLinkInvalid,
    survey_answer_submit,
    survey_invitation_from_token,
    survey_invitation_send,
    survey_token,
)
from metrics.tasks import send_survey_invitation
from tests.factories import AgentFactory, SurveyAnswerFactory, SurveyInvitationFactory, TeamFactory
from tests.parts import missing
from tickets import services
from tickets.models import Channel, Message, Ticket

pytestmark = pytest.mark.django_db

Q = SurveyQuestion


@pytest.fixture(autouse=True)
def _base_url(settings):
    settings.HELPDESK_BASE_URL = "https://help.example.com"
    settings.HELPDESK_SURVEY_LINK_DAYS = 30


@pytest.fixture
def customer():
    return services.customer_create(name="Sara Karimi", identities=[("email", "sara@mail.example")])


def _ticket(customer, channel: str = Channel.EMAIL, **kwargs) -> Ticket:
    return services.ticket_create(
        customer=customer, subject="Invoice is wrong", channel=channel, body_text="It shows 3 items.", **kwargs
    )


def _solved(customer, channel: str = Channel.EMAIL, **kwargs) -> Ticket:
    """A solved ticket whose invitation has not gone out (the test runs in a transaction that never commits)."""
    ticket = _ticket(customer, channel, **kwargs)
    services.ticket_change_status(ticket=ticket, status=Ticket.Status.SOLVED)
    return ticket


def _survey_messages(ticket: Ticket):
    return Message.objects.filter(ticket=ticket, direction=Message.Direction.OUTBOUND, is_automatic=True)


def _links(body: str) -> list[tuple[str, int]]:
    """(question, score) of every score link in a message body, in order."""
    found = []
    for url in re.findall(r"https://help\.example\.com/survey/[^\s\"<]+", html.unescape(body)):
        query = parse_qs(urlsplit(url).query)
        found.append((query["q"][0], int(query["score"][0])))
    return found


ALL_SCORE_LINKS = (
    [("csat", score) for score in range(1, 6)]
    + [("ces", score) for score in range(1, 8)]
    + [("nps", score) for score in range(0, 11)]
)


# --- inviting ------------------------------------------------------------------------------------


def test_solving_a_ticket_invites_the_customer_once_the_solve_commits(customer, django_capture_on_commit_callbacks):
    ticket = _ticket(customer)

    with django_capture_on_commit_callbacks(execute=True):
        services.ticket_change_status(ticket=ticket, status=Ticket.Status.SOLVED)
        assert not SurveyInvitation.objects.exists()

    invitation = SurveyInvitation.objects.get()
    assert invitation.ticket == ticket
    assert invitation.customer == customer
    assert invitation.channel == Channel.EMAIL
    assert invitation.message == _survey_messages(ticket).get()
    assert invitation.expires_at == invitation.sent_at + timedelta(days=30)


def test_a_ticket_solved_reopened_and_solved_again_is_invited_once(customer, django_capture_on_commit_callbacks):
    ticket = _ticket(customer)
    with django_capture_on_commit_callbacks(execute=True):
        services.ticket_change_status(ticket=ticket, status=Ticket.Status.SOLVED)
    services.message_add(
        ticket=ticket,
        channel=Channel.EMAIL,
        direction=Message.Direction.INBOUND,
        body_text="Still wrong, sorry.",
        author_customer=customer,
    )
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.OPEN

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        services.ticket_change_status(ticket=ticket, status=Ticket.Status.SOLVED)

    assert callbacks, "the second solve enqueues the task too; the task itself sends nothing more"
    assert SurveyInvitation.objects.filter(ticket=ticket).count() == 1
    assert _survey_messages(ticket).count() == 1


def test_a_broker_that_is_down_does_not_undo_the_solve(customer, monkeypatch, django_capture_on_commit_callbacks):
    def broker_down(*args, **kwargs):
        raise ConnectionRefusedError("Connection refused")

    monkeypatch.setattr(send_survey_invitation, "delay", broker_down)
    ticket = _ticket(customer)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        services.ticket_change_status(ticket=ticket, status=Ticket.Status.SOLVED)

    # The survey's enqueue ran (and failed); the change log's webhook trigger may run beside it.
    assert [c for c in callbacks if "enqueue_survey_invitation" in c.__qualname__]
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.SOLVED
    assert not SurveyInvitation.objects.exists()


def test_sending_twice_returns_the_first_invitation_and_sends_nothing_more(customer):
    ticket = _solved(customer)

    first = survey_invitation_send(ticket=ticket)
    second = survey_invitation_send(ticket=ticket)

    assert first is not None
    assert second == first
    assert _survey_messages(ticket).count() == 1


def test_the_task_is_idempotent(customer):
    ticket = _solved(customer)

    send_survey_invitation.delay(ticket.pk)
    send_survey_invitation.delay(ticket.pk)

    assert SurveyInvitation.objects.count() == 1
    assert _survey_messages(ticket).count() == 1


def test_the_task_skips_a_ticket_that_no_longer_exists():
    assert send_survey_invitation.delay(999_999).get() == "skipped: no such ticket"


@pytest.fixture
def eager_like_a_worker():
    # With eager propagation Celery raises out of the task instead of retrying in place, as a worker does.
    celery_app.conf.task_eager_propagates = False
    yield
    celery_app.conf.task_eager_propagates = True


def test_the_task_retries_a_database_outage(customer, monkeypatch, eager_like_a_worker):
    ticket = _solved(customer)
    real_send = surveys.survey_invitation_send
    calls = []

    def flaky_send(*, ticket):
        calls.append(ticket.pk)
        if len(calls) == 1:
            raise OperationalError("server closed the connection unexpectedly")
        return real_send(ticket=ticket)

    monkeypatch.setattr(surveys, "survey_invitation_send", flaky_send)

    result = send_survey_invitation.delay(ticket.pk).get()

    assert len(calls) == 2
    assert result == f"invitation {SurveyInvitation.objects.get().pk}"


def test_a_ticket_that_was_reopened_before_the_task_ran_gets_no_invitation(customer):
    ticket = _solved(customer)
    services.ticket_change_status(ticket=ticket, status=Ticket.Status.OPEN)

    assert survey_invitation_send(ticket=ticket) is None
    assert not SurveyInvitation.objects.exists()


def test_a_merged_ticket_is_surveyed_as_the_ticket_it_was_merged_into(customer):
    source, target = _ticket(customer), _solved(customer)
    services.ticket_merge(source=source, target=target)

    invitation = survey_invitation_send(ticket=source)

    assert invitation is not None
    assert invitation.ticket == target
    assert survey_invitation_send(ticket=target) == invitation


def test_a_chat_ticket_is_invited_in_the_chat(customer):
    ticket = _solved(customer, Channel.CHAT)

    invitation = survey_invitation_send(ticket=ticket)

    assert invitation.channel == Channel.CHAT
    assert invitation.message.channel == Channel.CHAT


def test_the_invitation_goes_on_the_customers_last_channel(customer):
    ticket = _ticket(customer, Channel.EMAIL)
    services.message_add(
        ticket=ticket,
        channel=Channel.CHAT,
        direction=Message.Direction.INBOUND,
        body_text="Writing from the chat now.",
        author_customer=customer,
    )
    services.ticket_change_status(ticket=ticket, status=Ticket.Status.SOLVED)

    invitation = survey_invitation_send(ticket=ticket)

    assert invitation.channel == Channel.CHAT
    assert invitation.message.channel == Channel.CHAT


def test_a_phone_ticket_is_invited_by_email_since_a_call_cannot_carry_a_link(customer):
    ticket = _solved(customer, Channel.PHONE)

    invitation = survey_invitation_send(ticket=ticket)

    assert invitation.channel == Channel.EMAIL
    ticket.refresh_from_db()
    assert ticket.current_channel == Channel.PHONE, "an automatic message does not switch the conversation"


def test_a_customer_without_an_email_address_is_not_invited_by_email():
    nobody = services.customer_create(name="No Address", identities=[("phone", "+98 912 345 6789")])

    assert survey_invitation_send(ticket=_solved(nobody, Channel.EMAIL)) is None
    assert survey_invitation_send(ticket=_solved(nobody, Channel.PHONE)) is None
    assert not SurveyInvitation.objects.exists()


def test_the_invitation_is_an_automatic_message_that_leaves_the_ticket_solved(customer):
    ticket = _solved(customer)

    message = survey_invitation_send(ticket=ticket).message

    assert message.is_automatic
    assert message.direction == Message.Direction.OUTBOUND
    assert message.delivery_status == Message.DeliveryStatus.QUEUED
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.SOLVED
    assert ticket.first_response_at is None, "a survey is not a reply by a person"


# --- which questions -----------------------------------------------------------------------------


def test_a_first_survey_asks_csat_ces_and_nps(customer):
    invitation = survey_invitation_send(ticket=_solved(customer))

    assert invitation.questions == ["csat", "ces", "nps"]


def test_nps_is_not_asked_again_within_90_days(customer):
    SurveyInvitationFactory(
        ticket=_solved(customer), asks_nps=True, sent_at=timezone.now() - timedelta(days=89, hours=23)
    )

    invitation = survey_invitation_send(ticket=_solved(customer))

    assert invitation.questions == ["csat", "ces"]


def test_nps_is_asked_again_after_90_days(customer):
    SurveyInvitationFactory(
        ticket=_solved(customer), asks_nps=True, sent_at=timezone.now() - timedelta(days=90, hours=1)
    )

    invitation = survey_invitation_send(ticket=_solved(customer))

    assert invitation.questions == ["csat", "ces", "nps"]


def test_a_recent_survey_without_nps_does_not_hold_nps_back(customer):
    SurveyInvitationFactory(ticket=_solved(customer), asks_nps=False, sent_at=timezone.now() - timedelta(days=3))

    assert survey_invitation_send(ticket=_solved(customer)).asks_nps


def test_nps_asked_of_a_customer_since_merged_into_this_one_counts(customer):
    other = services.customer_create(name="Sara K.", identities=[("email", "sara.k@mail.example")])
    SurveyInvitationFactory(ticket=_solved(other), asks_nps=True, sent_at=timezone.now() - timedelta(days=10))
    services.customer_merge(source=other, target=customer)

    assert not survey_invitation_send(ticket=_solved(customer)).asks_nps


def test_nps_of_another_customer_does_not_count(customer):
    other = services.customer_create(name="Omid", identities=[("email", "omid@mail.example")])
    SurveyInvitationFactory(ticket=_solved(other), asks_nps=True)

    assert survey_invitation_send(ticket=_solved(customer)).asks_nps


# --- the message ---------------------------------------------------------------------------------


def test_the_invitation_has_one_link_per_score_for_each_question_in_text_and_html(customer):
    ticket = _solved(customer)

    message = survey_invitation_send(ticket=ticket).message

    assert _links(message.body_html) == ALL_SCORE_LINKS
    assert _links(message.body_text) == ALL_SCORE_LINKS
    assert "How satisfied are you with the support you received?" in message.body_text
    assert "The company made it easy to handle my issue." in message.body_text
    assert "How likely are you to recommend us?" in message.body_text
    assert f"#{ticket.pk}" in message.body_text


def test_every_link_leads_to_the_invitation(customer):
    invitation = survey_invitation_send(ticket=_solved(customer))

    urls = re.findall(r'href="([^"]+)"', html.unescape(invitation.message.body_html))
    tokens = {urlsplit(url).path.removeprefix("/survey/").rstrip("/") for url in urls}
    assert len(tokens) == 1
    assert survey_invitation_from_token(token=tokens.pop()) == invitation


def test_without_nps_the_invitation_links_only_csat_and_ces(customer):
    SurveyInvitationFactory(ticket=_solved(customer), asks_nps=True)

    message = survey_invitation_send(ticket=_solved(customer)).message

    assert {question for question, _score in _links(message.body_html)} == {"csat", "ces"}
    assert "recommend" not in message.body_text


def test_the_invitation_is_written_in_the_customers_language(monkeypatch):
    persian = services.customer_create(name="سارا", locale="fa", identities=[("email", "sara.fa@mail.example")])
    english = services.customer_create(name="Sam", identities=[("email", "sam@mail.example")])
    languages = []
    real_render = surveys.render_to_string

    def recording_render(template_name, context=None, *args, **kwargs):
        languages.append(translation.get_language())
        return real_render(template_name, context, *args, **kwargs)

    monkeypatch.setattr(surveys, "render_to_string", recording_render)

    survey_invitation_send(ticket=_solved(persian))
    survey_invitation_send(ticket=_solved(english))

    assert languages == ["fa", "fa", "en", "en"]


def test_customer_text_in_the_html_invitation_is_escaped():
    customer = services.customer_create(name="<b>Eve</b>", identities=[("email", "eve@mail.example")])
    ticket = services.ticket_create(
        customer=customer, subject="<script>alert(1)</script> & co", channel=Channel.EMAIL, body_text="x"
    )
    services.ticket_change_status(ticket=ticket, status=Ticket.Status.SOLVED)

    message = survey_invitation_send(ticket=ticket).message

    assert "<script>" not in message.body_html
    assert "<b>Eve</b>" not in message.body_html
    assert "<script>alert(1)</script> & co" in message.body_text


@pytest.mark.parametrize("locale", ["fa", "ar"])
def test_links_survive_the_right_to_left_languages(locale):
    customer = services.customer_create(name="x", locale=locale, identities=[("email", f"{locale}@mail.example")])

    message = survey_invitation_send(ticket=_solved(customer)).message

    assert _links(message.body_html) == ALL_SCORE_LINKS


def test_an_email_invitation_reaches_the_customer_with_one_link_per_score(
    smtp_settings, smtp_server, customer, django_capture_on_commit_callbacks
):
    ticket = _ticket(customer)

    with django_capture_on_commit_callbacks(execute=True):
        services.ticket_change_status(ticket=ticket, status=Ticket.Status.SOLVED)

    [received] = smtp_server.received
    assert received.rcpt_tos == ["sara@mail.example"]
    email = received.parsed()
    assert email["Auto-Submitted"] == "auto-replied"
    html_part = email.get_body(preferencelist=("html",)).get_content()
    text_part = email.get_body(preferencelist=("plain",)).get_content()
    assert _links(html_part) == ALL_SCORE_LINKS
    assert _links(text_part) == ALL_SCORE_LINKS
    assert _survey_messages(ticket).get().delivery_status == Message.DeliveryStatus.SENT


# --- the signed link -----------------------------------------------------------------------------


def test_a_token_leads_back_to_its_invitation():
    invitation = SurveyInvitationFactory()

    assert survey_invitation_from_token(token=survey_token(invitation=invitation)) == invitation


@pytest.mark.parametrize(
    "token",
    [
        "",
        "garbage",
        "MQ:1tZ7Hx:forgedsignatureforgedsignatureforgedsig",
        signing.Signer().sign_object(1),  # signed by us, but not for surveys (no salt)
        signing.Signer(salt="another.purpose").sign_object(1),
        signing.dumps(1, salt=surveys.LINK_SALT),  # our salt, another format (with a timestamp)
        signing.Signer(salt=surveys.LINK_SALT).sign_object("1"),  # our salt, but not an invitation id
    ],
)
def test_a_forged_or_garbled_token_is_refused(token):
    SurveyInvitationFactory()

    with pytest.raises(SurveyLinkInvalid):
        survey_invitation_from_token(token=token)


def test_a_token_altered_by_one_character_is_refused():
    token = survey_token(invitation=SurveyInvitationFactory())
    altered = token[:-1] + ("A" if token[-1] != "A" else "B")

    with pytest.raises(SurveyLinkInvalid):
        survey_invitation_from_token(token=altered)


def test_a_token_of_a_deleted_invitation_is_refused():
    invitation = SurveyInvitationFactory()
    token = survey_token(invitation=invitation)
    invitation.delete()

    with pytest.raises(SurveyLinkInvalid):
        survey_invitation_from_token(token=token)


def test_an_expired_link_says_so():
    invitation = SurveyInvitationFactory(expires_at=timezone.now() - timedelta(seconds=1))

    with pytest.raises(SurveyLinkExpired) as caught:
        survey_invitation_from_token(token=survey_token(invitation=invitation))
    assert caught.value.invitation == invitation


def test_the_link_lasts_the_configured_days(settings, customer):
    settings.HELPDESK_SURVEY_LINK_DAYS = 7

    invitation = survey_invitation_send(ticket=_solved(customer))

    assert invitation.expires_at - invitation.sent_at == timedelta(days=7)
    assert "7 days" in invitation.message.body_text


# --- answering -----------------------------------------------------------------------------------


@pytest.fixture
def staffed_ticket(customer):
    agent = AgentFactory()
    team = TeamFactory(members=[agent])
    ticket = _ticket(customer, Channel.EMAIL, team=team, assignee=agent)
    services.ticket_change_status(ticket=ticket, status=Ticket.Status.SOLVED)
    return ticket


def test_an_answer_keeps_the_tickets_agent_team_and_channel_of_origin(customer, staffed_ticket):
    services.ticket_switch_channel(ticket=staffed_ticket, channel=Channel.CHAT)
    invitation = survey_invitation_send(ticket=staffed_ticket)

    [answer] = survey_answer_submit(invitation=invitation, answers={"csat": 4}, comment="Quick, thanks")

    assert invitation.channel == Channel.CHAT
    assert (answer.ticket, answer.customer, answer.invitation) == (staffed_ticket, customer, invitation)
    assert (answer.question, answer.score, answer.comment) == ("csat", 4, "Quick, thanks")
    assert answer.agent == staffed_ticket.assignee
    assert answer.team == staffed_ticket.team
    assert answer.channel == Channel.EMAIL, "the channel of origin, not where the survey went"


def test_a_second_submission_updates_the_answer_and_keeps_when_it_was_first_given(staffed_ticket):
    invitation = survey_invitation_send(ticket=staffed_ticket)
    [first] = survey_answer_submit(invitation=invitation, answers={"csat": 2}, comment="Slow")
    services.ticket_assign(ticket=staffed_ticket, assignee=None, team=None)

    [second] = survey_answer_submit(invitation=invitation, answers={"csat": 5}, comment="Actually fine")

    assert SurveyAnswer.objects.count() == 1
    stored = SurveyAnswer.objects.get()
    assert stored.pk == first.pk == second.pk
    assert (stored.score, stored.comment) == (5, "Actually fine")
    assert stored.answered_at == first.answered_at
    assert stored.updated_at > first.answered_at
    assert stored.agent is not None and stored.team is not None, "kept from the first answer"


def test_one_submission_stores_one_answer_per_question_and_the_comment_once(staffed_ticket):
    invitation = survey_invitation_send(ticket=staffed_ticket)

    survey_answer_submit(invitation=invitation, answers={"nps": 9, "csat": 5, "ces": 6}, comment="Great")

    stored = {answer.question: (answer.score, answer.comment) for answer in SurveyAnswer.objects.all()}
    assert stored == {"csat": (5, "Great"), "ces": (6, ""), "nps": (9, "")}


def test_questions_left_out_keep_their_earlier_answer(staffed_ticket):
    invitation = survey_invitation_send(ticket=staffed_ticket)
    survey_answer_submit(invitation=invitation, answers={"csat": 3, "ces": 4})

    survey_answer_submit(invitation=invitation, answers={"csat": 4})

    assert dict(SurveyAnswer.objects.values_list("question", "score")) == {"csat": 4, "ces": 4}


@pytest.mark.parametrize(
    ("answers", "code"),
    [
        ({"csat": 0}, "bad_score"),
        ({"csat": 6}, "bad_score"),
        ({"ces": 8}, "bad_score"),
        ({"nps": 11}, "bad_score"),
        ({"nps": -1}, "bad_score"),
        ({"csat": "4"}, "bad_score"),
        ({"csat": True}, "bad_score"),
        ({"mood": 3}, "bad_question"),
        ({}, "no_answer"),
    ],
)
def test_a_score_out_of_range_or_an_unknown_question_is_refused(staffed_ticket, answers, code):
    invitation = survey_invitation_send(ticket=staffed_ticket)

    with pytest.raises(ValidationError) as caught:
        survey_answer_submit(invitation=invitation, answers=answers)

    assert caught.value.code == code
    assert not SurveyAnswer.objects.exists()


def test_a_question_that_was_not_asked_cannot_be_answered(customer):
    SurveyInvitationFactory(ticket=_solved(customer), asks_nps=True)
    invitation = survey_invitation_send(ticket=_solved(customer))
    assert not invitation.asks_nps

    with pytest.raises(ValidationError) as caught:
        survey_answer_submit(invitation=invitation, answers={"csat": 5, "nps": 10})

    assert caught.value.code == "not_asked"
    assert "How likely are you to recommend us?" in caught.value.messages[0]
    assert not SurveyAnswer.objects.exists()


def test_an_expired_invitation_takes_no_answer():
    invitation = SurveyInvitationFactory(expires_at=timezone.now() - timedelta(minutes=1))

    with pytest.raises(ValidationError) as caught:
        survey_answer_submit(invitation=invitation, answers={"csat": 5})

    assert caught.value.code == "expired"


def test_a_very_long_comment_is_refused(staffed_ticket):
    invitation = survey_invitation_send(ticket=staffed_ticket)

    with pytest.raises(ValidationError) as caught:
        survey_answer_submit(invitation=invitation, answers={"csat": 5}, comment="x" * 5001)

    assert caught.value.code == "comment_too_long"


# --- what the database itself guarantees ----------------------------------------------------------


@pytest.mark.parametrize(
    ("question", "score"), [("csat", 0), ("csat", 6), ("ces", 0), ("ces", 8), ("nps", -1), ("nps", 11)]
)
def test_the_database_refuses_a_score_out_of_range(question, score):
    with pytest.raises(IntegrityError), transaction.atomic():
        SurveyAnswerFactory(question=question, score=score)


@pytest.mark.parametrize(("question", "score"), [("csat", 1), ("csat", 5), ("ces", 7), ("nps", 0), ("nps", 10)])
def test_the_database_takes_the_ends_of_each_scale(question, score):
    assert SurveyAnswerFactory(question=question, score=score).pk


def test_the_database_keeps_one_answer_per_ticket_and_question():
    answer = SurveyAnswerFactory(question=Q.CSAT)

    with pytest.raises(IntegrityError), transaction.atomic():
        SurveyAnswerFactory(invitation=answer.invitation, question=Q.CSAT)


def test_the_database_keeps_one_invitation_per_ticket():
    invitation = SurveyInvitationFactory()

    with pytest.raises(IntegrityError), transaction.atomic():
        SurveyInvitationFactory(ticket=invitation.ticket)


# --- races, on real PostgreSQL -------------------------------------------------------------------


def _in_threads(count: int, work) -> list:
    barrier = threading.Barrier(count)
    results: list = [None] * count

    def run(index: int) -> None:
        try:
            barrier.wait()
            results[index] = work(index)
        except Exception as error:  # the test inspects what each thread got
            results[index] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


@pytest.fixture
def _needs_postgresql():
    if connection.vendor != "postgresql":
        missing("needs PostgreSQL (set DATABASE_URL): SQLite runs one writer at a time, so there is no race")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_workers_sending_one_tickets_invitation_at_once_send_it_once(_needs_postgresql, customer):
    ticket = _solved(customer)
    SurveyInvitation.objects.all().delete()  # the solve committed and invited; start from none
    Message.objects.filter(ticket=ticket, is_automatic=True).delete()

    results = _in_threads(4, lambda i: survey_invitation_send(ticket=Ticket.objects.get(pk=ticket.pk)))

    assert not [r for r in results if isinstance(r, Exception)]
    assert len({invitation.pk for invitation in results}) == 1
    assert _survey_messages(ticket).count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_page_submitted_twice_at_once_keeps_one_answer_per_question(_needs_postgresql, customer):
    invitation = SurveyInvitation.objects.get(ticket=_solved(customer))

    results = _in_threads(
        4, lambda i: survey_answer_submit(invitation=invitation, answers={"csat": 1 + i, "ces": 7}, comment=f"try {i}")
    )

    assert not [r for r in results if isinstance(r, Exception)]
    assert SurveyAnswer.objects.filter(question="csat").count() == 1
    assert SurveyAnswer.objects.filter(question="ces").count() == 1
