"""Seeding as a whole: staff, customers, then tickets day by day, written in chunks.

Every day of tickets draws from its own random.Random seeded with (seed, day), so the data
does not depend on --batch, and the same seed and --until always give the same rows.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from django.db import connections

from tickets.demo.arrivals import Clock, day_arrivals, period_before, tickets_per_day
from tickets.demo.bulk import BulkWriter, ChunkSink, check_columns
from tickets.demo.conversations import (
    EVENT_COLUMNS,
    MESSAGE_COLUMNS,
    TICKET_COLUMNS,
    TICKET_TAG_COLUMNS,
    TIME_ENTRY_COLUMNS,
    NextIds,
    TicketGenerator,
)
from tickets.demo.people import CUSTOMER_COLUMNS, IDENTITY_COLUMNS, agent_count_for, ensure_staff, write_customers
from tickets.models import Customer, CustomerIdentity, Message, Ticket, TicketEvent, TimeEntry

TicketTag = Ticket.tags.through
TABLES = (
    (Customer, CUSTOMER_COLUMNS),
    (CustomerIdentity, IDENTITY_COLUMNS),
    (Ticket, TICKET_COLUMNS),
    (Message, MESSAGE_COLUMNS),
    (TicketEvent, EVENT_COLUMNS),
    (TimeEntry, TIME_ENTRY_COLUMNS),
    (TicketTag, TICKET_TAG_COLUMNS),
)


@dataclass
class SeedResult:
    counts: dict[str, int]  # rows written per table
    seconds: float
    agents: int


def _rng(*parts: object) -> random.Random:
    # A string seed is hashed with SHA-512 by random.Random: stable across runs and Python processes.
    return random.Random(":".join(str(part) for part in parts))  # noqa: S311  demo data, not secrets


def seed_demo_data(
    *,
    tickets: int,
    seed: int,
    until: date,
    batch: int = 10_000,
    using: str = "default",
    log: Callable[[str], None] | None = None,
) -> SeedResult:
    """Add `tickets` tickets, with the customers, staff and conversations behind them, over the year before `until`."""
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
        )
        generator = TicketGenerator(period=period, clock=clock, staff=staff, customers=customers, ids=ids)

        def flush() -> None:
            rows = generator.take_rows()
            sink.put(
                [
                    (Ticket, TICKET_COLUMNS, rows.tickets, ()),
                    (Message, MESSAGE_COLUMNS, rows.messages, ()),
                    (TicketEvent, EVENT_COLUMNS, rows.events, ()),
                    (TimeEntry, TIME_ENTRY_COLUMNS, rows.time_entries, ()),
                    (TicketTag, TICKET_TAG_COLUMNS, rows.ticket_tags, ()),
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
    writer.analyze()
    return SeedResult(counts=dict(writer.counts), seconds=time.monotonic() - started, agents=agent_count)
