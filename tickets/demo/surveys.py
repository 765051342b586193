"""The demo's satisfaction surveys: who is invited when a ticket is solved, who answers, and what they say.

As metrics.surveys does it: one invitation per ticket, at its first solve, as an automatic message on
the customer's last channel (a phone ticket's by email), asking CSAT and CES every time and NPS at
most once per customer in 90 days; an answer keeps the ticket's assignee, team and channel of origin.
Scores are drawn so that a year comes out near the benchmarks of docs/metrics.md (CSAT about 85 %
satisfied, CES about 5.4 of 7, NPS about +30), lower after slow, escalated or urgent tickets.
"""

from __future__ import annotations

import bisect
import math
import random
from collections.abc import Callable
from typing import TYPE_CHECKING

from tickets.demo import texts
from tickets.demo.arrivals import DAY, HOUR
from tickets.demo.people import CustomerPool

if TYPE_CHECKING:
    from tickets.demo.story import TicketState

INVITATION_COLUMNS = (
    "id",
    "ticket_id",
    "customer_id",
    "channel",
    "asks_csat",
    "asks_ces",
    "asks_nps",
    "message_id",
    "sent_at",
    "expires_at",
)
ANSWER_COLUMNS = (
    "id",
    "invitation_id",
    "ticket_id",
    "customer_id",
    "question",
    "score",
    "comment",
    "agent_id",
    "team_id",
    "channel",
    "answered_at",
    "updated_at",
)

NPS_EVERY = 90 * DAY  # metrics.surveys.NPS_EVERY
# Share of invitations answered, by the channel the invitation went out on.
ANSWER_RATE = {"email": 0.18, "portal": 0.26, "chat": 0.34, "social": 0.14, "api": 0.10}
# Median wait from the invitation to the answer (lognormal, sigma 1.2): chat answers while still there.
ANSWER_DELAY = {"chat": 90, "social": 30 * 60}
DEFAULT_ANSWER_DELAY = 3 * HOUR
ALSO_CES, ALSO_NPS = 0.92, 0.85  # share of answers that score CES and (when asked) NPS beside CSAT
COMMENT_SHARE, CHANGED_SHARE = 0.3, 0.03  # answers with a comment; answers submitted a second time

# Scores by whether the customer was satisfied: (values, cumulative weights).
CSAT = {True: ((4, 5), (0.4, 1.0)), False: ((1, 2, 3), (0.2, 0.5, 1.0))}
CES = {True: ((3, 4, 5, 6, 7), (0.04, 0.13, 0.35, 0.70, 1.0)), False: ((1, 2, 3, 4, 5), (0.15, 0.35, 0.6, 0.85, 1.0))}
NPS = {
    True: (tuple(range(11)), (0.0, 0.0, 0.0, 0.0, 0.01, 0.04, 0.09, 0.24, 0.43, 0.70, 1.0)),
    False: (tuple(range(11)), (0.08, 0.15, 0.25, 0.36, 0.48, 0.6, 0.7, 0.84, 0.95, 0.98, 1.0)),
}


def satisfied_share(*, resolution: int, switched: bool, priority: str) -> float:
    """How likely the customer is satisfied, from what the ticket was like to them."""
    share = 0.895
    if resolution > 3 * DAY:
        share -= 0.12
    elif resolution > DAY:
        share -= 0.05
    if switched:
        share -= 0.06
    if priority == "urgent":
        share -= 0.05
    return share


class SurveyDesk:
    """Sends the demo's survey invitations and writes the answers; remembers whom NPS was asked, and when."""

    def __init__(
        self, *, customers: CustomerPool, link_seconds: int, survey_url: Callable[[int], str], until: int
    ) -> None:
        self.customers = customers
        self.link_seconds = link_seconds
        self.survey_url = survey_url  # invitation id -> the signed link
        self.until = until
        # customer id -> when NPS invitations went out (sorted). Tickets are played by creation, not by
        # solve, so the 90 days are checked both ways: the rule holds whatever order they are made in.
        self.nps_asked: dict[int, list[int]] = {}

    def nps_due(self, customer_id: int, ts: int) -> bool:
        asked = self.nps_asked.get(customer_id)
        if not asked:
            return True
        index = bisect.bisect_left(asked, ts)
        after_ok = index == len(asked) or asked[index] - ts >= NPS_EVERY
        before_ok = index == 0 or ts - asked[index - 1] >= NPS_EVERY
        return after_ok and before_ok

    def invite(self, ticket: TicketState, rng: random.Random) -> None:
        """Invite the customer of a ticket solved for the first time just now; raises Cutoff past `until`."""
        gen = ticket.gen
        position = ticket.customer_id - self.customers.base_id
        channel = ticket.current
        if channel in ("phone", "email"):
            # A call cannot carry a link: its survey goes by email, if the customer has an address.
            if not self.customers.has_email[position]:
                return
            channel = "email"
        sent = ticket.at(ticket.solved + rng.randint(5, 90))  # the task runs once the solve commits
        invitation_id = gen.ids.survey_invitation
        gen.ids.survey_invitation += 1
        asks_nps = self.nps_due(ticket.customer_id, sent)
        if asks_nps:
            bisect.insort(self.nps_asked.setdefault(ticket.customer_id, []), sent)
        locale = self.customers.locale[position]
        body = texts.PHRASES[locale]["survey"].format(tid=ticket.tid, url=self.survey_url(invitation_id))
        message_id = gen.ids.message
        ticket.message(sent, channel, "outbound", None, body, automatic=True)
        expires = sent + self.link_seconds
        fmt = gen.fmt
        gen.rows.survey_invitations.append(
            (
                invitation_id,
                ticket.tid,
                ticket.customer_id,
                channel,
                True,
                True,
                asks_nps,
                message_id,
                fmt(sent),
                fmt(expires),
            )
        )
        if rng.random() >= ANSWER_RATE[channel]:
            return
        median = ANSWER_DELAY.get(channel, DEFAULT_ANSWER_DELAY)
        answered = sent + max(5, int(rng.lognormvariate(math.log(median), 1.2)))
        if answered >= min(expires, self.until):
            return  # not answered (yet)
        satisfied = rng.random() < satisfied_share(
            resolution=ticket.solved - ticket.t0, switched=ticket.switches > 0, priority=ticket.priority
        )
        questions = ["csat"]
        if rng.random() < ALSO_CES:
            questions.append("ces")
        if asks_nps and rng.random() < ALSO_NPS:
            questions.append("nps")
        comment = ""
        if rng.random() < COMMENT_SHARE:
            comment = rng.choice(texts.SURVEY_COMMENTS[locale]["good" if satisfied else "bad"])
        updated = answered
        if rng.random() < CHANGED_SHARE and answered + 600 < min(expires, self.until):
            updated = answered + rng.randint(20, 600)  # sent the page again, the same scores
        scales = {"csat": CSAT, "ces": CES, "nps": NPS}
        for index, question in enumerate(questions):
            values, cum_weights = scales[question][satisfied]
            score = rng.choices(values, cum_weights=cum_weights)[0]
            gen.rows.survey_answers.append(
                (
                    gen.ids.survey_answer,
                    invitation_id,
                    ticket.tid,
                    ticket.customer_id,
                    question,
                    score,
                    comment if index == 0 else "",
                    ticket.assignee,
                    ticket.team,
                    ticket.channel,
                    fmt(answered),
                    fmt(updated),
                )
            )
            gen.ids.survey_answer += 1
