"""Full-text search index on PostgreSQL: article title and body text, 'simple' configuration.

The expression must stay identical to VECTOR_SQL in knowledge/search.py, or the planner will not
use it. Built CONCURRENTLY (hence a non-atomic migration), as tickets' 0003_search does. Other
databases (SQLite) search with LIKE and get nothing here.
"""

from django.db import migrations

INDEX = "kb_article_fts_idx"
VECTOR = (
    "(setweight(to_tsvector('simple'::regconfig, title), 'A') || "
    "setweight(to_tsvector('simple'::regconfig, body_text), 'B'))"
)


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {INDEX} ON knowledge_article USING gin ({VECTOR})")


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("knowledge", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(create_index, drop_index),
    ]
