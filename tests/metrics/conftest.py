"""Fixtures for the hand-computed figure tests: the two read paths, and a small desk to build tickets with.

Every ticket-based figure is read either live from the tables or from the daily rollups
(metrics.rollups). `source` runs a test once per path, so each hand-computed value is proved on
both: the test builds its data, calls `source.refresh()`, then reads its figures.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import pytest
from django.utils import timezone

from metrics.queries._base import rollup_answers
from metrics.rollups import rollups_refresh
from metrics.scope import Scope
from tests.factories import AgentFactory, CustomerFactory
from tickets import services
from tickets.models import Channel, Customer, Message, Team, Ticket

Direction = Message.Direction
Status = Ticket.Status


@dataclass
class Source:
    name: str  # "live" or "rollup"

    @property
    def is_rollup(self) -> bool:
        return self.name == "rollup"

    def refresh(self) -> None:
        """Build the rollups from what the test made (the rollup path only; the live path reads the tables)."""
        if self.is_rollup:
            rollups_refresh()

    def check(self, scope: Scope) -> None:
        """Fail loudly if the scope is not read the way this run means to prove."""
        assert rollup_answers(scope) is self.is_rollup, f"{self.name} run, but rollup_answers is {not self.is_rollup}"


@pytest.fixture(params=["live", "rollup"])
def source(request, settings) -> Source:
    settings.HELPDESK_METRICS_ROLLUPS = request.param == "rollup"
    return Source(request.param)


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    """A moment in the site's time zone, where the periods of metrics.scope start and end."""
    return datetime(year, month, day, hour, minute, second, tzinfo=timezone.get_default_timezone())


class Desk:
    """Tickets made through the domain services, each step at a given moment, so the stamps are the real ones."""

    def __init__(self) -> None:
        self.agent = AgentFactory()
        self.customer = CustomerFactory()

    def ticket(
        self,
        created_at: datetime,
        *,
        channel: str = Channel.EMAIL,
        team: Team | None = None,
        assignee=None,
        customer: Customer | None = None,
        is_proactive: bool = False,
        body: str = "Hello, my invoice is wrong.",
    ) -> Ticket:
        """A ticket opened by the customer's first message (or by an agent's, when proactive), or empty."""
        return services.ticket_create(
            customer=customer or self.customer,
            subject="Invoice",
            channel=channel,
            body_text=body,
            team=team,
            assignee=assignee,
            is_proactive=is_proactive,
            actor=(assignee or self.agent) if is_proactive else None,
            created_at=created_at,
        )

    def inbound(self, ticket: Ticket, when: datetime, *, channel: str | None = None) -> Message:
        return services.message_add(
            ticket=ticket,
            channel=channel or ticket.current_channel,
            direction=Direction.INBOUND,
            body_text="Any news?",
            author_customer=ticket.customer,
            created_at=when,
        )

    def reply(self, ticket: Ticket, when: datetime, *, channel: str | None = None, agent=None) -> Message:
        """A public reply by a person."""
        return services.message_add(
            ticket=ticket,
            channel=channel or ticket.current_channel,
            direction=Direction.OUTBOUND,
            body_text="Fixed, sorry about that.",
            author_agent=agent or self.agent,
            created_at=when,
        )

    def automatic(self, ticket: Ticket, when: datetime) -> Message:
        """An outbound message sent by a rule (an acknowledgement): not a reply by a person."""
        return services.message_add(
            ticket=ticket,
            channel=ticket.current_channel,
            direction=Direction.OUTBOUND,
            body_text="We received your message.",
            is_automatic=True,
            created_at=when,
        )

    def note(self, ticket: Ticket, when: datetime) -> Message:
        return services.message_add(
            ticket=ticket,
            channel=ticket.current_channel,
            direction=Direction.NOTE,
            body_text="Checking with billing.",
            author_agent=self.agent,
            created_at=when,
        )

    def call(self, ticket: Ticket, when: datetime, *, agent=None) -> Message:
        """An inbound call an agent took: the customer's message and the first response at once."""
        return services.message_add(
            ticket=ticket,
            channel=Channel.PHONE,
            direction=Direction.INBOUND,
            body_text="Call about the invoice.",
            author_customer=ticket.customer,
            author_agent=agent or self.agent,
            created_at=when,
        )

    def solve(self, ticket: Ticket, when: datetime) -> Ticket:
        return services.ticket_change_status(ticket=ticket, status=Status.SOLVED, at=when)

    def reopen(self, ticket: Ticket, when: datetime) -> Ticket:
        return services.ticket_change_status(ticket=ticket, status=Status.OPEN, at=when)


@pytest.fixture
def desk(db) -> Desk:
    return Desk()
