"""Full-text search of articles on PostgreSQL: title and body text, 'simple' configuration.

As in tickets/search.py: 'simple' because Persian and Arabic have no stemmer, and the vector is
written out as the very expression of the GIN index of migration 0002, so the planner uses it.
The title weighs more than the body (setweight 'A' over 'B'), so ts_rank puts title hits first.
"""

from __future__ import annotations

from django.db.models import BooleanField, F, FloatField, Func

from tickets.search import tsquery_sql

# Keep identical to knowledge/migrations/0002_search.py.
VECTOR_SQL = (
    "(setweight(to_tsvector('simple'::regconfig, {title}), 'A') || "
    "setweight(to_tsvector('simple'::regconfig, {body}), 'B'))"
)


class _ArticleFullText(Func):
    """The article vector and the tsquery of `search_terms` (tickets.search), compiled together."""

    def __init__(self, *, prefixes: str, plain: str) -> None:
        super().__init__(F("title"), F("body_text"))
        self.prefixes, self.plain = prefixes, plain

    def vector_and_query(self, compiler) -> tuple[str, list, str, list]:
        title_sql, title_params = compiler.compile(self.source_expressions[0])
        body_sql, body_params = compiler.compile(self.source_expressions[1])
        query, query_params = tsquery_sql(prefixes=self.prefixes, plain=self.plain)
        vector = VECTOR_SQL.format(title=title_sql, body=body_sql)
        return vector, [*title_params, *body_params], query, query_params


class ArticleTextMatch(_ArticleFullText):
    output_field = BooleanField()

    def as_sql(self, compiler, connection, function=None, template=None, arg_joiner=None, **extra_context):
        vector, vector_params, query, query_params = self.vector_and_query(compiler)
        return f"{vector} @@ {query}", [*vector_params, *query_params]


class ArticleTextRank(_ArticleFullText):
    output_field = FloatField()

    def as_sql(self, compiler, connection, function=None, template=None, arg_joiner=None, **extra_context):
        vector, vector_params, query, query_params = self.vector_and_query(compiler)
        return f"ts_rank({vector}, {query})", [*vector_params, *query_params]
