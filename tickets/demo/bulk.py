"""Fast row writing for demo data: COPY on PostgreSQL, bulk_create elsewhere.

Rows are plain tuples in a fixed column order with explicit primary keys, so children can point
at parents without reading ids back. Timestamps arrive as ISO strings (see arrivals.fmt), which
both COPY and Django's DateTimeField accept.
"""

from __future__ import annotations

import csv
import io
import json
import queue
import threading
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from types import TracebackType

from django.db import connections, models, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Max

# Message rows are the biggest: a COPY of a few MB per call keeps memory flat and round trips few.
_COPY_READ_SIZE = 1 << 20


def check_columns(model: type[models.Model], columns: Sequence[str]) -> None:
    """Fail loudly when the model moved on and the demo rows no longer fit it."""
    fields = {field.column: field for field in model._meta.concrete_fields}
    unknown = [column for column in columns if column not in fields]
    missing = [
        column
        for column, field in fields.items()
        if column not in columns and not field.null and field.db_default is models.NOT_PROVIDED
    ]
    if unknown or missing:
        raise RuntimeError(
            f"{model._meta.label} changed (unknown columns {unknown}, required columns not written {missing}); "
            "update tickets/demo to match."
        )


def dangling_foreign_key(first_ids: dict[type[models.Model], int], *, using: str = "default") -> str | None:
    """The first foreign key value, among rows with id >= first_ids[model], that points at no row; None if all do.

    One anti-join per key: how a bulk load written without FK triggers is verified.
    """
    connection = connections[using]
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        for model, first_id in sorted(first_ids.items(), key=lambda item: item[0]._meta.db_table):
            table, pk = quote(model._meta.db_table), quote(model._meta.pk.column)
            for field in model._meta.concrete_fields:
                if not field.many_to_one:
                    continue
                column, target = quote(field.column), field.target_field
                sql = (
                    f"SELECT c.{column} FROM {table} c WHERE c.{pk} >= %s AND c.{column} IS NOT NULL "  # noqa: S608
                    f"AND NOT EXISTS (SELECT 1 FROM {quote(target.model._meta.db_table)} p "
                    f"WHERE p.{quote(target.column)} = c.{column}) LIMIT 1"
                )
                cursor.execute(sql, [first_id])
                row = cursor.fetchone()
                if row:
                    parent = target.model._meta.db_table
                    return f"{model._meta.db_table}.{field.column} = {row[0]} points at no {parent} row"
    return None


@contextmanager
def given_timestamps(model: type[models.Model]) -> Iterator[None]:
    """Let bulk_create keep the created_at/updated_at we generated instead of stamping now().

    auto_now(_add) fields ignore a given value; demo customers must look created months ago.
    """
    fields = [
        f for f in model._meta.concrete_fields if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
    ]
    saved = [(field, field.auto_now, field.auto_now_add) for field in fields]
    for field in fields:
        field.auto_now = field.auto_now_add = False
    try:
        yield
    finally:
        for field, auto_now, auto_now_add in saved:
            field.auto_now, field.auto_now_add = auto_now, auto_now_add


