"""One ticket's story while it is told: its state, and the rows it leaves behind.

TicketState mirrors what tickets.services would record for each step (message_add, ticket_change_status)
and keeps the stamps tickets.services.stamps would write, so the rows need no second pass.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from tickets.demo import texts
from tickets.demo.arrivals import DAY, HOUR

if TYPE_CHECKING:
    from tickets.demo.conversations import TicketGenerator

TICKET_COLUMNS = (
    "id",
    "subject",
    "status",
    "priority",
    "channel",
    "current_channel",
    "team_id",
    "assignee_id",
    "customer_id",
    "is_proactive",
    "created_at",
    "updated_at",
    "first_response_at",
    "first_solved_at",
    "solved_at",
    "closed_at",
    "reopen_count",
    "channel_switch_count",
    "merged_into_id",
    # The stamps tickets.services.stamps would have written (see TicketState.stamps).
    "first_inbound_at",
    "first_response_seconds",
    "first_response_business_seconds",
    "first_resolution_seconds",
    "first_resolution_business_seconds",
    "resolution_seconds",
    "resolution_business_seconds",
    "contact_count",
    "inbound_before_first_reply",
)
UPDATED_AT = TICKET_COLUMNS.index("updated_at")
STAMPS_AT = TICKET_COLUMNS.index("first_inbound_at")
MESSAGE_COLUMNS = (
    "id",
    "ticket_id",
    "channel",
    "direction",
    "author_customer_id",
    "author_agent_id",
    "is_automatic",
    "body_text",
    "body_html",
    "external_id",
    "email_message_id",
    "email_in_reply_to",
    "email_references",
    "delivery_status",
    "created_at",
)
EVENT_COLUMNS = ("id", "ticket_id", "kind", "actor_id", "from_value", "to_value", "created_at")
TIME_ENTRY_COLUMNS = ("id", "ticket_id", "agent_id", "seconds", "source", "note", "created_at")
TICKET_TAG_COLUMNS = ("id", "ticket_id", "tag_id")

NEW, OPEN, PENDING, ON_HOLD, SOLVED, CLOSED = "new", "open", "pending", "on_hold", "solved", "closed"
INBOUND, OUTBOUND, NOTE = "inbound", "outbound", "note"
AUTO_CLOSE_AFTER = 4 * DAY  # settings.HELPDESK_AUTO_CLOSE_DAYS default; the beat job runs hourly

CHAT_SESSION_GAP = 30 * 60  # tickets.services.stamps.CHAT_SESSION_GAP: a longer silence starts a new contact
SUPPORT_DOMAIN = "support.example"


class Cutoff(Exception):
    """The next step would happen at or after `until`: the ticket stays as it is now."""


@dataclass
class Rows:
    tickets: list[list] = field(default_factory=list)
    messages: list[tuple] = field(default_factory=list)
    events: list[tuple] = field(default_factory=list)
    time_entries: list[tuple] = field(default_factory=list)
    ticket_tags: list[tuple] = field(default_factory=list)
    survey_invitations: list[tuple] = field(default_factory=list)
    survey_answers: list[tuple] = field(default_factory=list)


@dataclass
class NextIds:
    ticket: int
    message: int
    event: int
    time_entry: int
    ticket_tag: int
    survey_invitation: int = 1
    survey_answer: int = 1


def lognormal(rng: random.Random, median_sigma: tuple[float, float], factor: float = 1.0) -> int:
    median, sigma = median_sigma
    return max(1, int(rng.lognormvariate(math.log(median * factor), sigma)))


class TicketState:
    """One ticket's state while its story is told; `message` and `status` follow tickets.services."""

    __slots__ = (
        "assignee",
        "before_reply",
        "channel",
        "chat_agent",
        "chat_end",
        "chat_start",
        "closed",
        "contacts",
        "current",
        "customer_id",
        "email_ids",
        "first_inbound",
        "first_solved",
        "frt",
        "gen",
        "last",
        "last_chat_reply",
        "mail_domain",
        "message_count",
        "priority",
        "proactive",
        "reopens",
        "row",
        "solved",
        "status",
        "switches",
        "t0",
        "team",
        "tid",
        "updated",
    )

    def __init__(self, gen: TicketGenerator, tid: int, channel: str, t0: int, customer_id: int, domain: str) -> None:
        self.gen, self.tid, self.channel, self.current, self.t0 = gen, tid, channel, channel, t0
        self.customer_id, self.mail_domain = customer_id, domain
        self.status, self.assignee, self.priority = NEW, None, "normal"
        self.frt = self.first_solved = self.solved = self.closed = None
        self.reopens = self.switches = self.message_count = 0
        self.team: int | None = None
        self.proactive = False
        self.first_inbound = self.last_chat_reply = None
        self.contacts = self.before_reply = 0
        self.updated = self.last = t0
        self.email_ids: list[str] = []
        self.chat_agent = self.chat_start = self.chat_end = None
        self.row: list | None = None

    def at(self, ts: int) -> int:
        if ts >= self.gen.until:
            raise Cutoff
        self.last = max(self.last, ts)
        return ts

    def event(self, ts: int, kind: str, actor: int | None, from_value: str = "", to_value: str = "") -> None:
        gen = self.gen
        gen.events.append((gen.ids.event, self.tid, kind, actor, from_value, to_value, gen.fmt(ts)))
        gen.ids.event += 1
        self.updated = max(self.updated, ts)

    def status_to(self, ts: int, status: str, actor: int | None) -> None:
        # As services.ticket_change_status.
        previous = self.status
        if status == SOLVED:
            self.solved = ts
            if self.first_solved is None:
                self.first_solved = ts
        elif status == CLOSED:
            self.closed = ts
        elif previous == SOLVED:
            self.reopens += 1
            self.solved = None
        self.status = status
        self.event(ts, "status", actor, previous, status)

    def message(
        self, ts: int, channel: str, direction: str, agent: int | None, body: str, automatic: bool = False, on=None
    ) -> None:
        """As services.message_add; `on` is the ticket the row belongs to if not this one (a merge moved it)."""
        gen = self.gen
        if direction == INBOUND:
            if self.first_inbound is None:
                self.first_inbound = ts
            if self.frt is None:
                self.before_reply += 1
            if self.status == SOLVED:
                self.event(ts, "status", None, SOLVED, OPEN)
                self.status, self.solved = OPEN, None
                self.reopens += 1
            elif self.status in (PENDING, ON_HOLD):
                self.event(ts, "status", None, self.status, OPEN)
                self.status = OPEN
        elif direction == OUTBOUND and not automatic:
            if self.frt is None:
                self.frt = ts
            # A contact: every public reply, but a chat reply within CHAT_SESSION_GAP continues its session.
            if channel != "chat" or self.last_chat_reply is None or ts - self.last_chat_reply > CHAT_SESSION_GAP:
                self.contacts += 1
            if channel == "chat":
                self.last_chat_reply = ts
            if self.status == NEW:
                self.event(ts, "status", agent, NEW, OPEN)
                self.status = OPEN
        if direction != NOTE and not automatic and channel != self.current:
            self.event(ts, "channel_switch", agent, self.current, channel)
            self.current = channel
            self.switches += 1
        self.message_count += 1
        seq = self.message_count
        message_id = in_reply_to = references = external_id = ""
        if channel == "email" and direction != NOTE:
            domain = self.mail_domain if direction == INBOUND else SUPPORT_DOMAIN
            message_id = f"<{self.tid}.{seq}.{gen.rng.getrandbits(32):08x}@{domain}>"
            if self.email_ids:
                in_reply_to = self.email_ids[-1]
                references = " ".join(self.email_ids[-5:])
            self.email_ids.append(message_id)
        if direction == INBOUND:
            external_id = message_id if channel == "email" else ("" if channel == "portal" else f"{self.tid}-{seq}")
            delivery = ""
        elif direction == OUTBOUND:
            delivery = "bounced" if channel == "email" and gen.rng.random() < 0.01 else "sent"
        else:
            delivery = ""
        gen.messages.append(
            (
                gen.ids.message,
                on or self.tid,
                channel,
                direction,
                self.customer_id if direction == INBOUND else None,
                agent,
                automatic,
                body,
                "",
                external_id,
                message_id,
                in_reply_to,
                references,
                delivery,
                gen.fmt(ts),
            )
        )
        gen.ids.message += 1
        self.updated = max(self.updated, ts)

    def stamps(self) -> list:
        """The values of the stamp columns, as tickets.services.stamps leaves them after this story."""
        fmt, clock = self.gen.fmt, self.gen.clocks[self.team]
        t0, frt, first_inbound = self.t0, self.frt, self.first_inbound
        response = business_response = first_resolution = business_first = resolution = business_resolution = None
        if frt is not None and first_inbound is not None and not self.proactive:
            response, business_response = max(0, frt - first_inbound), clock.between(first_inbound, frt)
        if self.first_solved is not None:
            first_resolution, business_first = self.first_solved - t0, clock.between(t0, self.first_solved)
        if self.solved is not None:
            resolution, business_resolution = self.solved - t0, clock.between(t0, self.solved)
        return [
            fmt(first_inbound),
            response,
            business_response,
            first_resolution,
            business_first,
            resolution,
            business_resolution,
            self.contacts,
            self.before_reply,
        ]

    def work(self, ts: int, channel: str, agent: int) -> None:
        """Agent time for a reply: the call, the chat session (flushed later), or tracked/manual time."""
        gen, rng = self.gen, self.gen.rng
        if channel == "chat":
            if self.chat_agent is not None and ts - self.chat_end > HOUR:
                self.flush_chat()  # a later chat (after a reopen) is a session of its own
            if self.chat_agent is None:
                self.chat_agent, self.chat_start = agent, ts
            self.chat_end = ts
            return
        if channel == "phone":
            gen.time_entry(self.tid, agent, min(3600, max(20, lognormal(rng, (240, 0.6)))), "call", "", ts)
        elif rng.random() < 0.12:
            gen.time_entry(self.tid, agent, 60 * rng.randint(5, 30), "manual", rng.choice(texts.MANUAL_TIME_NOTES), ts)
        else:
            gen.time_entry(self.tid, agent, min(3600, max(15, lognormal(rng, (200, 0.7)))), "auto", "", ts)

    def flush_chat(self) -> None:
        if self.chat_agent is not None:
            seconds = max(60, self.chat_end - self.chat_start + 30)
            self.gen.time_entry(self.tid, self.chat_agent, seconds, "chat", "", self.chat_end)
            self.chat_agent = None
