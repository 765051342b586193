"""Full-text search indexes on PostgreSQL: ticket subjects and message bodies, 'simple' configuration.

The expressions must stay identical to SimpleTextMatch in tickets/search.py, or the planner will
not use them. Built CONCURRENTLY (hence a non-atomic migration) so a large message table stays
writable while its index builds. Other databases (SQLite) search with LIKE and get nothing here.
"""

from django.db import migrations

INDEXES = {
    "ticket_subject_fts_idx": ("tickets_ticket", "subject"),
    "message_body_fts_idx": ("tickets_message", "body_text"),
}


def create_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, (table, column) in INDEXES.items():
        schema_editor.execute(
            f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {name} ON {table} "
            f"USING gin (to_tsvector('simple'::regconfig, {column}))"
        )


def drop_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {name}")


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("tickets", "0002_workspace"),
    ]

    operations = [
        migrations.RunPython(create_indexes, drop_indexes),
    ]
