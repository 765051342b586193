"""Satisfaction surveys: inviting the customer when a ticket is solved, the signed link, storing the answers.

The invitation is one automatic message on the customer's last channel with one link per score. Opening a
link only shows the survey page with that score chosen; an answer is stored when the page is submitted,
so a mail scanner that opens every link answers nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from urllib.parse import urlencode

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from integrations.changes import changes_record
from integrations.models import Change, ChangeKind, SubjectType
from metrics.models import SurveyAnswer, SurveyInvitation, SurveyQuestion
from tickets import services as ticket_services
from tickets.models import Channel, Customer, CustomerIdentity, Message, Ticket

logger = logging.getLogger(__name__)

LINK_SALT = "metrics.survey.invitation"
NPS_EVERY = timedelta(days=90)
MAX_COMMENT_CHARS = 5000


class SurveyLinkInvalid(Exception):
    """The link was not made by us (forged, cut short) or its survey no longer exists."""


class SurveyLinkExpired(Exception):
    def __init__(self, invitation: SurveyInvitation) -> None:
        super().__init__(f"survey invitation {invitation.pk} expired at {invitation.expires_at}")
        self.invitation = invitation


# --- the questions -------------------------------------------------------------------------------


@dataclass(frozen=True)
class QuestionSpec:
    key: str
    text: Promise
    scores: range
    # Words for some scores (all of a short scale, the two ends of NPS), shown beside the number.
    labels: dict[int, Promise] = field(default_factory=dict)

    def label(self, score: int) -> str:
        return str(self.labels.get(score, ""))


QUESTIONS: dict[str, QuestionSpec] = {
    SurveyQuestion.CSAT: QuestionSpec(
        key=SurveyQuestion.CSAT,
        text=gettext_lazy("How satisfied are you with the support you received?"),
        scores=range(1, 6),
        labels={
            1: gettext_lazy("Very dissatisfied"),
            2: gettext_lazy("Dissatisfied"),
            3: gettext_lazy("Neither satisfied nor dissatisfied"),
            4: gettext_lazy("Satisfied"),
            5: gettext_lazy("Very satisfied"),
        },
    ),
    SurveyQuestion.CES: QuestionSpec(
        key=SurveyQuestion.CES,
        text=gettext_lazy("The company made it easy to handle my issue."),
        scores=range(1, 8),
        labels={
            1: gettext_lazy("Strongly disagree"),
            2: gettext_lazy("Disagree"),
            3: gettext_lazy("Somewhat disagree"),
            4: gettext_lazy("Neither agree nor disagree"),
            5: gettext_lazy("Somewhat agree"),
            6: gettext_lazy("Agree"),
            7: gettext_lazy("Strongly agree"),
        },
    ),
    SurveyQuestion.NPS: QuestionSpec(
        key=SurveyQuestion.NPS,
        text=gettext_lazy("How likely are you to recommend us?"),
        scores=range(0, 11),
        labels={0: gettext_lazy("Not at all likely"), 10: gettext_lazy("Extremely likely")},
    ),
}


# --- the signed link -----------------------------------------------------------------------------


def survey_token(*, invitation: SurveyInvitation) -> str:
    """The signed part of the survey link: it names the invitation and cannot be made up or altered."""
    # No timestamp: expiry lives on the invitation, and every link of one mail carries the same token.
    return signing.Signer(salt=LINK_SALT).sign_object(invitation.pk)


def survey_url(*, invitation: SurveyInvitation, question: str = "", score: int | None = None) -> str:
    """The absolute survey link; with a question and score, the page opens with that score chosen."""
    path = reverse("surveys:answer", args=[survey_token(invitation=invitation)])
    query = f"?{urlencode({'q': question, 'score': score})}" if question and score is not None else ""
    return f"{settings.HELPDESK_BASE_URL}{path}{query}"


def survey_invitation_from_token(*, token: str) -> SurveyInvitation:
    """The invitation a link points at. Raises SurveyLinkInvalid or SurveyLinkExpired.

    Expiry is read from the invitation, not the token, so it is the same for every link of one mail.
    """
    try:
        pk = signing.Signer(salt=LINK_SALT).unsign_object(token)
    except (signing.BadSignature, ValueError) as exc:  # ValueError: signed by us, but not a token's payload
        raise SurveyLinkInvalid(str(exc)) from exc
    if not isinstance(pk, int):
        raise SurveyLinkInvalid("the token does not name an invitation")
    invitation = SurveyInvitation.objects.select_related("ticket", "customer").filter(pk=pk).first()
    if invitation is None:
        raise SurveyLinkInvalid(f"survey invitation {pk} does not exist")
    if invitation.is_expired:
        raise SurveyLinkExpired(invitation)
    return invitation


# --- inviting ------------------------------------------------------------------------------------


def survey_invite_on_commit(ticket: Ticket) -> None:
    """Invite the customer to the survey once the current transaction commits (a ticket just became solved).

    robust: a broker that is down must not undo the solve; the customer simply gets no survey.
    """
    # Imported here: the task module imports this one.
    from metrics.tasks import send_survey_invitation

    ticket_id = ticket.pk

    # A named function, not functools.partial: Django logs a failed robust callback by its __qualname__,
    # which a partial lacks, and the AttributeError would escape after all.
    def enqueue_survey_invitation() -> None:
        send_survey_invitation.delay(ticket_id)

    transaction.on_commit(enqueue_survey_invitation, robust=True)


def _nps_is_due(customer: Customer, now: datetime) -> bool:
    """NPS is asked at most once per customer in NPS_EVERY (a customer merged into this one counts too).

    Not locked per customer: two of one customer's tickets solved in the same instant may both ask it,
    which is rarer and cheaper than a customer lock taken against customer_merge's lock order.
    """
    return not SurveyInvitation.objects.filter(
        Q(customer=customer) | Q(customer__merged_into=customer), asks_nps=True, sent_at__gt=now - NPS_EVERY
    ).exists()


def _survey_channel(ticket: Ticket, customer: Customer) -> str | None:
    """Where the invitation goes: the customer's last channel on the ticket, or None when we cannot reach them.

    A phone call cannot carry a link, so a phone ticket's survey goes by email when the customer has an
    address. An email needs an address (the send would only fail). Chat, portal and the others show the
    message where the customer reads our replies.
    """
    has_email = CustomerIdentity.objects.filter(customer=customer, kind=CustomerIdentity.Kind.EMAIL).exists
    channel = ticket.current_channel
    if channel == Channel.PHONE:
        return Channel.EMAIL if has_email() else None
    if channel == Channel.EMAIL and not has_email():
        return None
    return channel


def survey_invitation_send(*, ticket: Ticket) -> SurveyInvitation | None:
    """Invite the customer of a solved ticket to the survey: one invitation per ticket, ever.

    Idempotent: an invitation already made is returned as it is, and nothing is sent again (so a ticket
    solved, reopened and solved again is invited once). A merged ticket stands for the ticket it was merged
    into. Returns None, sending nothing, when the ticket is no longer solved by the time this runs (the
    customer wrote again, or it was closed and takes no more messages) or when the customer cannot be reached.
    """
    ticket = ticket_services.resolve_merged(ticket)
    with transaction.atomic():
        # The ticket row lock makes two concurrent sends for one ticket take turns; the second sees the first.
        locked = Ticket.objects.select_for_update().get(pk=ticket.pk)
        existing = SurveyInvitation.objects.filter(ticket=locked).first()
        if existing is not None:
            return existing
        if locked.status != Ticket.Status.SOLVED:
            logger.info("No survey for ticket %s: it is %s, no longer solved", locked.pk, locked.status)
            return None
        customer = Customer.objects.get(pk=locked.customer_id)
        channel = _survey_channel(locked, customer)
        if channel is None:
            logger.info("No survey for ticket %s: no way to reach customer %s", locked.pk, customer.pk)
            return None

        now = timezone.now()
        invitation = SurveyInvitation.objects.create(
            ticket=locked,
            customer=customer,
            channel=channel,
            asks_csat=True,
            asks_ces=True,
            asks_nps=_nps_is_due(customer, now),
            sent_at=now,
            expires_at=now + timedelta(days=settings.HELPDESK_SURVEY_LINK_DAYS),
        )
        body_text, body_html = _invitation_bodies(invitation, locked, customer)
        invitation.message = ticket_services.message_add(
            ticket=locked,
            channel=channel,
            direction=Message.Direction.OUTBOUND,
            body_text=body_text,
            body_html=body_html,
            is_automatic=True,
            created_at=now,
        )
        invitation.save(update_fields=["message"])
    return invitation


def _invitation_bodies(invitation: SurveyInvitation, ticket: Ticket, customer: Customer) -> tuple[str, str]:
    """The invitation's text and HTML, in the customer's language, with one link per score."""
    with translation.override(customer.locale or settings.LANGUAGE_CODE):
        questions = [
            {
                "text": str(QUESTIONS[key].text),
                "scores": [
                    {
                        "score": score,
                        "label": QUESTIONS[key].label(score),
                        "url": survey_url(invitation=invitation, question=key, score=score),
                    }
                    for score in QUESTIONS[key].scores
                ],
            }
            for key in invitation.questions
        ]
        context = {
            "customer_name": customer.name,
            "ticket": ticket,
            "questions": questions,
            "link_days": settings.HELPDESK_SURVEY_LINK_DAYS,
        }
        return (
            render_to_string("metrics/survey/invitation.txt", context).strip(),
            render_to_string("metrics/survey/invitation.html", context).strip(),
        )


# --- answering -----------------------------------------------------------------------------------


def _checked_score(invitation: SurveyInvitation, question: str, score: object) -> int:
    if question not in SurveyQuestion.values:
        raise ValidationError(_("Unknown question “%(question)s”.") % {"question": question}, code="bad_question")
    spec = QUESTIONS[question]
    if question not in invitation.questions:
        raise ValidationError(_("This survey does not ask “%(question)s”.") % {"question": spec.text}, code="not_asked")
    if isinstance(score, bool) or not isinstance(score, int) or score not in spec.scores:
        raise ValidationError(
            _("“%(question)s” takes a score from %(low)d to %(high)d.")
            % {"question": spec.text, "low": spec.scores[0], "high": spec.scores[-1]},
            code="bad_score",
        )
    return score


def survey_answer_submit(
    *, invitation: SurveyInvitation, answers: Mapping[str, int], comment: str = ""
) -> list[SurveyAnswer]:
    """Store the customer's scores: one answer per ticket and question, a second submission updates the first.

    `answers` maps questions (csat, ces, nps) to scores; questions left out keep what they had. The
    comment belongs to the submission and is kept on its first question in asking order (CSAT when
    answered), the others' comments are cleared, so one remark is never counted twice. A new answer
    takes the ticket's assignee, team and channel of origin as they are now; an update keeps them.
    Raises ValidationError for an expired invitation, an empty submission, a question not asked or a
    score out of range.
    """
    if invitation.is_expired:
        raise ValidationError(_("This survey link has expired."), code="expired")
    if not answers:
        raise ValidationError(_("Choose a score for at least one question."), code="no_answer")
    comment = comment.strip()
    if len(comment) > MAX_COMMENT_CHARS:
        raise ValidationError(
            _("The comment is too long: at most %(limit)d characters.") % {"limit": MAX_COMMENT_CHARS},
            code="comment_too_long",
        )
    scores = {question: _checked_score(invitation, question, score) for question, score in answers.items()}
    ordered = [question for question in invitation.questions if question in scores]
    now = timezone.now()

    with transaction.atomic():
        # Two submissions of the same page at once take turns, so the second updates the first's rows.
        locked = SurveyInvitation.objects.select_for_update().get(pk=invitation.pk)
        ticket = Ticket.objects.only("assignee_id", "team_id", "channel", "customer_id").get(pk=locked.ticket_id)
        existing = {answer.question: answer for answer in SurveyAnswer.objects.filter(ticket_id=locked.ticket_id)}
        stored = []
        previous = {question: answer.score for question, answer in existing.items()}
        for position, question in enumerate(ordered):
            text = comment if position == 0 else ""
            answer = existing.get(question)
            if answer is None:
                answer = SurveyAnswer.objects.create(
                    invitation=locked,
                    ticket_id=locked.ticket_id,
                    customer_id=locked.customer_id,
                    question=question,
                    score=scores[question],
                    comment=text,
                    # Channel of origin, not the invitation's channel: see SurveyAnswer.channel.
                    agent_id=ticket.assignee_id,
                    team_id=ticket.team_id,
                    channel=ticket.channel,
                    answered_at=now,
                    updated_at=now,
                )
            else:
                answer.score, answer.comment, answer.updated_at = scores[question], text, now
                answer.save(update_fields=["score", "comment", "updated_at"])
            stored.append(answer)
        changes_record(
            Change(
                kind=ChangeKind.SURVEY_ANSWERED,
                subject_type=SubjectType.SURVEY_ANSWER,
                subject_id=answer.pk,
                ticket_id=answer.ticket_id,
                customer_id=answer.customer_id,
                changes={"score": [previous.get(answer.question), answer.score]},
            )
            for answer in stored
        )
    return stored


def survey_answers_current(*, invitation: SurveyInvitation) -> tuple[dict[str, int], str]:
    """What the customer answered so far: the scores by question, and the comment."""
    answers = list(SurveyAnswer.objects.filter(ticket_id=invitation.ticket_id).only("question", "score", "comment"))
    comment = next((answer.comment for answer in answers if answer.comment), "")
    return {answer.question: answer.score for answer in answers}, comment
