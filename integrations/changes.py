"""The change log: written by the domain services inside their transactions, read in commit order.

Ids alone do not give commit order on PostgreSQL: a transaction that took id 100 may commit after
the one that took id 101, and a reader who saw 101 would skip 100 for ever. So each row carries
its transaction id, and readers stop before the oldest transaction still running (the snapshot's
xmin): everything below it has committed or rolled back, and no new row can appear there. Rows are
read in (txid, id) order, and a reader's position is the last (txid, id) it took.

On SQLite writers commit one at a time, ids follow commit order, and txid is always 0.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction
from django.db.models import Q, QuerySet

from integrations.models import Change, ChangeKind, SubjectType

# The largest id, as the id part of a position meaning "everything of this transaction".
MAX_ID = 2**63 - 1

_on_commit_hooks: list = []


@dataclass(frozen=True, order=True)
class LogPosition:
    """A place in the log: every change at or before (txid, change_id) has been read."""

    txid: int
    change_id: int


START = LogPosition(txid=-1, change_id=0)


def on_changes_committed(hook: Any) -> None:
    """Call `hook()` after each transaction that recorded changes commits (webhook dispatch registers here)."""
    if hook not in _on_commit_hooks:
        _on_commit_hooks.append(hook)


def _after_commit() -> None:
    for hook in _on_commit_hooks:
        hook()


def _value(value: Any) -> Any:
    """A changed value as JSON: model instances by id, dates as ISO text, sets sorted."""
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if hasattr(value, "pk"):
        return value.pk
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, set | frozenset):
        return sorted(_value(item) for item in value)
    if isinstance(value, list | tuple):
        return [_value(item) for item in value]
    if isinstance(value, dict):
        return {str(key): _value(item) for key, item in value.items()}
    return str(value)


def _row(
    *,
    kind: str,
    subject_type: str,
    subject_id: int,
    ticket_id: int | None,
    customer_id: int | None,
    changes: dict[str, tuple[Any, Any]] | None,
    actor: Any,
) -> Change:
    return Change(
        kind=kind,
        subject_type=subject_type,
        subject_id=subject_id,
        ticket_id=ticket_id,
        customer_id=customer_id,
        changes={field: [_value(before), _value(after)] for field, (before, after) in (changes or {}).items()},
        actor_id=getattr(actor, "pk", None),
    )


def change_record(
    *,
    kind: str,
    subject_type: str,
    subject_id: int,
    ticket_id: int | None = None,
    customer_id: int | None = None,
    changes: dict[str, tuple[Any, Any]] | None = None,
    actor: Any = None,
) -> None:
    """Log one change; call it inside the transaction that makes the change.

    `changes` maps a field to its (before, after) values; `actor` is the user who made the change.
    """
    changes_record(
        [
            _row(
                kind=kind,
                subject_type=subject_type,
                subject_id=subject_id,
                ticket_id=ticket_id,
                customer_id=customer_id,
                changes=changes,
                actor=actor,
            )
        ]
    )


def changes_record(rows: Iterable[Change]) -> None:
    """Log several changes in one insert (a merge moves many messages at once)."""
    rows = list(rows)
    if not rows:
        return
    Change.objects.bulk_create(rows)
    if _on_commit_hooks and not _after_commit_registered():
        transaction.on_commit(_after_commit, robust=True)


def _after_commit_registered() -> bool:
    # Once per savepoint level is enough: ticket_create alone records a ticket and its first message.
    # (Not once per transaction: a hook from an outer level would hide this level's from callers that
    # collect the hooks registered inside a block, like Django's captureOnCommitCallbacks.)
    current = set(connection.savepoint_ids)
    return any(entry[1] is _after_commit and entry[0] == current for entry in connection.run_on_commit)


def ticket_change(
    ticket: Any, kind: str = ChangeKind.TICKET_UPDATED, changes: dict | None = None, actor: Any = None
) -> Change:
    """An unsaved Change row about a ticket, for changes_record."""
    return _row(
        kind=kind,
        subject_type=SubjectType.TICKET,
        subject_id=ticket.pk,
        ticket_id=ticket.pk,
        customer_id=ticket.customer_id,
        changes=changes,
        actor=actor,
    )


def message_change(message: Any, kind: str, changes: dict | None = None, actor: Any = None) -> Change:
    """An unsaved Change row about a message, for changes_record."""
    return _row(
        kind=kind,
        subject_type=SubjectType.MESSAGE,
        subject_id=message.pk,
        ticket_id=message.ticket_id,
        customer_id=None,
        changes=changes,
        actor=actor,
    )


def customer_change(customer: Any, kind: str, changes: dict | None = None, actor: Any = None) -> Change:
    """An unsaved Change row about a customer, for changes_record."""
    return _row(
        kind=kind,
        subject_type=SubjectType.CUSTOMER,
        subject_id=customer.pk,
        ticket_id=None,
        customer_id=customer.pk,
        changes=changes,
        actor=actor,
    )


# --- reading --------------------------------------------------------------------------------


def horizon() -> int | None:
    """Changes of transactions at or past this id may still be running: readers stop before it.

    None means no limit (SQLite, whose committed rows are all there is).
    """
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute(_HORIZON_SQL)
        return int(cursor.fetchone()[0])


# The oldest transaction still running, other than the reader's own (whose rows it sees anyway), else the
# first id not yet handed out. Everything below it has committed or rolled back.
_HORIZON_SQL = """
SELECT LEAST(
    pg_snapshot_xmax(snapshot)::text::bigint,
    (SELECT min(running::text::bigint) FROM pg_snapshot_xip(snapshot) AS running
      WHERE running IS DISTINCT FROM pg_current_xact_id_if_assigned())
)
FROM pg_current_snapshot() AS snapshot
"""


def position_now() -> LogPosition:
    """A position from which a reader will see every change not yet committed now (and maybe a few that are)."""
    limit = horizon()
    if limit is None:
        last = Change.objects.order_by("-id").values_list("id", flat=True).first() or 0
        return LogPosition(txid=0, change_id=last)
    # Everything of transactions below the horizon has committed: a snapshot taken from now on sees it.
    return LogPosition(txid=limit - 1, change_id=MAX_ID)


def changes_after(position: LogPosition, *, limit: int) -> tuple[list[Change], LogPosition]:
    """Up to `limit` committed changes after `position`, in commit order, and the position after them.

    Stable under concurrent writes: a change that is not returned now because its transaction is
    still running comes later, after the returned position.
    """
    newer = Q(txid__gt=position.txid) | Q(txid=position.txid, id__gt=position.change_id)
    rows: QuerySet[Change] = Change.objects.filter(newer)
    limit_txid = horizon()
    if limit_txid is not None:
        rows = rows.filter(txid__lt=limit_txid)
    found = list(rows.order_by("txid", "id")[:limit])
    if not found:
        return [], position
    last = found[-1]
    return found, LogPosition(txid=last.txid, change_id=last.pk)


def changes_prune(*, older_than: Any, limit: int = 10_000) -> int:
    """Delete up to `limit` log rows written before `older_than` (the oldest first). Returns how many."""
    ids = list(Change.objects.filter(created_at__lt=older_than).order_by("id").values_list("pk", flat=True)[:limit])
    if not ids:
        return 0
    deleted, _rows = Change.objects.filter(pk__in=ids).delete()
    return deleted
