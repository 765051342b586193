"""Seeding as a whole: staff, customers, then tickets day by day, written in chunks, then the rollups.

Every day of tickets draws from its own random.Random seeded with (seed, day), so the data
does not depend on --batch, and the same seed and --until always give the same rows.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from django.apps import apps
from django.conf import settings
from django.core import signing
from django.db import connections
from django.urls import reverse

from metrics.models import RollupWatermark, SurveyAnswer, SurveyInvitation
from metrics.rollups import rollups_refresh
from metrics.surveys import LINK_SALT, survey_url
from tickets.demo.arrivals import DAY, Clock, day_arrivals, period_before, tickets_per_day
from tickets.demo.bulk import BulkWriter, ChunkSink, check_columns
from tickets.demo.conversations import TicketGenerator
from tickets.demo.hours import clocks_for_teams, ensure_holidays
from tickets.demo.people import CUSTOMER_COLUMNS, IDENTITY_COLUMNS, agent_count_for, ensure_staff, write_customers
from tickets.demo.story import (
    EVENT_COLUMNS,
    MESSAGE_COLUMNS,
    TICKET_COLUMNS,
    TICKET_TAG_COLUMNS,
    TIME_ENTRY_COLUMNS,
    NextIds,
)
from tickets.demo.surveys import ANSWER_COLUMNS, INVITATION_COLUMNS, SurveyDesk
from tickets.models import Customer, CustomerIdentity, Message, SlaPolicy, Ticket, TicketEvent, TimeEntry

TicketTag = Ticket.tags.through
TABLES = (
    (Customer, CUSTOMER_COLUMNS),
    (CustomerIdentity, IDENTITY_COLUMNS),
    (Ticket, TICKET_COLUMNS),
    (Message, MESSAGE_COLUMNS),
    (TicketEvent, EVENT_COLUMNS),
    (TimeEntry, TIME_ENTRY_COLUMNS),
    (TicketTag, TICKET_TAG_COLUMNS),
    (SurveyInvitation, INVITATION_COLUMNS),
    (SurveyAnswer, ANSWER_COLUMNS),
)


@dataclass
class SeedResult:
    counts: dict[str, int]  # rows written per table
    seconds: float  # writing the rows
    agents: int
    rollup_seconds: float | None = None  # rebuilding the rollups afterwards; None when skipped


def _rng(*parts: object) -> random.Random:
    # A string seed is hashed with SHA-512 by random.Random: stable across runs and Python processes.
    return random.Random(":".join(str(part) for part in parts))  # noqa: S311  demo data, not secrets


def _survey_links() -> Callable[[int], str]:
    """Invitation id -> its survey link, as metrics.surveys.survey_url makes it (no score chosen).

    One signer for the whole run instead of an unsaved invitation per link; checked against
    metrics.surveys once, and that slower path is taken should the two ever differ.
    """
    prefix, _placeholder, suffix = reverse("surveys:answer", args=["TOKEN"]).rpartition("TOKEN")
    base = settings.HELPDESK_BASE_URL + prefix
    signer = signing.Signer(salt=LINK_SALT)

    def fast(invitation_id: int) -> str:
        return f"{base}{signer.sign_object(invitation_id)}{suffix}"

    def slow(invitation_id: int) -> str:
        return survey_url(invitation=SurveyInvitation(pk=invitation_id))

    return fast if fast(1) == slow(1) else slow


def sla_targets_apply() -> None:
    """Give the seeded tickets their priority's SLA targets, as ticket_create does (one UPDATE per policy)."""
    for policy in SlaPolicy.objects.all():
        Ticket.objects.filter(priority=policy.priority, sla_resolution_target__isnull=True).update(
            sla_first_response_target=policy.first_response_minutes * 60,
            sla_resolution_target=policy.resolution_minutes * 60,
        )


def rollups_rebuild() -> float:
    """Rebuild the metrics rollups from scratch; returns the seconds it took.

    The seeded rows are backdated, behind any watermark, so an incremental refresh would miss them.
    Then the planner's statistics of the rollup tables are refreshed, as BulkWriter.analyze does for
    the seeded tables: right after a rebuild PostgreSQL would guess a few rows where there are 100,000s.
    """
    started = time.monotonic()
    RollupWatermark.objects.all().delete()
    rollups_refresh()
    connection = connections["default"]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for model in apps.get_app_config("metrics").get_models():
                cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
    return time.monotonic() - started