class BulkWriter:
    """Writes rows of one model at a time and counts them.

    On PostgreSQL (psycopg2) it streams CSV through COPY; elsewhere it uses bulk_create.
    """

    def __init__(self, *, using: str = "default", batch_size: int = 2000) -> None:
        self.using = using
        self.batch_size = batch_size
        self.counts: Counter[str] = Counter()
        self.use_copy = self.connection.vendor == "postgresql" and self._has_copy_expert()
        # Per-row foreign key triggers cost PostgreSQL ~40% of a bulk load; a superuser may skip them,
        # and check_foreign_keys() then verifies every new row with one anti-join per key instead.
        self.skip_fk_triggers = self.use_copy and self._is_superuser()
        self._written: set[type[models.Model]] = set()
        self._first_ids: dict[type[models.Model], int] = {}
        self._skipped_fk_triggers = False

    @property
    def connection(self) -> BaseDatabaseWrapper:
        # Looked up on each use: connections are per thread, and ChunkSink writes from its own.
        return connections[self.using]

    def _has_copy_expert(self) -> bool:
        with self.connection.cursor() as cursor:
            return hasattr(cursor.cursor, "copy_expert")

    def _is_superuser(self) -> bool:
        with self.connection.cursor() as cursor:
            cursor.execute("SELECT current_setting('is_superuser') = 'on'")
            return cursor.fetchone()[0]

    @contextmanager
    def chunk_transaction(self) -> Iterator[None]:
        """One chunk, one transaction. SET LOCAL ends with it, so only an outermost one skips FK triggers:
        inside a caller's transaction (a test) the switch would outlive the chunk."""
        outermost = not self.connection.in_atomic_block
        with transaction.atomic(using=self.using):
            if self.skip_fk_triggers and outermost:
                with self.connection.cursor() as cursor:
                    cursor.execute("SET LOCAL session_replication_role = replica")
                self._skipped_fk_triggers = True
            yield

    @contextmanager
    def load_transaction(self, models_loaded: Sequence[type[models.Model]]) -> Iterator[None]:
        """Everything in one transaction, as pg_restore loads: without FK triggers and without the plain
        secondary indexes, which are rebuilt in one pass each at the end (far cheaper than row by row,
        above all for full-text GIN indexes). DDL is transactional, so a failure or a crash rolls the
        whole load back with every index intact. Primary keys, unique and partial indexes stay.
        Only for empty tables: the dropped indexes' locks block readers until the commit.
        """
        with transaction.atomic(using=self.using), self.connection.cursor() as cursor:
            cursor.execute("SET LOCAL session_replication_role = replica")
            cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
            cursor.execute(
                "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i "
                # Partial indexes stay: small, and their predicates do not always come back word for word.
                "WHERE i.indrelid = ANY(%s::regclass[]) AND NOT i.indisunique AND NOT i.indisprimary "
                "AND i.indpred IS NULL "
                "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid) "
                "ORDER BY 1",
                [[self.connection.ops.quote_name(model._meta.db_table) for model in models_loaded]],
            )
            indexes = cursor.fetchall()
            for name, _definition in indexes:
                cursor.execute(f"DROP INDEX {name}")
            self._skipped_fk_triggers = True
            yield
            for _name, definition in indexes:
                cursor.execute(definition)
            self.check_foreign_keys()

    def check_foreign_keys(self) -> None:
        """After chunks written without FK triggers: every foreign key of the new rows must point at a row."""
        if self._skipped_fk_triggers:
            problem = dangling_foreign_key(self._first_ids, using=self.using)
            if problem:
                raise RuntimeError(f"{problem}: a bug in tickets/demo.")

    def next_id(self, model: type[models.Model]) -> int:
        """The first free primary key, read from the table (not the sequence) so a fresh database starts at 1."""
        return (model._base_manager.using(self.using).aggregate(top=Max("pk"))["top"] or 0) + 1

    def write(
        self,
        model: type[models.Model],
        columns: Sequence[str],
        rows: Sequence[Sequence],
        json_columns: Sequence[str] = (),
    ) -> None:
        if not rows:
            return
        self._written.add(model)
        self._first_ids.setdefault(model, rows[0][0])  # ids ascend, and id is the first column
        self.counts[model._meta.db_table] += len(rows)
        if self.use_copy:
            self._copy(model, columns, rows, json_columns)
        else:
            self._bulk_create(model, columns, rows)

    def _copy(self, model: type[models.Model], columns: Sequence[str], rows: Sequence[Sequence], json_columns) -> None:
        if json_columns:
            positions = [columns.index(column) for column in json_columns]
            rows = [list(row) for row in rows]
            for row in rows:
                for position in positions:
                    row[position] = json.dumps(row[position], ensure_ascii=False, separators=(",", ":"))
        buffer = io.StringIO()
        csv.writer(buffer).writerows(rows)
        buffer.seek(0)
        quote = self.connection.ops.quote_name
        fields = {field.column: field for field in model._meta.concrete_fields}
        # In CSV an unquoted empty value is NULL; text columns hold "" instead.
        text_columns = [
            quote(column)
            for column in columns
            if isinstance(fields[column], models.CharField | models.TextField) and column not in json_columns
        ]
        options = "FORMAT csv"
        if text_columns:
            options += f", FORCE_NOT_NULL ({', '.join(text_columns)})"
        sql = f"COPY {quote(model._meta.db_table)} ({', '.join(quote(c) for c in columns)}) FROM STDIN WITH ({options})"
        with self.connection.cursor() as cursor:
            cursor.cursor.copy_expert(sql, buffer, size=_COPY_READ_SIZE)

    def _bulk_create(self, model: type[models.Model], columns: Sequence[str], rows: Sequence[Sequence]) -> None:
        objects = [model(**dict(zip(columns, row, strict=True))) for row in rows]
        with given_timestamps(model):
            model._base_manager.using(self.using).bulk_create(objects, batch_size=self.batch_size)

    def reset_sequences(self) -> None:
        """After inserts with explicit ids, move each id sequence past the highest id (PostgreSQL only)."""
        if self.connection.vendor != "postgresql":
            return
        quote = self.connection.ops.quote_name
        with self.connection.cursor() as cursor:
            for model in sorted(self._written, key=lambda m: m._meta.db_table):
                table, pk = model._meta.db_table, model._meta.pk.column
                # Identifiers come from model meta, quoted; only they are formatted in.
                sql = (
                    f"SELECT setval(pg_get_serial_sequence(%s, %s), COALESCE(MAX({quote(pk)}), 1), "  # noqa: S608
                    f"MAX({quote(pk)}) IS NOT NULL) FROM {quote(table)}"
                )
                cursor.execute(sql, [quote(table), pk])

    def analyze(self) -> None:
        """Refresh the planner's statistics of the written tables (PostgreSQL only).

        Without this, right after a bulk load PostgreSQL guesses row counts and picks slow
        plans (a parallel scan to read one ticket's events) until autovacuum gets to it.
        """
        if self.connection.vendor != "postgresql":
            return
        quote = self.connection.ops.quote_name
        with self.connection.cursor() as cursor:
            for model in sorted(self._written, key=lambda m: m._meta.db_table):
                cursor.execute(f"ANALYZE {quote(model._meta.db_table)}")

    @contextmanager
    def bulk_session(self) -> Iterator[None]:
        """Cheaper commits while loading: a crash may lose the last chunks, never corrupt them."""
        if self.connection.vendor != "postgresql":
            yield
            return
        with self.connection.cursor() as cursor:
            cursor.execute("SET synchronous_commit = off")
        try:
            yield
        finally:
            with self.connection.cursor() as cursor:
                cursor.execute("RESET synchronous_commit")


