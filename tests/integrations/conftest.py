"""Webhook tests deliver to a real local HTTP receiver (tests/integrations/receiver.py)."""

import pytest

from tests.integrations.receiver import receiver  # noqa: F401 - the fixture, for every test here


@pytest.fixture(autouse=True)
def _receiver_on_localhost_is_allowed(settings):
    # The receiver listens on 127.0.0.1; the test that proves private addresses are refused turns this off.
    settings.HELPDESK_WEBHOOK_ALLOW_PRIVATE_NETWORKS = True


@pytest.fixture
def task_queue(monkeypatch):
    """Tasks are recorded instead of run, so a test drives dispatch and delivery (and the clock) itself."""
    from integrations import tasks
    from tests.integrations.steps import TaskQueue

    queue = TaskQueue()

    def dispatch() -> None:
        queue.dispatches += 1

    monkeypatch.setattr(tasks.dispatch_webhooks, "delay", dispatch)
    monkeypatch.setattr(tasks.deliver_webhook_line, "delay", lambda sid, key: queue.lines.append((sid, key)))
    return queue


# The oldest transaction still running in *this* database, as a full 64-bit id; else the next id.
_THIS_DATABASE_HORIZON = """
SELECT COALESCE(MIN(CASE WHEN running.xid > now.next THEN running.xid - 4294967296 ELSE running.xid END), now.next)
FROM (SELECT pg_snapshot_xmax(pg_current_snapshot())::text::bigint AS next) AS now
LEFT JOIN LATERAL (
    SELECT ((now.next >> 32) << 32) + activity.backend_xid::text::bigint AS xid
    FROM pg_stat_activity AS activity
    WHERE activity.datname = current_database() AND activity.backend_xid IS NOT NULL
) AS running ON TRUE
GROUP BY now.next
"""


@pytest.fixture
def real_horizon():
    """Request it to read the log up to the real, server-wide horizon (see _horizon_of_this_database)."""


@pytest.fixture(autouse=True)
def _horizon_of_this_database(request, monkeypatch):
    """On PostgreSQL, read the log up to the oldest transaction running in the test database only.

    The real horizon (integrations/changes.py) is the oldest transaction on the whole server, all
    databases included: a long transaction of another test run on the same server (a bench loading a
    million tickets) would hold every reader here back for minutes. No other session writes to the
    test database, so ignoring the others changes nothing a test here checks; the tests of the
    horizon itself ask for `real_horizon`.
    """
    from django.db import connection

    from integrations import changes

    if "real_horizon" in request.fixturenames or connection.vendor != "postgresql":
        return

    def horizon() -> int:
        with connection.cursor() as cursor:
            cursor.execute(_THIS_DATABASE_HORIZON)
            return int(cursor.fetchone()[0])

    monkeypatch.setattr(changes, "horizon", horizon)
