"""Rollups: small tables the dashboards read instead of scanning every ticket and message.

They are filled by an idempotent task (metrics.rollups.rollups_refresh) behind a watermark on
Ticket.updated_at and Message.created_at, never more than a minute behind. A day's rows are
always recomputed whole from the source tables, so running the task twice changes nothing.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

__all__ = [
    "DailyDurationHistogram",
    "DailyEscalations",
    "DailyHandleTime",
    "DailySurveyAnswers",
    "DailyTeamDurationHistogram",
    "DailyTicketStats",
    "HourlyArrivals",
    "RollupWatermark",
    "TicketRollupState",
]


class DailyTicketStats(models.Model):
    """Per day (site time zone) and team, assignee and channel of origin: the ticket counts and sums.

    Priority is left out to keep the table small (a tenth of the tickets, not a third): a priority
    filter is read live.

    Each column counts by the day its event happened: created by creation, first response by the
    first reply, solved and resolution by the latest solve, first resolution by the first solve.
    """

    day = models.DateField(_("day"))
    team_id = models.IntegerField(_("team"), null=True)
    agent_id = models.IntegerField(_("assignee"), null=True)
    channel = models.CharField(_("channel of origin"), max_length=10)
    created = models.IntegerField(default=0)
    unanswered = models.IntegerField(default=0, help_text=_("Created that day, customer wrote, no reply yet."))
    first_response_count = models.IntegerField(default=0)
    first_response_sum = models.BigIntegerField(default=0)
    first_response_business_sum = models.BigIntegerField(default=0)
    before_reply_sum = models.IntegerField(default=0, help_text=_("Customer messages before the first reply."))
    solved = models.IntegerField(default=0)
    resolution_sum = models.BigIntegerField(default=0)
    resolution_business_sum = models.BigIntegerField(default=0)
    contacted = models.IntegerField(default=0, help_text=_("Solved with at least one contact."))
    first_contact_resolved = models.IntegerField(default=0)
    reopened = models.IntegerField(default=0, help_text=_("Solved, and reopened at least once before."))
    sla_due = models.IntegerField(default=0, help_text=_("Solved, with SLA targets."))
    sla_met = models.IntegerField(default=0, help_text=_("Solved within both SLA targets."))
    first_resolution_count = models.IntegerField(default=0)
    first_resolution_sum = models.BigIntegerField(default=0)
    first_resolution_business_sum = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("daily ticket figures")
        verbose_name_plural = _("daily ticket figures")
        indexes = [
            models.Index(fields=["day"], name="rollup_ticket_day_idx"),
            models.Index(fields=["team_id", "day"], name="rollup_ticket_team_day_idx"),
            models.Index(fields=["agent_id", "day"], name="rollup_ticket_agent_day_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.day} team {self.team_id} agent {self.agent_id} {self.channel}"


class DailyDurationHistogram(models.Model):
    """How many durations of one kind ended on a day, per bucket of length (metrics.histogram.EDGES)."""

    class Measure(models.TextChoices):
        FIRST_RESPONSE = "frt", _("First response time")
        FIRST_RESPONSE_BUSINESS = "frt_b", _("First response time, business hours")
        RESOLUTION = "res", _("Resolution time")
        RESOLUTION_BUSINESS = "res_b", _("Resolution time, business hours")
        FIRST_RESOLUTION = "fres", _("First resolution time")
        FIRST_RESOLUTION_BUSINESS = "fres_b", _("First resolution time, business hours")

    day = models.DateField(_("day"))
    measure = models.CharField(_("measure"), max_length=6, choices=Measure.choices)
    bucket = models.SmallIntegerField(_("bucket"))
    count = models.IntegerField(_("count"))

    class Meta:
        verbose_name = _("daily duration histogram")
        verbose_name_plural = _("daily duration histograms")
        # A period's buckets of every measure by an index-only scan (PostgreSQL).
        indexes = [models.Index(fields=["day"], include=["measure", "bucket", "count"], name="rollup_histogram_idx")]

    def __str__(self) -> str:
        return f"{self.day} {self.measure} bucket {self.bucket}: {self.count}"


class DailyEscalations(models.Model):
    """Tickets created per day that moved from their channel of origin to another channel, by team and origin."""

    day = models.DateField(_("day"))
    team_id = models.IntegerField(_("team"), null=True)
    agent_id = models.IntegerField(_("assignee"), null=True)
    channel = models.CharField(_("channel of origin"), max_length=10)
    to_channel = models.CharField(_("moved to"), max_length=10)
    tickets = models.IntegerField(_("tickets"))

    class Meta:
        verbose_name = _("daily escalations")
        verbose_name_plural = _("daily escalations")
        indexes = [models.Index(fields=["day"], name="rollup_escalations_day_idx")]

    def __str__(self) -> str:
        return f"{self.day} {self.channel}→{self.to_channel}: {self.tickets}"


class DailyTeamDurationHistogram(models.Model):
    """DailyDurationHistogram per team (null: tickets without a team), for team-filtered percentiles."""

    day = models.DateField(_("day"))
    team_id = models.IntegerField(_("team"), null=True)
    measure = models.CharField(_("measure"), max_length=6, choices=DailyDurationHistogram.Measure.choices)
    bucket = models.SmallIntegerField(_("bucket"))
    count = models.IntegerField(_("count"))

    class Meta:
        verbose_name = _("daily duration histogram per team")
        verbose_name_plural = _("daily duration histograms per team")
        indexes = [
            models.Index(
                fields=["team_id", "day"], include=["measure", "bucket", "count"], name="rollup_team_histogram_idx"
            )
        ]

    def __str__(self) -> str:
        return f"{self.day} team {self.team_id} {self.measure} bucket {self.bucket}: {self.count}"


class HourlyArrivals(models.Model):
    """Inbound customer messages per local day and hour in the time zone of the ticket's team, per channel."""

    day = models.DateField(_("day"))
    hour = models.SmallIntegerField(_("hour"))
    team_id = models.IntegerField(_("team"), null=True)
    channel = models.CharField(_("channel"), max_length=10)
    count = models.IntegerField(_("count"))

    class Meta:
        verbose_name = _("hourly arrivals")
        verbose_name_plural = _("hourly arrivals")
        indexes = [models.Index(fields=["day"], name="rollup_arrivals_day_idx")]

    def __str__(self) -> str:
        return f"{self.day} {self.hour}:00 team {self.team_id} {self.channel}: {self.count}"


