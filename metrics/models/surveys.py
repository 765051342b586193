"""Satisfaction surveys (CSAT, CES, NPS): invitations sent when a ticket is solved, and the answers."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tickets.models import Channel

__all__ = ["SurveyAnswer", "SurveyInvitation", "SurveyQuestion"]


class SurveyQuestion(models.TextChoices):
    CSAT = "csat", _("Customer satisfaction (CSAT)")
    CES = "ces", _("Customer effort (CES)")
    NPS = "nps", _("Net promoter score (NPS)")


class SurveyInvitation(models.Model):
    """The one survey a solved ticket's customer is invited to answer, through a signed link that expires."""

    ticket = models.OneToOneField(
        "tickets.Ticket",
        on_delete=models.CASCADE,
        related_name="survey_invitation",
        verbose_name=_("ticket"),
        help_text=_("One invitation per ticket: solving it again does not invite the customer again."),
    )
    customer = models.ForeignKey(
        "tickets.Customer",
        on_delete=models.CASCADE,
        related_name="survey_invitations",
        verbose_name=_("customer"),
        db_index=False,  # led by the (customer, sent_at) index below
    )
    channel = models.CharField(
        _("channel"),
        max_length=10,
        choices=Channel.choices,
        help_text=_("Where the invitation was sent: the customer's last channel on the ticket."),
    )
    asks_csat = models.BooleanField(_("asks CSAT"), default=True)
    asks_ces = models.BooleanField(_("asks CES"), default=True)
    asks_nps = models.BooleanField(
        _("asks NPS"), default=False, help_text=_("NPS is asked at most once per customer in 90 days.")
    )
    message = models.ForeignKey(
        "tickets.Message",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("message"),
        help_text=_("The automatic message that carried the invitation."),
    )
    sent_at = models.DateTimeField(_("sent"), default=timezone.now)
    expires_at = models.DateTimeField(_("link expires"), help_text=_("After this the survey link no longer works."))

    class Meta:
        verbose_name = _("survey invitation")
        verbose_name_plural = _("survey invitations")
        indexes = [
            # The NPS 90-day rule: was this customer asked NPS recently?
            models.Index(fields=["customer", "sent_at"], name="survey_inv_customer_sent_idx"),
        ]

    def __str__(self) -> str:
        return _("Survey of ticket #%(number)s") % {"number": self.ticket_id}

    @property
    def questions(self) -> list[str]:
        """The asked questions, in the order they are shown."""
        asked = [
            (SurveyQuestion.CSAT, self.asks_csat),
            (SurveyQuestion.CES, self.asks_ces),
            (SurveyQuestion.NPS, self.asks_nps),
        ]
        return [question.value for question, is_asked in asked if is_asked]

    @property
    def is_expired(self) -> bool:
        return timezone.now() >= self.expires_at


class SurveyAnswer(models.Model):
    """A customer's score for one question about one ticket; answering again updates it."""

    SCORE_RANGES = {
        SurveyQuestion.CSAT: (1, 5),
        SurveyQuestion.CES: (1, 7),
        SurveyQuestion.NPS: (0, 10),
    }

    invitation = models.ForeignKey(
        SurveyInvitation, on_delete=models.CASCADE, related_name="answers", verbose_name=_("invitation")
    )
    ticket = models.ForeignKey(
        "tickets.Ticket",
        on_delete=models.CASCADE,
        related_name="survey_answers",
        verbose_name=_("ticket"),
        db_index=False,  # led by the (ticket, question) unique constraint
    )
    customer = models.ForeignKey(
        "tickets.Customer",
        on_delete=models.CASCADE,
        related_name="survey_answers",
        verbose_name=_("customer"),
        db_index=False,  # led by the (customer, question, answered_at) index
    )
    question = models.CharField(_("question"), max_length=4, choices=SurveyQuestion.choices)
    score = models.SmallIntegerField(
        _("score"), help_text=_("CSAT 1–5, CES 1–7 (7: strongly agree it was easy), NPS 0–10.")
    )
    comment = models.TextField(_("comment"), blank=True)
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="survey_answers",
        verbose_name=_("agent"),
        help_text=_("The ticket's assignee when the customer answered."),
    )
    team = models.ForeignKey(
        "tickets.Team",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="survey_answers",
        verbose_name=_("team"),
        help_text=_("The ticket's team when the customer answered."),
    )
    # The ticket's channel of origin, not the invitation's channel: reports compare satisfaction by
    # the channel a request came in on, which is how volume and handle time are broken down too.
    channel = models.CharField(
        _("channel"),
        max_length=10,
        choices=Channel.choices,
        help_text=_("The ticket's channel of origin when the customer answered."),
    )
    answered_at = models.DateTimeField(_("answered"), default=timezone.now, help_text=_("The first answer."))
    updated_at = models.DateTimeField(_("updated"), default=timezone.now, help_text=_("The latest change."))

    class Meta:
        ordering = ["-answered_at", "id"]
        verbose_name = _("survey answer")
        verbose_name_plural = _("survey answers")
        indexes = [
            models.Index(fields=["question", "answered_at"], name="survey_ans_question_idx"),
            models.Index(fields=["customer", "question", "answered_at"], name="survey_ans_customer_idx"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["ticket", "question"], name="survey_answer_unique_ticket_question"),
            models.CheckConstraint(
                condition=(
                    Q(question="csat", score__gte=1, score__lte=5)
                    | Q(question="ces", score__gte=1, score__lte=7)
                    | Q(question="nps", score__gte=0, score__lte=10)
                ),
                name="survey_answer_score_in_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_question_display()} {self.score} on #{self.ticket_id}"
