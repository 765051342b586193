"""`manage.py metrics_backfill`: stamp the tickets of a database made before the metrics stamps existed.

Every ticket's conversation stamps (first customer message, first response, contacts, customer
messages before the first reply) are recomputed from its messages by the same function the services
use after a merge; its resolution stamps from first_solved_at and solved_at, in the business hours
of its team. Tickets are read in id order, a chunk per transaction, so the tables stay usable and
an interrupted run can go on with --after. Then the rollups are rebuilt from scratch. Running it
again changes nothing.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, transaction

from metrics.models import RollupWatermark
from metrics.rollups import rollups_refresh
from tickets.business_hours import Schedule, schedule_for_team
from tickets.models import Ticket
from tickets.services import stamps

WRITE_BATCH = 1000  # rows per UPDATE: well under SQLite's 32,766 parameters
RESOLUTION_FIELDS = [
    "first_resolution_seconds",
    "first_resolution_business_seconds",
    "resolution_seconds",
    "resolution_business_seconds",
]


def resolution_stamps(ticket: Ticket, schedule: Schedule) -> None:
    """From creation to the first and to the latest solve, as stamps.stamp_solve writes them at each solve."""
    ticket.first_resolution_seconds = ticket.first_resolution_business_seconds = None
    ticket.resolution_seconds = ticket.resolution_business_seconds = None
    if ticket.first_solved_at is not None:
        ticket.first_resolution_seconds = stamps.elapsed_seconds(ticket.created_at, ticket.first_solved_at)
        ticket.first_resolution_business_seconds = schedule.seconds_between(ticket.created_at, ticket.first_solved_at)
    if ticket.solved_at is not None:
        ticket.resolution_seconds = stamps.elapsed_seconds(ticket.created_at, ticket.solved_at)
        ticket.resolution_business_seconds = schedule.seconds_between(ticket.created_at, ticket.solved_at)


@contextmanager
def schedules_cached() -> Iterator[Callable[[int | None], Schedule]]:
    """One schedule per team for the whole run, also inside stamps.ticket_stamps_recompute.

    schedule_for_team reads the team and the holidays on every call: two queries per ticket, for the
    same few teams, a million times over. Swapping the name stamps looks up only makes that faster;
    should stamps stop using it, the backfill stays correct and is merely slower.
    """
    cache: dict[int | None, Schedule] = {}

    def cached(team_id: int | None) -> Schedule:
        if team_id not in cache:
            cache[team_id] = schedule_for_team(team_id)
        return cache[team_id]

    original = stamps.schedule_for_team
    stamps.schedule_for_team = cached
    try:
        yield cached
    finally:
        stamps.schedule_for_team = original


def stamps_write(tickets: list[Ticket], names: list[str]) -> None:
    """WITH v AS (VALUES …) UPDATE … FROM v: the new stamps of up to WRITE_BATCH tickets per statement.

    bulk_update builds a CASE per field and row, which cost more than the recomputing itself.
    updated_at stays: nothing happened to the tickets, and the rollups are rebuilt whole afterwards.
    """
    fields = [Ticket._meta.get_field(name) for name in names]
    quote = connection.ops.quote_name
    table, pk = quote(Ticket._meta.db_table), quote(Ticket._meta.pk.column)
    columns = [quote(field.column) for field in fields]
    if connection.vendor == "postgresql":
        # A VALUES column of only NULLs would be text: say what each one is.
        values = [f"CAST(v.{c} AS {f.db_type(connection)})" for c, f in zip(columns, fields, strict=True)]
    else:
        values = [f"v.{column}" for column in columns]
    assignments = ", ".join(f"{column} = {value}" for column, value in zip(columns, values, strict=True))
    row = f"({', '.join(['%s'] * (len(fields) + 1))})"
    for start in range(0, len(tickets), WRITE_BATCH):
        batch = tickets[start : start + WRITE_BATCH]
        # Only names from the model and placeholders are formatted in; the values go as parameters.
        sql = (
            f"WITH v(id, {', '.join(columns)}) AS (VALUES {', '.join([row] * len(batch))}) "  # noqa: S608
            f"UPDATE {table} SET {assignments} FROM v WHERE {table}.{pk} = v.id"
        )
        params: list[object] = []
        for ticket in batch:
            params.append(ticket.pk)
            params += [field.get_db_prep_value(getattr(ticket, field.attname), connection) for field in fields]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)


def backfill_chunk(after: int, size: int, schedule_of: Callable[[int | None], Schedule]) -> tuple[int, int]:
    """Restamp the next `size` tickets with an id above `after`, in one transaction; returns (count, last id)."""
    with transaction.atomic():
        tickets = list(Ticket.objects.select_for_update().filter(pk__gt=after).order_by("pk")[:size])
        if not tickets:
            return 0, after
        fields: list[str] = []
        for ticket in tickets:
            fields = stamps.ticket_stamps_recompute(ticket=ticket)
            resolution_stamps(ticket, schedule_of(ticket.team_id))
        stamps_write(tickets, [*fields, *RESOLUTION_FIELDS])
    return len(tickets), tickets[-1].pk


def rollups_rebuild() -> None:
    """Forget the watermarks, so the next refresh builds every rollup again from the restamped tickets."""
    RollupWatermark.objects.all().delete()
    rollups_refresh()


class Command(BaseCommand):
    help = (
        "Recompute every ticket's metrics stamps from its messages and solves, then rebuild the rollups. "
        "For databases made before the stamps existed; safe to run again."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--chunk", type=int, default=2000, help="Tickets per transaction (default 2000).")
        parser.add_argument("--after", type=int, default=0, help="Start after this ticket id (to resume a run).")
        parser.add_argument("--skip-rollups", action="store_true", help="Restamp only; leave the rollups as they are.")

    def handle(self, *args, chunk: int, after: int, skip_rollups: bool, **options) -> None:
        if chunk < 1:
            raise CommandError("--chunk must be at least 1.")
        if after < 0:
            raise CommandError("--after must not be negative.")
        total = Ticket.objects.filter(pk__gt=after).count()
        self.stdout.write(f"Restamping {total:,} tickets, {chunk:,} per transaction.")
        started = time.monotonic()
        done, last, next_report = 0, after, time.monotonic() + 10
        with schedules_cached() as schedule_of:
            while True:
                count, last = backfill_chunk(last, chunk, schedule_of)
                if not count:
                    break
                done += count
                if time.monotonic() >= next_report or done >= total:
                    share = 100 * done / total if total else 100
                    self.stdout.write(
                        f"  {done:,} of {total:,} tickets ({share:.0f}%) after {time.monotonic() - started:.0f} s, "
                        f"last id {last}"
                    )
                    next_report = time.monotonic() + 10
        self.stdout.write(f"Restamped {done:,} tickets in {time.monotonic() - started:.1f} s.")
        if skip_rollups:
            return
        rollups_started = time.monotonic()
        rollups_rebuild()
        self.stdout.write(f"Rebuilt the rollups in {time.monotonic() - rollups_started:.1f} s.")
        self.stdout.write(self.style.SUCCESS("Backfill done."))
