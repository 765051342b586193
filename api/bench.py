"""API figures for `manage.py bench`: filtered ticket lists at the server, and ticket creation under load
through a real gunicorn with two workers, as an integrator's client would drive it."""

from __future__ import annotations

import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import connection

from accounts.models import User
from api.models import ApiToken
from api.tokens import token_create
from integrations.models import Change
from tickets.models import Customer, Ticket

BENCH_SUBJECT = "Bench API ticket"
LIST_TARGET_MS = 50
CREATE_TARGET_PER_SECOND = 100


def bench_token(user: User) -> str:
    """A fresh read-write token for the bench user, with no practical rate limit; older bench tokens go."""
    ApiToken.objects.filter(user=user, name="bench").delete()
    return token_create(name="bench", user=user, scopes=["read", "write"], requests_per_minute=10_000_000)[1]


def list_queries(team_id: int | None, agent_id: int | None, tag: str | None) -> list[tuple[str, str]]:
    """(label, URL) of the filtered lists of 100 tickets an integrator asks for most."""
    queries = [
        ("api list ?status=open", "status=open"),
        ("api list ?status=new,open&priority", "status=new&status=open&priority=high"),
        ("api list ?updated_after (sync)", "updated_after=2000-01-01T00:00:00Z&ordering=updated_at"),
        ("api list ?ordering=id (walk)", "ordering=id"),
    ]
    if team_id:
        queries.append((f"api list ?team={team_id}&status=open", f"team={team_id}&status=open"))
    if agent_id:
        queries.append((f"api list ?assignee={agent_id}", f"assignee={agent_id}"))
    if tag:
        queries.append((f"api list ?tag={tag}", f"tag={tag}"))
    return [(label, f"/api/v1/tickets/?page_size=100&{query}") for label, query in queries]


@dataclass
class LoadFigures:
    requests: int
    errors: int
    seconds: float
    latencies_ms: list[float]
    first_error: str = ""

    @property
    def per_second(self) -> float:
        return (self.requests - self.errors) / self.seconds if self.seconds else 0.0

    @property
    def median_ms(self) -> float:
        return statistics.median(self.latencies_ms) if self.latencies_ms else 0.0

    @property
    def p95_ms(self) -> float:
        ordered = sorted(self.latencies_ms)
        return ordered[int(0.95 * (len(ordered) - 1))] if ordered else 0.0


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _database_url() -> str:
    """The URL of the database this process uses, so gunicorn's workers write to the same one."""
    db = settings.DATABASES["default"]
    if db["ENGINE"] == "django.db.backends.sqlite3":
        return f"sqlite:///{db['NAME']}"
    user = db.get("USER") or "postgres"
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{user}{password}@{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/{db['NAME']}"


class Gunicorn:
    """gunicorn serving this project on a free port with `workers` sync workers, for the length of a `with`."""

    def __init__(self, workers: int = 2, threads: int = 1) -> None:
        self.workers = workers
        self.threads = threads
        self.port = _free_port()
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> Gunicorn:
        env = {
            **os.environ,
            "DATABASE_URL": _database_url(),
            "DEBUG": "false",
            "SECRET_KEY": settings.SECRET_KEY,
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "LOG_LEVEL": "WARNING",
        }
        gunicorn = Path(sys.executable).with_name("gunicorn")
        self.process = subprocess.Popen(  # noqa: S603 - our own server, fixed arguments
            [
                str(gunicorn),
                "helpdesk.wsgi",
                "--workers",
                str(self.workers),
                "--threads",
                str(self.threads),
                "--bind",
                f"127.0.0.1:{self.port}",
                "--log-level",
                "warning",
            ],
            cwd=settings.BASE_DIR,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                status, _body = self.request("GET", "/healthz")
                if status == 200:
                    return self
            except OSError:
                pass
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited: {self.process.stderr.read().decode()[-500:]}")
            time.sleep(0.2)
        raise RuntimeError("gunicorn did not answer /healthz within 30 s")

    def __exit__(self, *exc: object) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()

    def request(
        self, method: str, path: str, body: bytes | None = None, headers: dict | None = None
    ) -> tuple[int, bytes]:
        client = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            client.request(method, path, body=body, headers=headers or {})
            response = client.getresponse()
            return response.status, response.read()
        finally:
            client.close()


def _drive(
    server: Gunicorn, count: int, concurrency: int, make_body: Callable[[int], bytes], token: str
) -> LoadFigures:
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    latencies: list[float] = []
    errors: list[str] = []
    numbers = iter(range(count))
    lock = threading.Lock()

    def worker() -> None:
        while True:
            with lock:
                number = next(numbers, None)
            if number is None:
                return
            started = time.perf_counter()
            try:
                status, body = server.request("POST", "/api/v1/tickets/", make_body(number), headers)
            except OSError as error:
                status, body = 0, str(error).encode()
            elapsed = (time.perf_counter() - started) * 1000
            with lock:
                latencies.append(elapsed)
                if status != 201:
                    errors.append(f"{status} {body[:200]!r}")

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - started
    return LoadFigures(
        requests=count,
        errors=len(errors),
        seconds=seconds,
        latencies_ms=latencies,
        first_error=errors[0] if errors else "",
    )


def create_load(*, token: str, count: int, concurrency: int = 8, workers: int = 2, threads: int = 1) -> LoadFigures:
    """POST /api/v1/tickets/ `count` times from `concurrency` clients at gunicorn with `workers` workers.

    Each request opens a ticket with its first message for an existing customer. The tickets made
    are deleted afterwards, with their change-log rows.
    """
    customers = list(Customer.objects.order_by("-pk").values_list("pk", flat=True)[:1000])
    if not customers:
        raise RuntimeError("no customers to open tickets for")

    def body(number: int) -> bytes:
        return json.dumps(
            {
                "subject": f"{BENCH_SUBJECT} {number}",
                "body": f"Bench message {number}: my order has not arrived.",
                "customer": customers[number % len(customers)],
                "priority": "normal",
                "tags": ["bench"],
            }
        ).encode()

    connection.close()  # the workers write meanwhile; this process reads nothing until they are done
    try:
        with Gunicorn(workers=workers, threads=threads) as server:
            _drive(server, min(20, count), concurrency, body, token)  # warm-up: imports, connections
            return _drive(server, count, concurrency, body, token)
    finally:
        made = list(Ticket.objects.filter(subject__startswith=BENCH_SUBJECT).values_list("pk", flat=True))
        Change.objects.filter(ticket_id__in=made).delete()
        Ticket.objects.filter(pk__in=made).delete()