class TicketRollupState(models.Model):
    """The days a ticket was last counted on, so a change (a reopen, a merge) also recomputes the old days."""

    ticket_id = models.BigIntegerField(primary_key=True)
    created_day = models.DateField(null=True)
    first_response_day = models.DateField(null=True)
    solved_day = models.DateField(null=True)
    first_solved_day = models.DateField(null=True)

    class Meta:
        verbose_name = _("ticket rollup state")
        verbose_name_plural = _("ticket rollup states")

    def __str__(self) -> str:
        return f"#{self.ticket_id}"


class RollupWatermark(models.Model):
    """How far the rollups have read each source."""

    name = models.CharField(max_length=40, primary_key=True)
    value = models.DateTimeField()
    # The highest message and event ids read: rows written late with earlier times are still found.
    last_message_id = models.BigIntegerField(default=0)
    last_event_id = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("rollup watermark")
        verbose_name_plural = _("rollup watermarks")

    def __str__(self) -> str:
        return f"{self.name}: {self.value}"


class DailyHandleTime(models.Model):
    """Agent time logged per day (site time zone), by the ticket's team and the entry's agent (what the rates need).

    Filters by channel or priority are read live from the time entries.
    """

    day = models.DateField(_("day"))
    team_id = models.IntegerField(_("team"), null=True)
    agent_id = models.IntegerField(_("agent"))
    seconds = models.BigIntegerField(_("seconds"))

    class Meta:
        verbose_name = _("daily handle time")
        verbose_name_plural = _("daily handle time")
        indexes = [models.Index(fields=["day"], name="rollup_handle_day_idx")]

    def __str__(self) -> str:
        return f"{self.day} agent {self.agent_id}: {self.seconds}s"


class DailySurveyAnswers(models.Model):
    """Survey answers per day first given and question, by the team and channel they kept.

    Filters by agent are read live from the answers.
    """

    day = models.DateField(_("day"))
    question = models.CharField(_("question"), max_length=4)
    team_id = models.IntegerField(_("team"), null=True)
    channel = models.CharField(_("channel"), max_length=10)
    count = models.IntegerField(_("answers"))
    total = models.IntegerField(_("sum of scores"))
    satisfied = models.IntegerField(_("CSAT 4–5"), default=0)
    promoters = models.IntegerField(_("NPS 9–10"), default=0)
    detractors = models.IntegerField(_("NPS 0–6"), default=0)

    class Meta:
        verbose_name = _("daily survey answers")
        verbose_name_plural = _("daily survey answers")
        indexes = [models.Index(fields=["question", "day"], name="rollup_answers_day_idx")]

    def __str__(self) -> str:
        return f"{self.day} {self.question}: {self.count}"
