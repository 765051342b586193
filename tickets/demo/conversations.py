"""Tickets and their conversations, played forward in time the way tickets.services would record them.

Each ticket is a small simulation: the customer writes, agents answer after a channel-typical
delay, statuses move, some tickets switch channel, get reopened or merged, and solved ones
are closed by the auto-close job four days later. Whatever would happen after `until` is cut
off, so old tickets end up solved or closed and recent ones are still new, open or pending.

The state changes mirror services.message_add, ticket_change_status and ticket_merge, so the
rows keep the invariants the metrics rely on (first_response_at, solved_at, reopen_count, ...).
"""

from __future__ import annotations

import contextlib
import math
import random
from dataclasses import dataclass, field

from tickets.demo import texts
from tickets.demo.arrivals import DAY, HOUR, Clock, Period, in_work_hours
from tickets.demo.people import CustomerPool, Staff

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
)
_UPDATED = TICKET_COLUMNS.index("updated_at")
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

CUSTOMER_KIND = {
    "email": "email",
    "portal": "email",
    "api": "email",
    "chat": "chat",
    "phone": "phone",
    "social": "social",
}
TOPIC_CUM_WEIGHTS = (0.30, 0.75, 1.0)  # billing, technical, sales (VIP goes by plan)
# Human messages in a conversation (the customer's first one included): values and weights.
LENGTHS = {
    "email": ((2, 3, 4, 5, 6), (30, 30, 20, 12, 8)),
    "portal": ((2, 3, 4, 5, 6), (30, 30, 20, 12, 8)),
    "chat": ((3, 4, 5, 6, 7, 8), (10, 20, 20, 20, 15, 15)),
    "phone": ((2, 3, 4), (55, 20, 25)),
    "social": ((2, 3, 4, 5), (35, 30, 20, 15)),
    "api": ((2, 3, 4), (50, 30, 20)),
}
# Where a conversation moves to, and how often (the escalation matrix of docs/metrics.md).
SWITCHES = {"chat": ("email", 0.25), "phone": ("email", 0.20), "email": ("phone", 0.05)}
ACK_SHARE = {"email": 0.7, "portal": 1.0, "api": 1.0, "social": 0.3, "chat": 0.4, "phone": 0.0}
# Median seconds and spread (lognormal sigma) of each wait, per channel of the message being written.
FIRST_REPLY = {
    "email": (2.5 * HOUR, 1.1),
    "portal": (4 * HOUR, 1.0),
    "api": (5 * HOUR, 1.0),
    "social": (45 * 60, 1.0),
    "chat": (75, 0.9),
    "phone": (40 * 60, 0.8),  # callback after a missed call
}
AGENT_GAP = {
    "email": (3 * HOUR, 1.0),
    "portal": (4 * HOUR, 1.0),
    "api": (4 * HOUR, 1.0),
    "social": (40 * 60, 1.0),
    "chat": (60, 0.7),
    "phone": (6 * HOUR, 1.0),
}
CUSTOMER_GAP = {
    "email": (6 * HOUR, 1.2),
    "portal": (8 * HOUR, 1.2),
    "api": (6 * HOUR, 1.0),
    "social": (2 * HOUR, 1.0),
    "chat": (70, 0.8),
    "phone": (20 * HOUR, 1.0),
}
PRIORITY_SPEED = {"low": 1.6, "normal": 1.0, "high": 0.6, "urgent": 0.3}
ANSWERED_CALLS = 0.85
DUPLICATE_SHARE = 0.012  # tickets that turn out to repeat the previous one and get merged into it
PROACTIVE_SHARE = 0.015
REOPEN_SHARE = 0.07
STUCK_SHARE = 0.02  # never solved: the long tail of the backlog
SUPPORT_DOMAIN = "support.example"


class _Cutoff(Exception):
    """The next step would happen at or after `until`: the ticket stays as it is now."""


@dataclass
class Rows:
    tickets: list[list] = field(default_factory=list)
    messages: list[tuple] = field(default_factory=list)
    events: list[tuple] = field(default_factory=list)
    time_entries: list[tuple] = field(default_factory=list)
    ticket_tags: list[tuple] = field(default_factory=list)


