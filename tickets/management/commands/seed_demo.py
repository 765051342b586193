"""`manage.py seed_demo`: a year of realistic, reproducible helpdesk data, written in bulk.

The work is done in tickets/demo/; this command reads the options and prints the summary. The
tickets carry the metrics stamps, solved ones their surveys, and the rollups are rebuilt at the end.
"""

from __future__ import annotations

import argparse
from datetime import UTC, date, datetime

from django.core.management.base import BaseCommand, CommandError, CommandParser

from tickets.demo.seeder import seed_demo_data
from tickets.models import Ticket


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"expected YYYY-MM-DD, got {value!r}") from error


class Command(BaseCommand):
    help = (
        "Add demo customers, agents and tickets with their conversations over the 12 months before --until. "
        "The same --seed and --until give the same data."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--tickets", type=int, default=2000, help="How many tickets to add (default 2000).")
        parser.add_argument("--seed", type=int, default=42, help="Random seed (default 42).")
        parser.add_argument(
            "--until",
            type=_date,
            default=None,
            help="YYYY-MM-DD; the data covers the 12 months before this date (default: today in UTC).",
        )
        parser.add_argument("--if-empty", action="store_true", help="Do nothing when the database already has tickets.")
        parser.add_argument("--batch", type=int, default=10_000, help="Tickets written per chunk (default 10000).")
        parser.add_argument(
            "--skip-rollups", action="store_true", help="Do not rebuild the metrics rollups afterwards."
        )

    def handle(
        self,
        *args,
        tickets: int,
        seed: int,
        until: date | None,
        if_empty: bool,
        batch: int,
        skip_rollups: bool = False,
        **options,
    ) -> None:
        if tickets < 1:
            raise CommandError("--tickets must be at least 1.")
        if batch < 1:
            raise CommandError("--batch must be at least 1.")
        if if_empty and Ticket.objects.exists():
            self.stdout.write("The database already has tickets; nothing seeded (--if-empty).")
            return
        if isinstance(until, str):  # call_command(until="...") skips the argparse type
            try:
                until = date.fromisoformat(until)
            except ValueError as error:
                raise CommandError(f"--until: expected YYYY-MM-DD, got {until!r}") from error
        until = until or datetime.now(UTC).date()
        log = self.stdout.write if options["verbosity"] >= 1 else None
        result = seed_demo_data(tickets=tickets, seed=seed, until=until, batch=batch, log=log, rollups=not skip_rollups)
        self.stdout.write(
            self.style.SUCCESS(
                f"Seeded {tickets:,} tickets over the 12 months before {until} (seed {seed}) "
                f"in {result.seconds:.1f} s, with {result.agents} agents."
            )
        )
        if result.rollup_seconds is not None:
            self.stdout.write(f"Rebuilt the metrics rollups in {result.rollup_seconds:.1f} s.")
        width = max(len(table) for table in result.counts)
        for table, count in sorted(result.counts.items()):
            self.stdout.write(f"  {table:<{width}}  {count:>12,}")
