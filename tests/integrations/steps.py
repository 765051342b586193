"""Steps the webhook tests share: subscribe the receiver, read the whole log, run what was enqueued."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.db import connection

from integrations import changes
from integrations.changes import LogPosition
from integrations.models import Change, LogCursor, WebhookSubscription
from integrations.webhook_delivery import webhook_line_deliver
from integrations.webhooks import WEBHOOKS_CURSOR, webhook_subscription_create, webhooks_dispatch


def subscribe(url: str, events: list[str] | None = None, name: str = "CRM sync") -> tuple[WebhookSubscription, str]:
    """A subscription that starts after every change committed so far (the test's earlier changes)."""
    if not connection.in_atomic_block:
        # On PostgreSQL a new subscription starts at the oldest running transaction (see position_now);
        # another session on the server may hold that back a moment, and it would include earlier changes.
        last = Change.objects.order_by("-txid", "-id").values_list("txid", "id").first()
        if last is not None:
            eventually(lambda: changes.position_now() >= LogPosition(*last), run=lambda: None)
    return webhook_subscription_create(name=name, url=url, events=events or ["*"])


def eventually(check: Callable[[], Any], *, run: Callable[[], Any], seconds: float = 15) -> Any:
    """`check()` once true; until then `run()` again, as beat would.

    On PostgreSQL another session on the same server (another test run) may hold the log's horizon
    back for a moment (see integrations/changes.py); the dispatcher then reads a change a little later.
    """
    deadline = time.monotonic() + seconds
    while not (result := check()):
        assert time.monotonic() < deadline, "not done in time"
        time.sleep(0.05)
        run()
    return result


def readable(count: int) -> None:
    """Wait until the dispatcher's next run can read `count` changes (every change it has not read yet)."""
    cursor = LogCursor.objects.get(name=WEBHOOKS_CURSOR)
    position = LogPosition(cursor.txid, cursor.change_id)
    eventually(lambda: len(changes.changes_after(position, limit=count + 1)[0]) == count, run=lambda: None)


def dispatch_all() -> None:
    """Run the dispatcher until it has read every change committed so far (the tests commit for real)."""
    last = Change.objects.order_by("-txid", "-id").values_list("txid", "id").first()

    def read_everything() -> bool:
        cursor = LogCursor.objects.filter(name=WEBHOOKS_CURSOR).values_list("txid", "change_id").first()
        return last is None or (cursor is not None and cursor >= last)

    webhooks_dispatch()
    eventually(read_everything, run=webhooks_dispatch)


class TaskQueue:
    """Stands in for the broker: records what would be enqueued, and runs it when the test says so."""

    def __init__(self) -> None:
        self.lines: list[tuple[int, str]] = []
        self.dispatches = 0

    def run_lines(self, now: datetime | None = None) -> int:
        """Deliver every enqueued line (at `now`); returns how many deliveries got through."""
        lines, self.lines = self.lines, []
        return sum(
            webhook_line_deliver(subscription_id=subscription_id, ordering_key=key, now=now)
            for subscription_id, key in dict.fromkeys(lines)
        )