@dataclass
class NextIds:
    ticket: int
    message: int
    event: int
    time_entry: int
    ticket_tag: int


def priority_bump(rng: random.Random) -> bool:
    """Now and then the first agent to look raises the priority."""
    return rng.random() < 0.03


def _lognormal(rng: random.Random, median_sigma: tuple[float, float], factor: float = 1.0) -> int:
    median, sigma = median_sigma
    return max(1, int(rng.lognormvariate(math.log(median * factor), sigma)))


class _Ticket:
    """One ticket's state while its story is told; `message` and `status` follow tickets.services."""

    __slots__ = (
        "assignee",
        "channel",
        "chat_agent",
        "chat_end",
        "chat_start",
        "closed",
        "current",
        "customer_id",
        "email_ids",
        "first_solved",
        "frt",
        "gen",
        "last",
        "mail_domain",
        "message_count",
        "priority",
        "reopens",
        "row",
        "solved",
        "status",
        "switches",
        "t0",
        "tid",
        "updated",
    )

    def __init__(self, gen: TicketGenerator, tid: int, channel: str, t0: int, customer_id: int, domain: str) -> None:
        self.gen, self.tid, self.channel, self.current, self.t0 = gen, tid, channel, channel, t0
        self.customer_id, self.mail_domain = customer_id, domain
        self.status, self.assignee, self.priority = NEW, None, "normal"
        self.frt = self.first_solved = self.solved = self.closed = None
        self.reopens = self.switches = self.message_count = 0
        self.updated = self.last = t0
        self.email_ids: list[str] = []
        self.chat_agent = self.chat_start = self.chat_end = None
        self.row: list | None = None

    def at(self, ts: int) -> int:
        if ts >= self.gen.until:
            raise _Cutoff
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
            gen.time_entry(self.tid, agent, min(3600, max(20, _lognormal(rng, (240, 0.6)))), "call", "", ts)
        elif rng.random() < 0.12:
            gen.time_entry(self.tid, agent, 60 * rng.randint(5, 30), "manual", rng.choice(texts.MANUAL_TIME_NOTES), ts)
        else:
            gen.time_entry(self.tid, agent, min(3600, max(15, _lognormal(rng, (200, 0.7)))), "auto", "", ts)

    def flush_chat(self) -> None:
        if self.chat_agent is not None:
            seconds = max(60, self.chat_end - self.chat_start + 30)
            self.gen.time_entry(self.tid, self.chat_agent, seconds, "chat", "", self.chat_end)
            self.chat_agent = None


