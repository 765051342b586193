"""CSAT, NPS and CES from survey answers, worked out by hand.

Answers are given through metrics.surveys.survey_answer_submit, so they are stamped "now" with the
ticket's team, assignee and channel of origin; the periods here are the days around today. Survey
figures read the answers live whatever the rollup setting, so one path is enough.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from metrics import figures
from metrics.models import SurveyAnswer
from metrics.scope import scope_for_days
from metrics.surveys import survey_answer_submit
from tests.factories import AgentFactory, SurveyInvitationFactory, TeamFactory
from tickets import services
from tickets.models import Channel

pytestmark = pytest.mark.django_db


def around_today(**filters):
    today = timezone.localdate()
    return scope_for_days(today - timedelta(days=1), today + timedelta(days=1), **filters)


@pytest.fixture
def answered(desk):
    """Four tickets and their answers; the first one answered twice."""
    anna, bert = AgentFactory(), AgentFactory()
    billing, shipping = TeamFactory(name="Billing", members=[anna]), TeamFactory(name="Shipping", members=[bert])
    now = timezone.now()

    def survey(team, agent, channel, **scores):
        ticket = desk.ticket(now - timedelta(hours=3), team=team, assignee=agent, channel=channel)
        invitation = SurveyInvitationFactory(ticket=ticket, asks_nps=True)
        survey_answer_submit(invitation=invitation, answers=scores)
        return ticket, invitation

    first, first_invitation = survey(billing, anna, Channel.EMAIL, csat=2, ces=6, nps=10)
    # Answered twice: the second submission replaces the CSAT 2 with a 5 (one answer, the second score).
    survey_answer_submit(invitation=first_invitation, answers={"csat": 5})
    second, _ = survey(billing, anna, Channel.CHAT, csat=4, ces=3, nps=8)
    survey(shipping, bert, Channel.EMAIL, csat=3, ces=7, nps=6)
    survey(shipping, bert, Channel.PHONE, csat=1, nps=9)
    # After answering, the second ticket moves to Shipping and Bert: its answers keep Billing and Anna.
    services.ticket_assign(ticket=second, team=shipping, assignee=bert)
    return {"anna": anna, "bert": bert, "billing": billing, "shipping": shipping, "answered_twice": first}


def test_csat_counts_a_survey_answered_twice_once_with_its_second_score(answered):
    # Answers 5 (second of 2 → 5), 4, 3, 1: satisfied (4 or 5) = 2 of 4 = 50%.
    # Counting the first answer instead would give 1 / 4; counting both, 3 / 5.
    csat = figures.figure(around_today(), "csat")
    assert (csat.numerator, csat.denominator) == (2, 4)
    assert csat.percent == 50.0
    kept = SurveyAnswer.objects.get(ticket=answered["answered_twice"], question="csat")
    assert (kept.score, kept.answered_at <= kept.updated_at) == (5, True)


def test_nps_promoters_passives_detractors(answered):
    # 10 and 9 promoters, 8 passive, 6 detractor: (2 − 1) / 4 = +25.
    nps = figures.figure(around_today(), "nps")
    assert (nps.promoters, nps.passives, nps.detractors) == (2, 1, 1)
    assert nps.score == 25.0


def test_ces_mean(answered):
    # 6, 3, 7 (the fourth ticket did not answer CES): 16 / 3.
    ces = figures.figure(around_today(), "ces")
    assert (ces.count, ces.total) == (3, 16)
    assert ces.mean == pytest.approx(16 / 3)


@pytest.mark.parametrize(
    ("filters", "csat", "nps", "ces"),
    [
        # Billing / Anna, as the answers kept them: CSAT 5, 4 → 2/2; NPS 10, 8 → (1 − 0) / 2 = +50; CES (6 + 3) / 2.
        ({"team": "billing"}, (2, 2), (1, 1, 0), 4.5),
        ({"agent": "anna"}, (2, 2), (1, 1, 0), 4.5),
        # Shipping / Bert: CSAT 3, 1 → 0/2; NPS 6, 9 → (1 − 1) / 2 = 0; CES 7.
        ({"team": "shipping"}, (0, 2), (1, 0, 1), 7.0),
        ({"agent": "bert"}, (0, 2), (1, 0, 1), 7.0),
        # Email, the channel of origin: CSAT 5, 3 → 1/2; NPS 10, 6 → 0; CES (6 + 7) / 2.
        ({"channel": Channel.EMAIL}, (1, 2), (1, 0, 1), 6.5),
        # Chat: CSAT 4 → 1/1; NPS 8 → passive only, 0; CES 3.
        ({"channel": Channel.CHAT}, (1, 1), (0, 1, 0), 3.0),
    ],
)
def test_filters_use_the_answers_team_agent_and_channel(answered, filters, csat, nps, ces):
    scope = around_today(
        **{name: value if name == "channel" else answered[value].pk for name, value in filters.items()}
    )
    found = figures.figure(scope, "csat")
    assert (found.numerator, found.denominator) == csat
    found_nps = figures.figure(scope, "nps")
    assert (found_nps.promoters, found_nps.passives, found_nps.detractors) == nps
    assert figures.figure(scope, "ces").mean == pytest.approx(ces)


def test_answers_outside_the_period_do_not_count(answered):
    last_week = scope_for_days(timezone.localdate() - timedelta(days=9), timezone.localdate() - timedelta(days=2))
    assert figures.figure(last_week, "csat").denominator == 0
    assert figures.figure(last_week, "csat").percent is None
    assert figures.figure(last_week, "nps").score is None
    assert figures.figure(last_week, "ces").mean is None
