"""The public survey pages, opened from the invitation's signed link without logging in.

Opening a link (GET) only shows the page with the clicked score chosen; an answer is stored only when
the page is submitted (POST with its CSRF token), so mail scanners that open links answer nothing.
The page speaks the customer's language and shows nothing of theirs but this ticket's number and subject.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from metrics.models import SurveyInvitation
from metrics.surveys import (
    MAX_COMMENT_CHARS,
    QUESTIONS,
    SurveyLinkExpired,
    SurveyLinkInvalid,
    survey_answer_submit,
    survey_answers_current,
    survey_invitation_from_token,
)
from tickets.models import Customer


def _language(request: HttpRequest, customer: Customer | None) -> str:
    """A language the visitor picked with the switcher, else the customer's, else what the browser asks for."""
    for candidate in (request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME), customer.locale if customer else ""):
        if candidate:
            try:
                return translation.get_supported_language_variant(candidate)
            except LookupError:
                continue
    return request.LANGUAGE_CODE


def _render(request: HttpRequest, template: str, context: dict, *, language: str, status: int = 200) -> HttpResponse:
    with translation.override(language):
        response = render(request, f"metrics/survey/{template}", context, status=status)
    response.headers["Content-Language"] = language
    return response


def _invitation_or_problem_page(request: HttpRequest, token: str) -> SurveyInvitation | HttpResponse:
    """The invitation behind the link, or the page that says why the link does not work."""
    try:
        return survey_invitation_from_token(token=token)
    except SurveyLinkInvalid:
        return _render(request, "invalid.html", {}, language=_language(request, None), status=404)
    except SurveyLinkExpired as exc:
        language = _language(request, exc.invitation.customer)
        return _render(request, "expired.html", {}, language=language, status=410)


def _chosen(data: QueryDict, invitation: SurveyInvitation) -> tuple[dict[str, int], bool]:
    """The scores in a submitted form, by question, and whether any value was not a number."""
    scores, garbled = {}, False
    for question in invitation.questions:
        raw = data.get(question, "").strip()
        if raw:
            try:
                scores[question] = int(raw)
            except ValueError:
                garbled = True
    return scores, garbled


def _clicked(data: QueryDict, invitation: SurveyInvitation) -> dict[str, int]:
    """The score clicked in the email (?q=csat&score=4); anything odd is ignored, the page just opens."""
    question, raw = data.get("q", ""), data.get("score", "")
    if question not in invitation.questions or not raw.isdigit() or int(raw) not in QUESTIONS[question].scores:
        return {}
    return {question: int(raw)}


def _questions(invitation: SurveyInvitation, selected: dict[str, int]) -> list[dict]:
    return [
        {
            "key": key,
            "text": QUESTIONS[key].text,
            "all_labelled": len(QUESTIONS[key].labels) == len(QUESTIONS[key].scores),
            "selected": selected.get(key),
            "choices": [{"score": score, "label": QUESTIONS[key].label(score)} for score in QUESTIONS[key].scores],
        }
        for key in invitation.questions
    ]


@never_cache
@require_http_methods(["GET", "POST"])
def survey_answer(request: HttpRequest, token: str) -> HttpResponse:
    invitation = _invitation_or_problem_page(request, token)
    if isinstance(invitation, HttpResponse):
        return invitation
    language = _language(request, invitation.customer)
    selected, comment = survey_answers_current(invitation=invitation)
    error = ""
    with translation.override(language):
        if request.method == "POST":
            selected, garbled = _chosen(request.POST, invitation)
            comment = request.POST.get("comment", "")
            if garbled:
                error = _("Choose a score from the list.")
            else:
                try:
                    survey_answer_submit(invitation=invitation, answers=selected, comment=comment)
                except ValidationError as exc:
                    error = " ".join(exc.messages)
                else:
                    return redirect("surveys:thanks", token=token)
        else:
            selected.update(_clicked(request.GET, invitation))
    context = {
        "token": token,
        "ticket": invitation.ticket,
        "questions": _questions(invitation, selected),
        "comment": comment,
        "max_comment_chars": MAX_COMMENT_CHARS,
        "error": error,
    }
    return _render(request, "answer.html", context, language=language, status=400 if error else 200)


@never_cache
@require_GET
def survey_thanks(request: HttpRequest, token: str) -> HttpResponse:
    invitation = _invitation_or_problem_page(request, token)
    if isinstance(invitation, HttpResponse):
        return invitation
    context = {"token": token, "ticket": invitation.ticket}
    return _render(request, "thanks.html", context, language=_language(request, invitation.customer))