class TicketGenerator:
    """Makes the rows of whole days of tickets; ids continue from `ids` across calls."""

    def __init__(self, *, period: Period, clock: Clock, staff: Staff, customers: CustomerPool, ids: NextIds) -> None:
        self.period, self.until, self.fmt = period, period.until_ts, clock.fmt
        self.staff, self.customers, self.ids = staff, customers, ids
        self.rng = random.Random()  # noqa: S311  demo data; the caller passes a seeded one per day
        self.take_rows()

    def take_rows(self) -> Rows:
        """The rows made since the last call, handed over for writing."""
        rows = getattr(self, "rows", None)
        self.rows = Rows()
        # Direct references: appended to for every message and event.
        self.messages, self.events = self.rows.messages, self.rows.events
        return rows or Rows()

    def time_entry(self, tid: int, agent: int, seconds: int, source: str, note: str, ts: int) -> None:
        self.rows.time_entries.append((self.ids.time_entry, tid, agent, seconds, source, note, self.fmt(ts)))
        self.ids.time_entry += 1

    def day(self, rng: random.Random, arrivals: list[tuple[int, str]]) -> None:
        """All tickets of one day, in arrival order; now and then one duplicates the one before and is merged."""
        self.rng = rng
        previous: _Ticket | None = None
        for t0, channel in arrivals:
            if previous is not None and rng.random() < DUPLICATE_SHARE:
                merge_at = in_work_hours(t0 + rng.randint(600, 4 * HOUR), self.period.utc_offset, rng)
                if previous.closed is None or previous.closed > merge_at:
                    self._duplicate(t0, previous, merge_at)
                    previous = None
                    continue
            previous = self._ticket(t0, channel)

    def _new_ticket(self, t0: int, channel: str, position: int) -> _Ticket:
        pool = self.customers
        ticket = _Ticket(self, self.ids.ticket, channel, t0, pool.base_id + position, pool.mail_domain[position])
        self.ids.ticket += 1
        return ticket

    def _ticket(self, t0: int, channel: str) -> _Ticket:
        rng, pool, staff = self.rng, self.customers, self.staff
        position = pool.pick(rng, CUSTOMER_KIND[channel], t0)
        ticket = self._new_ticket(t0, channel, position)
        locale, plan, name = pool.locale[position], pool.plan[position], pool.first_name[position]
        if plan == "enterprise" and rng.random() < 0.7:
            topic = "vip"
        else:
            topic = rng.choices(texts.TOPICS[:3], cum_weights=TOPIC_CUM_WEIGHTS)[0]
        if topic == "vip":
            priority = rng.choices(("normal", "high", "urgent"), weights=(45, 35, 20))[0]
        else:
            priority = rng.choices(("low", "normal", "high", "urgent"), weights=(20, 62, 14, 4))[0]
        ticket.priority = priority
        agents = staff.agents[topic]
        proactive = channel in ("email", "phone") and rng.random() < PROACTIVE_SHARE
        if proactive or channel in ("chat", "phone") or rng.random() < 0.7:
            ticket.assignee = rng.choice(agents)  # routed on arrival
        words = {"order": pool.order[position], "plan": plan.title(), "amount": f"{rng.randint(9, 480)}.00 USD"}
        phrases = texts.PHRASES[locale]
        subject = rng.choice(texts.SUBJECTS[locale][topic]).format(**words)
        detail = rng.choice(texts.DETAILS[locale][topic]).format(**words)
        speed = PRIORITY_SPEED[priority] * (0.5 if topic == "vip" else 1.0)  # as it was when the ticket came in

        def customer_text(kind: str, channel: str) -> str:
            text = rng.choice(phrases[kind]).format(**words) if kind != "detail" else detail
            if channel in ("email", "portal", "api"):
                greeting, signoff = rng.choice(phrases["greetings"]), rng.choice(phrases["signoffs"])
                return f"{greeting}\n\n{text}\n\n{signoff}\n{name}"
            return f"{phrases['call_in']}: {text}" if channel == "phone" else text

        def agent_text(kind: str, channel: str, agent: int) -> str:
            if kind == "reply":
                fix = rng.choice(texts.FIXES[locale][topic]).format(**words)
                text = rng.choice(phrases["replies"]).format(name=name, fix=fix)
            else:
                text = rng.choice(phrases[kind]).format(name=name, **words)
            if channel == "phone":
                return f"{phrases['call_out']}: {text}"
            if channel in ("email", "portal"):
                return f"{text}\n\n{rng.choice(phrases['signoffs'])}\n{staff.agent_names[agent].split()[0]}"
            return text

        with contextlib.suppress(_Cutoff):  # the story stops where `until` cuts it
            self._story(ticket, rng, topic, proactive, speed, customer_text, agent_text, phrases, words)
        ticket.flush_chat()
        tags = rng.sample(texts.TAGS[topic], rng.choices((0, 1, 2, 3), weights=(25, 45, 22, 8))[0])
        if ticket.priority == "urgent" and rng.random() < 0.5:
            tags.append(texts.URGENT_TAGS[locale])
        for tag in tags:
            self.rows.ticket_tags.append((self.ids.ticket_tag, ticket.tid, staff.tag_ids[tag]))
            self.ids.ticket_tag += 1
        fmt = self.fmt
        ticket.row = [
            ticket.tid,
            subject,
            ticket.status,
            ticket.priority,
            channel,
            ticket.current,
            staff.team_ids[topic],
            ticket.assignee,
            ticket.customer_id,
            proactive,
            fmt(t0),
            fmt(ticket.updated),
            fmt(ticket.frt),
            fmt(ticket.first_solved),
            fmt(ticket.solved),
            fmt(ticket.closed),
            ticket.reopens,
            ticket.switches,
            None,
        ]
        self.rows.tickets.append(ticket.row)
        return ticket

    def _story(self, t: _Ticket, rng, topic, proactive, speed, customer_text, agent_text, phrases, words) -> None:
        """The conversation, step by step, until it is closed or `until` cuts it off."""
        offset, channel, agents = self.period.utc_offset, t.channel, self.staff.agents[topic]
        t0 = t.t0
        if proactive:
            t.event(t0, "created", t.assignee, "", channel)
            t.message(t0, channel, OUTBOUND, t.assignee, agent_text("proactive", channel, t.assignee))
            t.work(t0, channel, t.assignee)
        else:
            t.event(t0, "created", None, "", channel)
            t.message(t0, channel, INBOUND, None, customer_text("detail", channel))
        if not proactive and rng.random() < ACK_SHARE[channel]:
            ack = phrases["chat_ack"] if channel == "chat" else phrases["ack"].format(tid=t.tid)
            t.message(t.at(t0 + rng.randint(2, 40)), channel, OUTBOUND, None, ack, automatic=True)

        values, weights = LENGTHS[channel]
        turns = rng.choices(values, weights=weights)[0] - 1  # after the first message
        switch_to, switch_at = None, turns + 1
        if channel in SWITCHES and rng.random() < SWITCHES[channel][1]:
            switch_to, switch_at = SWITCHES[channel][0], rng.randint(1, turns)
        agent_turn = not proactive
        first_agent_turn = True
        # A call the customer makes is answered at once (a reply with no wait) unless it is missed.
        after_call = channel == "phone" and not proactive
        for turn in range(1, turns + 1):
            on = switch_to if turn >= switch_at else t.current
            last_turn = turn == turns
            if agent_turn:
                agent = t.assignee if t.assignee is not None and rng.random() < 0.9 else rng.choice(agents)
                before = t.last
                if on == "phone" and after_call and rng.random() < ANSWERED_CALLS:
                    wait = 0
                elif first_agent_turn and not proactive:
                    wait = _lognormal(rng, FIRST_REPLY[on], speed)
                    if wait > 1800 and on != "phone" and rng.random() < 0.12:
                        # The customer writes again before anyone answered.
                        t.message(t.at(before + wait // 2), t.current, INBOUND, None, phrases["nudge"])
                else:
                    wait = _lognormal(rng, AGENT_GAP[on], speed)
                ts = before + wait
                if wait and (on not in ("chat", "phone") or wait > HOUR):
                    ts = in_work_hours(ts, offset, rng)
                ts = t.at(ts)
                if t.assignee is None:
                    t.assignee = agent
                    t.event(ts, "assignee", agent, "", self.staff.agent_names[agent])
                if first_agent_turn and t.priority == "normal" and priority_bump(rng):
                    t.event(ts, "priority", agent, "normal", "high")
                    t.priority = "high"
                if ts - before > 60 and rng.random() < 0.12:
                    note = rng.choice(phrases["notes"]).format(**words)
                    note_at = max(before, ts - rng.randint(30, 600))
                    t.message(note_at, t.current, NOTE, rng.choice(agents), note)
                kind = "reply" if first_agent_turn else ("agent_close" if last_turn else "agent_follow")
                t.message(ts, on, OUTBOUND, agent, agent_text(kind, on, agent))
                t.work(ts, on, agent)
                first_agent_turn = False
                if not last_turn and on != "chat":
                    roll = rng.random()
                    if roll < 0.45:
                        t.status_to(t.at(ts + rng.randint(1, 30)), PENDING, agent)
                    elif roll < 0.5:
                        t.status_to(t.at(ts + rng.randint(1, 30)), ON_HOLD, agent)
            else:
                ts = t.last + _lognormal(rng, CUSTOMER_GAP[on])
                if on == "phone":
                    ts = in_work_hours(ts, offset, rng)
                text = customer_text("customer_thanks" if last_turn else "customer_follow", on)
                t.message(t.at(ts), on, INBOUND, None, text)
                after_call = on == "phone"
            agent_turn = not agent_turn

        if rng.random() < STUCK_SHARE:
            # Waiting on the customer or a third party for good: the old tail of the backlog.
            roll = rng.random()
            if roll < 0.7 and t.status not in (PENDING, ON_HOLD):
                waiter = t.assignee if t.assignee is not None else rng.choice(agents)
                t.status_to(t.at(t.last + rng.randint(60, HOUR)), PENDING if roll < 0.4 else ON_HOLD, waiter)
            return
        solver = t.assignee if t.assignee is not None else rng.choice(agents)
        self._solve(t, rng, solver)
        if rng.random() < REOPEN_SHARE:
            # The customer writes again before the auto-close: a reopen, another answer, another solve.
            again = t.at(t.solved + rng.randint(2 * HOUR, 3 * DAY))
            t.message(again, t.current, INBOUND, None, customer_text("customer_follow", t.current))
            ts = t.at(in_work_hours(t.last + _lognormal(rng, AGENT_GAP[t.current], speed), offset, rng))
            t.message(ts, t.current, OUTBOUND, solver, agent_text("reply", t.current, solver))
            t.work(ts, t.current, solver)
            self._solve(t, rng, solver)
        # The hourly auto-close job closes tickets solved HELPDESK_AUTO_CLOSE_DAYS ago.
        t.status_to(t.at(t.solved + AUTO_CLOSE_AFTER + rng.randrange(HOUR)), CLOSED, None)

    def _solve(self, t: _Ticket, rng: random.Random, agent: int) -> None:
        if t.current == "chat":
            wait = rng.randint(30, 600)
        elif t.current == "phone":
            wait = rng.randint(60, 1800)
        else:
            if t.status not in (PENDING, ON_HOLD) and rng.random() < 0.5:
                # "Let us know if that works": wait for the customer before solving.
                t.status_to(t.at(t.last + rng.randint(1, 30)), PENDING, agent)
            # Pending: no answer from the customer, so it is solved after a wait.
            wait = rng.randint(1 * DAY, 4 * DAY) if t.status == PENDING else rng.randint(600, 6 * HOUR)
        t.status_to(t.at(t.last + wait), SOLVED, agent)

    def _duplicate(self, t0: int, target: _Ticket, merge_at: int) -> None:
        """The same customer writes again on a new ticket, and an agent merges it into the earlier one.

        As services.ticket_merge: its messages move to the target, and it is closed pointing at it.
        """
        rng, channel = self.rng, target.channel
        position = target.customer_id - self.customers.base_id
        dup = self._new_ticket(t0, channel, position)
        merged = merge_at < self.until
        on = target.tid if merged else None
        phrases = texts.PHRASES[self.customers.locale[position]]
        dup.event(t0, "created", None, "", channel)
        dup.message(t0, channel, INBOUND, None, phrases["nudge"], on=on)
        ack_at = t0 + rng.randint(2, 40)
        if rng.random() < ACK_SHARE[channel] and ack_at < self.until:
            ack = phrases["chat_ack"] if channel == "chat" else phrases["ack"].format(tid=dup.tid)
            dup.message(ack_at, channel, OUTBOUND, None, ack, automatic=True, on=on)
        subject, team, priority = target.row[1], target.row[6], target.row[3]
        if merged:
            agent = target.assignee if target.assignee is not None else rng.choice(self.staff.agents["technical"])
            dup.event(merge_at, "merged_into", agent, "", str(target.tid))
            dup.status_to(merge_at, CLOSED, agent)
            target.event(merge_at, "merged_from", agent, "", str(dup.tid))
            target.row[_UPDATED] = self.fmt(target.updated)
        fmt = self.fmt
        self.rows.tickets.append(
            [
                dup.tid,
                subject,
                dup.status,
                priority,
                channel,
                dup.current,
                team,
                None,
                dup.customer_id,
                False,
                fmt(t0),
                fmt(dup.updated),
                None,
                None,
                None,
                fmt(dup.closed),
                0,
                0,
                target.tid if merged else None,
            ]
        )
