"""`manage.py bench`: how fast the main pages, the dashboards and ticket intake are on a large data set.

Prints, never asserts. Seeds up to --tickets first (with seed_demo's generator, which also builds the
metrics rollups), then times each page with the test client, DEBUG off, and counts its SQL queries.
The dashboard figures are marked when they miss their targets (issue 5): the manager overview of
the last 12 months under OVERVIEW_TARGET_MS at the server, each figure of the metrics API under
FIGURE_TARGET_MS.
"""

from __future__ import annotations

import logging
import math
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import partial

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.db.models import Count
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, reverse

from accounts.models import User
from accounts.roles import GROUP_NAMES, Role, role_groups_sync, user_set_role
from tickets import services
from tickets.demo.seeder import seed_demo_data
from tickets.models import Customer, Message, Team, Ticket

BENCH_USERNAME = "bench-admin"
BENCH_MANAGER_USERNAME = "bench-manager"
OVERVIEW_TARGET_MS = 1000
FIGURE_TARGET_MS = 500
DASHBOARD_PERIOD = "12m"
ACTIVITY_TICKETS = 100  # tickets changed through the services: a busy minute, for the rollup refresh
LONG_TICKET_SUBJECT = "Bench: a conversation of fifty messages"
LONG_TICKET_MESSAGES = 50


@contextmanager
def quiet_request_errors() -> Iterator[None]:
    """A failing page is reported in one line; keep Django's request log from printing its traceback too."""
    logger = logging.getLogger("django.request")
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        logger.setLevel(level)


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile: with 20 runs, p95 is the 19th fastest."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