# One table's rows: model, columns, rows, JSON columns.
Write = tuple[type[models.Model], Sequence[str], Sequence[Sequence], Sequence[str]]


class ChunkSink:
    """Writes chunks (lists of table writes), each chunk in one transaction, or all in one (single_load).

    Threaded (PostgreSQL, outside any transaction): a background thread with its own connection
    runs the COPYs while the caller generates the next chunk; psycopg2 releases the GIL while the
    server works, so both cores are busy. The queue holds one chunk, so memory stays bounded.
    Inside a transaction (tests) or on SQLite, chunks are written in the caller's thread.
    While a threaded sink is open the caller must not read the tables it loads: a single load
    holds their locks until it ends.
    """

    def __init__(self, writer: BulkWriter, *, threaded: bool, single_load: Sequence[type[models.Model]] = ()) -> None:
        self.writer = writer
        self.threaded = threaded
        self.single_load = single_load  # the tables of a one-transaction load (see BulkWriter.load_transaction)
        self.error: BaseException | None = None
        self._queue: queue.Queue[list[Write] | None] = queue.Queue(maxsize=1)
        self._thread = threading.Thread(target=self._run, name="seed-demo-writer", daemon=True)

    def __enter__(self) -> ChunkSink:
        if self.threaded:
            self._thread.start()
        return self

    def put(self, writes: list[Write]) -> None:
        if not self.threaded:
            self._write_chunk(writes)
            return
        if self.error is not None:
            raise self.error
        self._queue.put(writes)

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        if not self.threaded:
            return
        if exc is not None and self.error is None:
            self.error = exc  # the caller failed: the writer must not commit a partial single load
        self._queue.put(None)
        self._thread.join()
        if self.error is not None and exc is None:
            raise self.error

    def _write(self, writes: list[Write]) -> None:
        for model, columns, rows, json_columns in writes:
            self.writer.write(model, columns, rows, json_columns)

    def _write_chunk(self, writes: list[Write]) -> None:
        # One transaction per chunk: a failure leaves whole chunks, never half a ticket.
        with self.writer.chunk_transaction():
            self._write(writes)

    def _drain(self, write: Callable[[list[Write]], None]) -> None:
        while (writes := self._queue.get()) is not None:
            if self.error is None:  # after a failure, keep draining so put() never blocks
                try:
                    write(writes)
                except BaseException as error:
                    self.error = error

    def _run(self) -> None:
        try:
            with self.writer.bulk_session():
                if not self.single_load:
                    self._drain(self._write_chunk)
                    return
                with self.writer.load_transaction(self.single_load):
                    self._drain(self._write)
                    if self.error is not None:
                        raise self.error  # roll the whole load back
        except BaseException as error:
            if self.error is None:
                self.error = error
        finally:
            connections[self.writer.using].close()
