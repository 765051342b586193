"""The public survey page: opened from the signed link without a login, stores answers only when submitted."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from metrics.models import SurveyAnswer
from metrics.surveys import survey_invitation_send, survey_token
from tests.factories import AgentFactory, SurveyInvitationFactory, TeamFactory
from tickets import services
from tickets.models import Channel, Ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def customer():
    return services.customer_create(
        name="Sara Karimi",
        identities=[("email", "sara@mail.example"), ("phone", "+98 912 345 6789")],
        attributes={"plan": "Business"},
    )


@pytest.fixture
def invitation(customer):
    agent = AgentFactory()
    ticket = services.ticket_create(
        customer=customer,
        subject="Invoice is wrong",
        channel=Channel.EMAIL,
        body_text="It shows 3 items.",
        team=TeamFactory(members=[agent]),
        assignee=agent,
    )
    services.ticket_change_status(ticket=ticket, status=Ticket.Status.SOLVED)
    return survey_invitation_send(ticket=ticket)


def _url(invitation, **query) -> str:
    path = reverse("surveys:answer", args=[survey_token(invitation=invitation)])
    return f"{path}?{'&'.join(f'{k}={v}' for k, v in query.items())}" if query else path


def _checked(response) -> dict[str, str]:
    """The radio buttons checked on the page: question -> score."""
    html = response.content.decode()
    return dict(re.findall(r'<input type="radio" name="(\w+)" value="(\d+)" checked', html))


# --- opening the link ----------------------------------------------------------------------------


def test_the_clicked_score_is_chosen_on_the_page(client, invitation):
    response = client.get(_url(invitation, q="csat", score=4))

    assert response.status_code == 200
    assert _checked(response) == {"csat": "4"}
    page = response.content.decode()
    assert "How satisfied are you with the support you received?" in page
    assert "The company made it easy to handle my issue." in page
    assert "How likely are you to recommend us?" in page
    assert 'name="comment"' in page


def test_opening_a_link_stores_nothing(client, invitation):
    for question, score in [("csat", 1), ("ces", 7), ("nps", 0)]:
        assert client.get(_url(invitation, q=question, score=score)).status_code == 200
    client.get(_url(invitation, csat=5, ces=5, comment="from a GET"))

    assert not SurveyAnswer.objects.exists()


def test_the_page_needs_no_login_and_shows_the_ticket_number_and_subject_only(client, invitation):
    page = client.get(_url(invitation, q="csat", score=5)).content.decode()

    assert f"#{invitation.ticket_id}" in page
    assert "Invoice is wrong" in page
    for private in ["Sara Karimi", "sara@mail.example", "912", "Business", "It shows 3 items."]:
        assert private not in page


@pytest.mark.parametrize("query", [{"q": "csat", "score": 9}, {"q": "mood", "score": 3}, {"q": "csat", "score": "x"}])
def test_an_odd_clicked_score_just_opens_the_page(client, invitation, query):
    response = client.get(_url(invitation, **query))

    assert response.status_code == 200
    assert _checked(response) == {}


def test_a_question_not_asked_is_not_on_the_page(client, customer):
    SurveyInvitationFactory(ticket__customer=customer, asks_nps=True)
    ticket = services.ticket_create(customer=customer, subject="Second", channel=Channel.EMAIL, body_text="x")
    services.ticket_change_status(ticket=ticket, status=Ticket.Status.SOLVED)
    invitation = survey_invitation_send(ticket=ticket)

    response = client.get(_url(invitation, q="nps", score=10))

    assert "How likely are you to recommend us?" not in response.content.decode()
    assert _checked(response) == {}


def test_the_page_is_not_cached_and_not_indexed(client, invitation):
    response = client.get(_url(invitation))

    assert "no-cache" in response["Cache-Control"]
    assert 'name="robots" content="noindex' in response.content.decode()


def test_the_page_reads_few_queries(client, invitation, django_assert_max_num_queries):
    with django_assert_max_num_queries(3):
        client.get(_url(invitation, q="csat", score=4))


# --- submitting ----------------------------------------------------------------------------------


def test_submitting_stores_the_answer_and_shows_thanks(client, invitation):
    response = client.post(_url(invitation), {"csat": "4", "comment": "Quick and kind"}, follow=True)

    assert response.status_code == 200
    assert response.redirect_chain == [(reverse("surveys:thanks", args=[survey_token(invitation=invitation)]), 302)]
    assert "Thank you for your answer!" in response.content.decode()
    answer = SurveyAnswer.objects.get()
    assert (answer.question, answer.score, answer.comment) == ("csat", 4, "Quick and kind")
    assert answer.agent == invitation.ticket.assignee
    assert answer.team == invitation.ticket.team
    assert answer.channel == Channel.EMAIL


def test_all_questions_can_be_answered_at_once(client, invitation):
    client.post(_url(invitation), {"csat": "5", "ces": "7", "nps": "10", "comment": ""})

    assert dict(SurveyAnswer.objects.values_list("question", "score")) == {"csat": 5, "ces": 7, "nps": 10}


def test_submitting_again_updates_the_answer(client, invitation):
    client.post(_url(invitation), {"csat": "2", "comment": "Slow"})

    client.post(_url(invitation), {"csat": "5", "comment": "Sorted out after all"})

    answer = SurveyAnswer.objects.get()
    assert (answer.score, answer.comment) == (5, "Sorted out after all")
    assert answer.updated_at > answer.answered_at


def test_the_page_opened_again_shows_the_earlier_answer_to_change_it(client, invitation):
    client.post(_url(invitation), {"csat": "3", "ces": "5", "comment": "Okay"})

    response = client.get(_url(invitation))

    assert _checked(response) == {"csat": "3", "ces": "5"}
    assert ">Okay</textarea>" in response.content.decode()


def test_a_newly_clicked_score_wins_over_the_earlier_answer(client, invitation):
    client.post(_url(invitation), {"csat": "3"})

    assert _checked(client.get(_url(invitation, q="csat", score=5))) == {"csat": "5"}


def test_the_thanks_page_links_back_to_change_the_answer(client, invitation):
    response = client.get(reverse("surveys:thanks", args=[survey_token(invitation=invitation)]))

    assert response.status_code == 200
    assert f'href="{_url(invitation)}"' in response.content.decode()


def test_submitting_needs_the_pages_csrf_token(invitation):
    csrf_client = Client(enforce_csrf_checks=True)

    response = csrf_client.post(_url(invitation), {"csat": "1"})

    assert response.status_code == 403
    assert not SurveyAnswer.objects.exists()


def test_the_page_submits_with_its_own_csrf_token(invitation):
    csrf_client = Client(enforce_csrf_checks=True)
    page = csrf_client.get(_url(invitation, q="csat", score=4)).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)

    response = csrf_client.post(_url(invitation), {"csrfmiddlewaretoken": token, "csat": "4"})

    assert response.status_code == 302
    assert SurveyAnswer.objects.get().score == 4


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"comment": "no score"}, "Choose a score for at least one question."),
        ({"csat": "9"}, "takes a score from 1 to 5"),
        ({"ces": "0"}, "takes a score from 1 to 7"),
        ({"csat": "four"}, "Choose a score from the list."),
    ],
)
def test_a_submission_without_a_valid_score_is_shown_again_with_the_reason(client, invitation, data, message):
    response = client.post(_url(invitation), data)

    assert response.status_code == 400
    assert message in response.content.decode()
    assert not SurveyAnswer.objects.exists()


def test_the_comment_is_kept_when_the_page_is_shown_again(client, invitation):
    response = client.post(_url(invitation), {"csat": "9", "comment": "Please call me"})

    assert ">Please call me</textarea>" in response.content.decode()


def test_other_methods_are_refused(client, invitation):
    assert client.put(_url(invitation)).status_code == 405
    assert client.delete(_url(invitation)).status_code == 405


# --- links that do not work ----------------------------------------------------------------------


def test_an_expired_link_shows_a_friendly_page_with_410(client, customer):
    invitation = SurveyInvitationFactory(ticket__customer=customer, expires_at=timezone.now() - timedelta(days=1))

    response = client.get(_url(invitation, q="csat", score=5))

    assert response.status_code == 410
    page = response.content.decode()
    assert "This survey link has expired" in page
    assert invitation.ticket.subject not in page


def test_an_expired_link_takes_no_answer(client):
    invitation = SurveyInvitationFactory(expires_at=timezone.now() - timedelta(days=1))

    response = client.post(_url(invitation), {"csat": "5"})

    assert response.status_code == 410
    assert not SurveyAnswer.objects.exists()


@pytest.mark.parametrize("token", ["garbage", "MQ:1tZ7Hx:forgedsignatureforgedsignature"])
def test_a_forged_link_shows_not_found_with_a_clear_message(client, token):
    SurveyInvitationFactory()

    response = client.get(reverse("surveys:answer", args=[token]))

    assert response.status_code == 404
    assert "This survey link is not valid." in response.content.decode()


def test_a_link_altered_by_one_character_reveals_no_other_ticket(client):
    mine, other = SurveyInvitationFactory(), SurveyInvitationFactory()
    token = survey_token(invitation=mine)
    altered = token[:-1] + ("A" if token[-1] != "A" else "B")

    for response in (
        client.get(reverse("surveys:answer", args=[altered])),
        client.post(reverse("surveys:answer", args=[altered]), {"csat": "1"}),
    ):
        assert response.status_code == 404
        assert other.ticket.subject not in response.content.decode()
        assert mine.ticket.subject not in response.content.decode()
    assert not SurveyAnswer.objects.exists()


def test_the_thanks_page_of_a_forged_link_is_not_found(client):
    assert client.get(reverse("surveys:thanks", args=["garbage"])).status_code == 404


# --- language ------------------------------------------------------------------------------------


def _persian_invitation():
    persian = services.customer_create(name="سارا", locale="fa", identities=[("email", "sara.fa@mail.example")])
    ticket = services.ticket_create(customer=persian, subject="فاکتور", channel=Channel.EMAIL, body_text="x")
    services.ticket_change_status(ticket=ticket, status=Ticket.Status.SOLVED)
    return survey_invitation_send(ticket=ticket)


def test_a_persian_customer_gets_the_page_right_to_left_in_persian(client):
    invitation = _persian_invitation()

    response = client.get(_url(invitation, q="csat", score=5), HTTP_ACCEPT_LANGUAGE="en")

    assert '<html lang="fa" dir="rtl">' in response.content.decode()
    assert response["Content-Language"] == "fa"


def test_the_expired_page_is_in_the_customers_language_too(client):
    invitation = _persian_invitation()
    invitation.expires_at = timezone.now() - timedelta(days=1)
    invitation.save(update_fields=["expires_at"])

    response = client.get(_url(invitation))

    assert response.status_code == 410
    assert '<html lang="fa" dir="rtl">' in response.content.decode()


def test_a_language_the_visitor_picked_wins_over_the_customers(client, settings):
    invitation = _persian_invitation()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"

    response = client.get(_url(invitation))

    assert '<html lang="en" dir="ltr">' in response.content.decode()


def test_a_customer_without_a_language_gets_what_the_browser_asks_for(client, invitation):
    response = client.get(_url(invitation), HTTP_ACCEPT_LANGUAGE="ar")

    assert '<html lang="ar" dir="rtl">' in response.content.decode()


def test_showing_the_page_in_persian_leaves_the_active_language_alone(client):
    from django.utils import translation

    invitation = _persian_invitation()
    with translation.override("en"):
        client.get(_url(invitation))
        assert translation.get_language() == "en"


# --- the admin -----------------------------------------------------------------------------------


def test_the_admin_shows_invitations_and_answers_read_only_with_filters(client, invitation):
    from tests.factories import AdminFactory

    client.post(_url(invitation), {"csat": "4", "ces": "6", "comment": "Good"})
    client.force_login(AdminFactory())
    answer = SurveyAnswer.objects.get(question="csat")

    answer_list = reverse("admin:metrics_surveyanswer_changelist")
    answers = client.get(answer_list, {"question": "csat", "score": "4"})
    by_team = client.get(answer_list, {"team__id__exact": invitation.ticket.team_id})
    invitations = client.get(reverse("admin:metrics_surveyinvitation_changelist"))
    answer_page = client.get(reverse("admin:metrics_surveyanswer_change", args=[answer.pk]))
    invitation_page = client.get(reverse("admin:metrics_surveyinvitation_change", args=[invitation.pk]))

    assert [r.status_code for r in (answers, by_team, invitations, answer_page, invitation_page)] == [200] * 5
    assert answers.context["cl"].result_count == 1
    assert by_team.context["cl"].result_count == 2
    assert 'name="_save"' not in answer_page.content.decode()
    assert client.get(reverse("admin:metrics_surveyanswer_add")).status_code == 403