def seed_demo_data(
    *,
    tickets: int,
    seed: int,
    until: date,
    batch: int = 10_000,
    using: str = "default",
    log: Callable[[str], None] | None = None,
    rollups: bool = True,
) -> SeedResult:
    """Add `tickets` tickets, with the customers, staff and conversations behind them, over the year before `until`.

    With `rollups`, the metrics rollups are rebuilt afterwards (on the default database).
    """
    started = time.monotonic()
    for model, columns in TABLES:
        check_columns(model, columns)
    period = period_before(until)
    clock = Clock()
    writer = BulkWriter(using=using, batch_size=2000)
    # Overlap generating and writing when each chunk can commit on its own connection.
    threaded = writer.use_copy and not connections[using].in_atomic_block
    # A fresh database loads fastest in one transaction with indexes rebuilt at the end.
    loaded = [model for model, _columns in TABLES]
    empty = not any(model._base_manager.using(using).exists() for model in loaded)
    single_load = loaded if threaded and writer.skip_fk_triggers and empty else ()
    agent_count = agent_count_for(tickets)
    staff = ensure_staff(agent_count=agent_count, period=period)
    ensure_holidays(period)
    clocks = clocks_for_teams(staff.team_ids.values(), period)
    # Read before the sink opens: a single load locks these tables until it commits.
    first_ids = {model: writer.next_id(model) for model in loaded}
    with writer.bulk_session(), ChunkSink(writer, threaded=threaded, single_load=single_load) as sink:
        customers = write_customers(
            count=max(1, round(tickets / 3)),
            rng=_rng(seed, "customers"),
            period=period,
            clock=clock,
            sink=sink,
            batch=batch,
            first_id=first_ids[Customer],
            first_identity_id=first_ids[CustomerIdentity],
        )
        ids = NextIds(
            ticket=first_ids[Ticket],
            message=first_ids[Message],
            event=first_ids[TicketEvent],
            time_entry=first_ids[TimeEntry],
            ticket_tag=first_ids[TicketTag],
            survey_invitation=first_ids[SurveyInvitation],
            survey_answer=first_ids[SurveyAnswer],
        )
        surveys = SurveyDesk(
            customers=customers,
            link_seconds=settings.HELPDESK_SURVEY_LINK_DAYS * DAY,
            survey_url=_survey_links(),
            until=period.until_ts,
        )
        generator = TicketGenerator(
            period=period, clock=clock, staff=staff, customers=customers, ids=ids, clocks=clocks, surveys=surveys
        )

        def flush() -> None:
            rows = generator.take_rows()
            sink.put(
                [
                    (Ticket, TICKET_COLUMNS, rows.tickets, ()),
                    (Message, MESSAGE_COLUMNS, rows.messages, ()),
                    (TicketEvent, EVENT_COLUMNS, rows.events, ()),
                    (TimeEntry, TIME_ENTRY_COLUMNS, rows.time_entries, ()),
                    (TicketTag, TICKET_TAG_COLUMNS, rows.ticket_tags, ()),
                    (SurveyInvitation, INVITATION_COLUMNS, rows.survey_invitations, ()),
                    (SurveyAnswer, ANSWER_COLUMNS, rows.survey_answers, ()),
                ]
            )

        done = pending = 0
        next_report = tickets // 10
        per_day = tickets_per_day(period, tickets, _rng(seed, "days"))
        for day, count in zip(period.days, per_day, strict=True):
            if not count:
                continue
            day_rng = _rng(seed, day.isoformat())
            generator.day(day_rng, day_arrivals(day_rng, period.local_midnight(day), count, period.start_ts))
            done, pending = done + count, pending + count
            if pending >= batch:
                flush()
                pending = 0
            if log and tickets >= 50_000 and done >= next_report:
                log(f"  {done:,} tickets generated after {time.monotonic() - started:.0f} s")
                next_report += tickets // 10
        flush()
        if log and tickets >= 50_000:
            log("  finishing the writes" + (", rebuilding indexes and checking foreign keys" if single_load else ""))
    if not single_load:
        writer.check_foreign_keys()  # a single load checked them before its commit
    writer.reset_sequences()
    sla_targets_apply()
    writer.analyze()
    seconds = time.monotonic() - started
    rollup_seconds = None
    if rollups:
        if log and tickets >= 50_000:
            log("  rebuilding the metrics rollups")
        rollup_seconds = rollups_rebuild()
    return SeedResult(counts=dict(writer.counts), seconds=seconds, agents=agent_count, rollup_seconds=rollup_seconds)