class Command(BaseCommand):
    help = "Time the ticket list, a long ticket, the manager overview and ticket creation on --tickets tickets."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--tickets", type=int, default=100_000, help="Seed up to this many tickets first.")
        parser.add_argument("--runs", type=int, default=20, help="Requests timed per page (default 20).")
        parser.add_argument("--creates", type=int, default=300, help="ticket_create calls timed (default 300).")
        parser.add_argument("--seed", type=int, default=42, help="Seed for the tickets added, if any.")
        parser.add_argument(
            "--emails", type=int, default=10_000, help="Emails ingested from files for the intake figure (0: skip)."
        )
        parser.add_argument(
            "--figure-runs", type=int, default=5, help="Runs timed per dashboard figure and API call (default 5)."
        )
        parser.add_argument(
            "--api-creates",
            type=int,
            default=2000,
            help="POST /api/v1/tickets/ requests sent to a gunicorn with 2 workers (0: skip; needs a database "
            "other processes can open, so not an in-memory one).",
        )

    def handle(
        self,
        *args,
        tickets: int,
        runs: int,
        creates: int,
        seed: int,
        emails: int,
        figure_runs: int,
        api_creates: int = 0,
        **options,
    ) -> None:
        if runs < 1 or creates < 1 or tickets < 0 or figure_runs < 1:
            raise CommandError("--runs, --figure-runs and --creates must be at least 1, --tickets at least 0.")
        executor = MigrationExecutor(connection)
        if executor.migration_plan(executor.loader.graph.leaf_nodes()):
            raise CommandError("The database has unapplied migrations: run manage.py migrate first.")
        self._seed_up_to(tickets, seed)
        admin = self._admin()
        long_ticket = self._long_ticket(admin)
        client = Client()
        client.force_login(admin)
        # Production-like rendering: no debug query log; plain static files so no manifest is needed.
        with (
            quiet_request_errors(),
            override_settings(
                DEBUG=False,
                ALLOWED_HOSTS=[*settings.ALLOWED_HOSTS, "testserver"],
                STORAGES={
                    **settings.STORAGES,
                    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
                },
            ),
        ):
            self._page(client, runs, "ticket list", "tickets:list")
            self._page(client, runs, "ticket list ?status=open", "tickets:list", query="?status=open")
            self._page(
                client, runs, f"ticket page ({LONG_TICKET_MESSAGES} messages)", "tickets:detail", [long_ticket.pk]
            )
            self._page(client, runs, "manager overview", "metrics:overview")
            self._dashboards(figure_runs, admin)
            self._api_lists(runs, admin)
        try:
            self._creates(creates, admin)
        except Exception as error:  # the service may be mid-change too; report and finish
            self._line("ticket_create + first message", f"failed: {type(error).__name__}: {error}")
        if api_creates:
            self._api_creates(api_creates, admin)
        if emails:
            self._emails(emails)

    def _line(self, label: str, text: str) -> None:
        self.stdout.write(f"{label:<36} {text}")

    def _seed_up_to(self, tickets: int, seed: int) -> None:
        present = Ticket.objects.count()
        if present >= tickets:
            self._line("seed", f"not needed: {present:,} tickets present")
            return
        result = seed_demo_data(tickets=tickets - present, seed=seed, until=datetime.now(UTC).date())
        rows = sum(result.counts.values())
        self._line("seed", f"{tickets - present:,} tickets ({rows:,} rows) in {result.seconds:.1f} s")
        if result.rollup_seconds is not None:
            self._line("rollups: full rebuild", f"{result.rollup_seconds * 1000:9.1f} ms")

    def _admin(self) -> User:
        return self._user(BENCH_USERNAME, Role.ADMIN)

    def _user(self, username: str, role: Role) -> User:
        user, created = User.objects.get_or_create(
            username=username, defaults={"first_name": "Bench", "email": f"{username}@support.example"}
        )
        if created:
            user.set_unusable_password()  # only ever logged in with force_login
            user.save(update_fields=["password"])
            if not Group.objects.filter(name=GROUP_NAMES[role]).exists():
                role_groups_sync()
            user_set_role(user=user, role=role)
        return user

    def _long_ticket(self, admin: User) -> Ticket:
        """A ticket with about fifty messages: reused if a previous run made it, else written through the services."""
        existing = (
            Ticket.objects.filter(subject=LONG_TICKET_SUBJECT)
            .annotate(n=Count("messages"))
            .filter(n__gte=LONG_TICKET_MESSAGES)
            .first()
        )
        if existing:
            return existing
        customer = Customer.objects.order_by("pk").first() or services.customer_create(name="Bench customer")
        ticket = services.ticket_create(
            customer=customer, subject=LONG_TICKET_SUBJECT, channel="email", body_text="Message 1 from the customer."
        )
        for number in range(2, LONG_TICKET_MESSAGES + 1):
            inbound = number % 2 == 1
            services.message_add(
                ticket=ticket,
                channel="email",
                direction=Message.Direction.INBOUND if inbound else Message.Direction.OUTBOUND,
                body_text=f"Message {number} from the {'customer' if inbound else 'agent'}.",
                author_customer=customer if inbound else None,
                author_agent=None if inbound else admin,
            )
        return ticket

    def _page(
        self, client: Client, runs: int, label: str, name: str, args: list | None = None, query: str = ""
    ) -> None:
        try:
            url = reverse(name, args=args) + query
        except (NoReverseMatch, ImportError) as error:
            self._line(label, f"page missing ({name}: {type(error).__name__})")
            return
        try:
            response = client.get(url)  # warm-up: caches, lazy imports, the first connection
            if response.status_code != 200:
                self._line(label, f"answered {response.status_code} at {url}")
                return
            timings = []
            for _run in range(runs):
                started = time.perf_counter()
                client.get(url)
                timings.append((time.perf_counter() - started) * 1000)
            with CaptureQueriesContext(connection) as queries:
                client.get(url)
        except Exception as error:  # a page under construction may fail in any way; report it and go on
            self._line(label, f"failed at {url}: {type(error).__name__}: {error}")
            return
        median, p95 = statistics.median(timings), percentile(timings, 0.95)
        self._line(label, f"median {median:7.1f} ms   p95 {p95:7.1f} ms   queries {len(queries.captured_queries)}")

    def _timed(self, label: str, runs: int, call: Callable[[], object], target_ms: float | None = None) -> None:
        """Time `call` (after one warm-up) and count the queries of one more run; one line, marked when slow."""
        try:
            call()
            timings = []
            for _run in range(runs):
                started = time.perf_counter()
                call()
                timings.append((time.perf_counter() - started) * 1000)
            with CaptureQueriesContext(connection) as queries:
                call()
        except Exception as error:  # a figure under construction may fail in any way; report it and go on
            self._line(label, f"failed: {type(error).__name__}: {error}")
            return
        median, p95 = statistics.median(timings), percentile(timings, 0.95)
        verdict = ""
        if target_ms is not None:
            verdict = f"   OVER TARGET ({target_ms:.0f} ms)" if median > target_ms else f"   ok (< {target_ms:.0f} ms)"
        self._line(
            label, f"median {median:7.1f} ms   p95 {p95:7.1f} ms   queries {len(queries.captured_queries)}{verdict}"
        )

    def _get(self, client: Client, url: str) -> Callable[[], object]:
        def call() -> object:
            response = client.get(url)
            if response.status_code != 200:
                raise RuntimeError(f"answered {response.status_code} at {url}")
            return response

        return call

    def _dashboards(self, runs: int, actor: User) -> None:
        """The manager overview of the last 12 months, every figure and the per-team table, and a rollup refresh."""
        try:
            from metrics import figures
            from metrics.scope import scope_from_params
        except ImportError as error:
            self._line("dashboards", f"missing: {error}")
            return
        manager = self._user(BENCH_MANAGER_USERNAME, Role.MANAGER)
        client = Client()
        client.force_login(manager)
        scope = scope_from_params({"period": DASHBOARD_PERIOD})
        team = Team.objects.order_by("pk").first()
        try:
            overview_url = reverse("metrics:overview")
        except NoReverseMatch:
            self._line("dashboards", "page missing (metrics:overview)")
        else:
            query = f"?period={DASHBOARD_PERIOD}"
            self._timed(
                f"overview {DASHBOARD_PERIOD} (manager)",
                runs,
                self._get(client, overview_url + query),
                OVERVIEW_TARGET_MS,
            )
            if team is not None:
                self._timed(
                    f"overview {DASHBOARD_PERIOD} team={team.pk}",
                    runs,
                    self._get(client, f"{overview_url}{query}&team={team.pk}"),
                    OVERVIEW_TARGET_MS,
                )
        for key in figures.ALL_KEYS:
            self._timed(f"figure {key}", runs, partial(figures.figure, scope, key), FIGURE_TARGET_MS)
        self._timed("figure breakdown by team", runs, partial(figures.breakdown, scope, "team"), FIGURE_TARGET_MS)
        if team is not None:
            team_scope = scope.with_filters(team=team.pk)
            self._timed(f"figure overview team={team.pk}", runs, partial(figures.overview, team_scope), None)
        self._api(client, runs, figures.ALL_KEYS)
        self._rollup_refresh(actor)

    def _api(self, client: Client, runs: int, keys: list[str]) -> None:
        """GET /api/v1/metrics/<key>/ for every figure, when the metrics API is there."""
        try:
            reverse("metrics_api:figure", args=["x"])
        except NoReverseMatch:
            self._line("api", "missing (metrics_api:figure)")
            return
        query = f"?period={DASHBOARD_PERIOD}"
        for key in keys:
            url = reverse("metrics_api:figure", args=[key]) + query
            self._timed(f"api {key}", runs, self._get(client, url), FIGURE_TARGET_MS)
        url = reverse("metrics_api:breakdown", args=["team"]) + query
        self._timed("api breakdown/team", runs, self._get(client, url), FIGURE_TARGET_MS)
        self._timed(
            "api overview", runs, self._get(client, reverse("metrics_api:overview") + query), OVERVIEW_TARGET_MS
        )

    def _api_lists(self, runs: int, admin: User) -> None:
        """GET /api/v1/tickets/ with 100 rows and the filters integrators use, with a token, at the server."""
        from api.bench import LIST_TARGET_MS, bench_token, list_queries

        client = Client(headers={"Authorization": f"Bearer {bench_token(admin)}"})
        team = Team.objects.order_by("pk").first()
        agent = (
            Ticket.objects.filter(assignee__isnull=False).order_by("-pk").values_list("assignee_id", flat=True).first()
        )
        tag = Ticket.tags.through.objects.order_by("-pk").values_list("tag__name", flat=True).first()
        for label, url in list_queries(team.pk if team else None, agent, tag):
            self._timed(label, runs, self._get(client, url), LIST_TARGET_MS)

    def _api_creates(self, count: int, admin: User) -> None:
        """Tickets opened through the API by 8 clients against gunicorn with 2 workers, as requests per second."""
        from api.bench import CREATE_TARGET_PER_SECOND, bench_token, create_load

        label = "api POST /tickets/ (gunicorn -w 2)"
        if connection.in_atomic_block:
            # Inside a test's transaction: another process would never see the data, or wait on its locks.
            self._line(label, "skipped: this process holds an open transaction")
            return
        try:
            figures = create_load(token=bench_token(admin), count=count)
        except Exception as error:  # report and finish, like the other figures
            self._line(label, f"failed: {type(error).__name__}: {error}")
            return
        verdict = "ok" if figures.per_second >= CREATE_TARGET_PER_SECOND else "UNDER TARGET"
        errors = f", {figures.errors} errors, first: {figures.first_error}" if figures.errors else ""
        self._line(
            label,
            f"{figures.per_second:7.1f} per second   median {figures.median_ms:.1f} ms   p95 {figures.p95_ms:.1f} ms   "
            f"({figures.requests} in {figures.seconds:.1f} s{errors})   {verdict} (>= {CREATE_TARGET_PER_SECOND}/s)",
        )

    def _rollup_refresh(self, actor: User) -> None:
        """A busy minute through the services (replies and solves on open tickets), then one rollup refresh."""
        try:
            from metrics.rollups import rollups_refresh

            rollups_refresh()  # catch up first: only the minute below is timed
            open_tickets = list(
                Ticket.objects.filter(
                    status__in=[Ticket.Status.NEW, Ticket.Status.OPEN], merged_into__isnull=True
                ).order_by("-pk")[:ACTIVITY_TICKETS]
            )
            for number, ticket in enumerate(open_tickets):
                services.message_add(
                    ticket=ticket,
                    channel=ticket.current_channel,
                    direction=Message.Direction.OUTBOUND,
                    body_text="Bench: an answer from the rollup benchmark.",
                    author_agent=actor,
                )
                if number % 2 == 0:
                    services.ticket_change_status(ticket=ticket, status=Ticket.Status.SOLVED, actor=actor)
            started = time.perf_counter()
            with CaptureQueriesContext(connection) as queries:
                result = rollups_refresh()
            milliseconds = (time.perf_counter() - started) * 1000
        except Exception as error:  # the rollups may be mid-change too; report and finish
            self._line("rollups: refresh after a minute", f"failed: {type(error).__name__}: {error}")
            return
        self._line(
            "rollups: refresh after a minute",
            f"{milliseconds:9.1f} ms   queries {len(queries.captured_queries)}   "
            f"({len(open_tickets)} tickets changed, {result.days} days recomputed)",
        )

    def _creates(self, count: int, actor: User) -> None:
        """ticket_create with a first message, each in its own transaction as intake does; removed afterwards."""
        customer = Customer.objects.order_by("pk").first() or services.customer_create(name="Bench customer")
        created = []
        started = time.perf_counter()
        for number in range(count):
            ticket = services.ticket_create(
                customer=customer,
                subject=f"Bench ticket {number}",
                channel="email",
                body_text=f"Bench message {number}.",
                actor=actor,
            )
            created.append(ticket.pk)
        seconds = time.perf_counter() - started
        Ticket.objects.filter(pk__in=created).delete()
        self._line("ticket_create + first message", f"{count / seconds:7.1f} per second   ({count} in {seconds:.2f} s)")

    def _emails(self, count: int) -> None:
        """Raw .eml files stored and processed one by one in this process, as one intake worker does."""
        from channels_intake.bench import email_ingest_bench

        try:
            figures = email_ingest_bench(count=count)
        except Exception as error:  # report and finish, like the other figures
            self._line("email intake (one worker)", f"failed: {type(error).__name__}: {error}")
            return
        self._line(
            "email intake (one worker)",
            f"{figures.per_second:7.1f} per second   ({figures.messages} emails, {figures.tickets} tickets, "
            f"{figures.seconds:.1f} s)",
        )
