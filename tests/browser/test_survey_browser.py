"""A customer answers the satisfaction survey from the link in the mail, in a real browser."""

import html
import re

import pytest
from django.core import mail

from metrics.models import SurveyAnswer
from tests.browser.conftest import SCREENSHOTS
from tests.factories import AgentFactory, TeamFactory
from tickets import services
from tickets.models import Channel, Ticket

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _solve_and_get_the_mail(live_server, settings, *, locale: str = "") -> tuple[Ticket, str]:
    """Solve an email ticket the way an agent does; return it and the HTML of the survey mail that went out."""
    settings.HELPDESK_BASE_URL = live_server.url
    agent = AgentFactory(username="ava")
    customer = services.customer_create(name="Sara Karimi", locale=locale, identities=[("email", "sara@mail.example")])
    ticket = services.ticket_create(
        customer=customer,
        subject="Invoice shows the wrong amount",
        channel=Channel.EMAIL,
        body_text="My invoice says 120 EUR but I paid 100 EUR.",
        team=TeamFactory(members=[agent]),
        assignee=agent,
    )
    services.ticket_change_status(ticket=ticket, status=Ticket.Status.SOLVED, actor=agent)
    [sent] = mail.outbox  # the commit sent the invitation through the (in-memory) mail backend
    [(body_html, _type)] = sent.alternatives
    return ticket, body_html


def _score_link(body_html: str, question: str, score: int) -> str:
    links = [html.unescape(href) for href in re.findall(r'href="([^"]+)"', body_html)]
    [link] = [link for link in links if link.endswith(f"?q={question}&score={score}")]
    return link


def test_a_customer_answers_the_survey_from_the_score_link_in_the_mail(page, live_server, settings):
    ticket, body_html = _solve_and_get_the_mail(live_server, settings)

    page.goto(_score_link(body_html, "csat", 4))

    assert page.locator("input[name=csat][value='4']").is_checked()
    assert page.locator("input[name=ces]:checked").count() == 0
    assert SurveyAnswer.objects.count() == 0, "opening the link answers nothing"
    assert page.get_by_text(f"#{ticket.pk}").is_visible()
    page.get_by_label("Anything you would like to add? (optional)").fill("Fixed within the hour, thank you")
    page.screenshot(path=str(SCREENSHOTS / "helpdesk-survey-en.png"), full_page=True)
    page.get_by_role("button", name="Send my answer").click()
    page.wait_for_url("**/thanks/")

    assert page.get_by_role("heading", name="Thank you for your answer!").is_visible()
    answer = SurveyAnswer.objects.get()
    assert (answer.question, answer.score, answer.comment) == ("csat", 4, "Fixed within the hour, thank you")
    assert answer.agent == ticket.assignee

    # Back on the page the answer can be changed; it stays one answer.
    page.get_by_role("link", name="Change your answer").click()
    assert page.locator("input[name=csat][value='4']").is_checked()
    page.locator("input[name=csat][value='5']").check()
    page.get_by_role("button", name="Send my answer").click()
    page.wait_for_url("**/thanks/")
    assert page.get_by_role("heading", name="Thank you for your answer!").is_visible()
    assert list(SurveyAnswer.objects.values_list("question", "score")) == [("csat", 5)]


def test_the_scores_can_be_chosen_with_the_keyboard_alone(page, live_server, settings):
    _ticket, body_html = _solve_and_get_the_mail(live_server, settings)
    page.goto(_score_link(body_html, "csat", 2))

    page.locator("input[name=csat][value='2']").focus()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Tab")  # into the next question's group
    page.keyboard.press("Space")
    page.get_by_label("Anything you would like to add? (optional)").focus()
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    page.wait_for_url("**/thanks/")

    assert page.get_by_role("heading", name="Thank you for your answer!").is_visible()
    assert dict(SurveyAnswer.objects.values_list("question", "score")) == {"csat": 3, "ces": 1}


def test_a_persian_customer_sees_the_survey_right_to_left_in_persian(page, live_server, settings):
    _ticket, body_html = _solve_and_get_the_mail(live_server, settings, locale="fa")

    page.goto(_score_link(body_html, "nps", 9))

    root = page.locator("html")
    assert root.get_attribute("lang") == "fa"
    assert root.get_attribute("dir") == "rtl"
    assert page.locator("input[name=nps][value='9']").is_checked()
    page.screenshot(path=str(SCREENSHOTS / "helpdesk-survey-fa.png"), full_page=True)
