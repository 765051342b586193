"""Tickets and their conversations, played forward in time the way tickets.services would record them.

Each ticket is a small simulation: the customer writes, agents answer after a channel-typical
delay, statuses move, some tickets switch channel, get reopened or merged, and solved ones
are closed by the auto-close job four days later. Whatever would happen after `until` is cut
off, so old tickets end up solved or closed and recent ones are still new, open or pending.

The state changes mirror services.message_add, ticket_change_status and ticket_merge, so the
rows keep the invariants the metrics rely on (first_response_at, solved_at, reopen_count, ...)
and carry the stamps tickets.services.stamps would have written; a first solve sends the survey
invitation (tickets.demo.surveys).
"""

from __future__ import annotations

import contextlib
import random

from tickets.demo import texts
from tickets.demo.arrivals import DAY, HOUR, Clock, Period, in_work_hours
from tickets.demo.hours import BusinessClock
from tickets.demo.people import CustomerPool, Staff
from tickets.demo.story import (
    AUTO_CLOSE_AFTER,
    CLOSED,
    INBOUND,
    NOTE,
    ON_HOLD,
    OUTBOUND,
    PENDING,
    SOLVED,
    STAMPS_AT,
    UPDATED_AT,
    Cutoff,
    NextIds,
    Rows,
    TicketState,
    lognormal,
)
from tickets.demo.surveys import SurveyDesk

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


def priority_bump(rng: random.Random) -> bool:
    """Now and then the first agent to look raises the priority."""
    return rng.random() < 0.03


class TicketGenerator:
    """Makes the rows of whole days of tickets; ids continue from `ids` across calls."""

    def __init__(
        self,
        *,
        period: Period,
        clock: Clock,
        staff: Staff,
        customers: CustomerPool,
        ids: NextIds,
        clocks: dict[int, BusinessClock],
        surveys: SurveyDesk,
    ) -> None:
        self.period, self.until, self.fmt = period, period.until_ts, clock.fmt
        self.staff, self.customers, self.ids = staff, customers, ids
        self.clocks, self.surveys = clocks, surveys  # business hours per team id; survey invitations
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
        previous: TicketState | None = None
        for t0, channel in arrivals:
            if previous is not None and rng.random() < DUPLICATE_SHARE:
                merge_at = in_work_hours(t0 + rng.randint(600, 4 * HOUR), self.period.utc_offset, rng)
                if previous.closed is None or previous.closed > merge_at:
                    self._duplicate(t0, previous, merge_at)
                    previous = None
                    continue
            previous = self._ticket(t0, channel)

    def _new_ticket(self, t0: int, channel: str, position: int) -> TicketState:
        pool = self.customers
        ticket = TicketState(self, self.ids.ticket, channel, t0, pool.base_id + position, pool.mail_domain[position])
        self.ids.ticket += 1
        return ticket

    def _ticket(self, t0: int, channel: str) -> TicketState:
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
        ticket.priority, ticket.team = priority, staff.team_ids[topic]
        agents = staff.agents[topic]
        proactive = channel in ("email", "phone") and rng.random() < PROACTIVE_SHARE
        ticket.proactive = proactive
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

        with contextlib.suppress(Cutoff):  # the story stops where `until` cuts it
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
            *ticket.stamps(),
        ]
        self.rows.tickets.append(ticket.row)
        return ticket

    def _story(self, t: TicketState, rng, topic, proactive, speed, customer_text, agent_text, phrases, words) -> None:
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
                    wait = lognormal(rng, FIRST_REPLY[on], speed)
                    if wait > 1800 and on != "phone" and rng.random() < 0.12:
                        # The customer writes again before anyone answered.
                        t.message(t.at(before + wait // 2), t.current, INBOUND, None, phrases["nudge"])
                else:
                    wait = lognormal(rng, AGENT_GAP[on], speed)
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
                ts = t.last + lognormal(rng, CUSTOMER_GAP[on])
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
            ts = t.at(in_work_hours(t.last + lognormal(rng, AGENT_GAP[t.current], speed), offset, rng))
            t.message(ts, t.current, OUTBOUND, solver, agent_text("reply", t.current, solver))
            t.work(ts, t.current, solver)
            self._solve(t, rng, solver)
        # The hourly auto-close job closes tickets solved HELPDESK_AUTO_CLOSE_DAYS ago.
        t.status_to(t.at(t.solved + AUTO_CLOSE_AFTER + rng.randrange(HOUR)), CLOSED, None)

    def _solve(self, t: TicketState, rng: random.Random, agent: int) -> None:
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
        first = t.first_solved is None
        t.status_to(t.at(t.last + wait), SOLVED, agent)
        if first:
            self.surveys.invite(t, rng)

    def _duplicate(self, t0: int, target: TicketState, merge_at: int) -> None:
        """The same customer writes again on a new ticket, and an agent merges it into the earlier one.

        As services.ticket_merge: its messages move to the target, and it is closed pointing at it.
        """
        rng, channel = self.rng, target.channel
        position = target.customer_id - self.customers.base_id
        dup = self._new_ticket(t0, channel, position)
        dup.team = target.team
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
            target.row[UPDATED_AT] = self.fmt(target.updated)
            # ticket_merge recomputes the target's stamps with the moved message among its own.
            if target.first_inbound is None or t0 < target.first_inbound:
                target.first_inbound = t0
            if target.frt is None or t0 < target.frt:
                target.before_reply += 1
            target.row[STAMPS_AT:] = target.stamps()
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
                # message_add stamped the duplicate's own first message; the merge leaves its stamps be.
                *dup.stamps(),
            ]
        )
