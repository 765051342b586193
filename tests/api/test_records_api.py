"""Survey answers and time entries through the API."""

from __future__ import annotations

import pytest

from tests.api.conftest import client_for
from tests.factories import (
    AgentFactory,
    ManagerFactory,
    SurveyAnswerFactory,
    TeamFactory,
    TicketFactory,
    TimeEntryFactory,
)
from tickets.models import TimeEntry

pytestmark = pytest.mark.django_db


def test_managers_read_every_survey_answer_with_filters(api_manager):
    csat = SurveyAnswerFactory(score=4)
    SurveyAnswerFactory(question="ces", score=6)

    rows = api_manager.get("/api/v1/survey-answers/", {"question": "csat"}).json()["results"]

    assert [(row["id"], row["score"], row["ticket"]) for row in rows] == [(csat.pk, 4, csat.ticket_id)]


def test_an_agent_reads_the_answers_of_tickets_they_reach(api_agent, team):
    theirs = SurveyAnswerFactory(invitation__ticket=TicketFactory(team=team, status="solved"))
    SurveyAnswerFactory(invitation__ticket=TicketFactory(team=TeamFactory(), status="solved"))

    rows = api_agent.get("/api/v1/survey-answers/").json()["results"]

    assert [row["id"] for row in rows] == [theirs.pk]


def test_an_agent_logs_time_on_a_ticket_they_reach(api_agent, team, agent):
    ticket = TicketFactory(team=team)
    hidden = TicketFactory(team=TeamFactory())

    made = api_agent.post("/api/v1/time-entries/", {"ticket": ticket.pk, "seconds": 300, "note": "call back"})
    refused = api_agent.post("/api/v1/time-entries/", {"ticket": hidden.pk, "seconds": 300})

    assert made.status_code == 201
    assert (made.json()["agent"], made.json()["source"], made.json()["seconds"]) == (agent.pk, "manual", 300)
    assert refused.status_code == 400
    assert set(refused.json()["field_errors"]) == {"ticket"}


def test_only_managers_log_time_for_someone_else(api_agent, team):
    ticket = TicketFactory(team=team)
    colleague = AgentFactory()
    manager = client_for(ManagerFactory())

    refused = api_agent.post("/api/v1/time-entries/", {"ticket": ticket.pk, "seconds": 60, "agent": colleague.pk})
    made = manager.post("/api/v1/time-entries/", {"ticket": ticket.pk, "seconds": 60, "agent": colleague.pk})

    assert refused.status_code == 403
    assert made.status_code == 201
    assert TimeEntry.objects.get().agent == colleague


def test_time_entries_filter_by_ticket_and_agent(api_manager):
    entry = TimeEntryFactory()
    TimeEntryFactory()

    rows = api_manager.get("/api/v1/time-entries/", {"ticket": entry.ticket_id}).json()["results"]

    assert [row["id"] for row in rows] == [entry.pk]
    assert api_manager.post("/api/v1/time-entries/", {"ticket": entry.ticket_id, "seconds": 0}).status_code == 400
