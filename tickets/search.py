"""Search of the ticket queue: by number, by a customer's email or phone, by words.

Words are matched in the subject and in every message body. On PostgreSQL that is full-text
search with the 'simple' configuration (Persian and Arabic have no stemmer), written with the
very expressions of the GIN indexes of migration 0003 so the planner uses them; elsewhere
(SQLite) a case-insensitive substring match.
"""

from __future__ import annotations

import re
from typing import Any

from django.db import connection
from django.db.models import BooleanField, F, Func, Q, QuerySet

from tickets.identities import InvalidIdentity, normalize_email, normalize_phone
from tickets.models import CustomerIdentity, Message, Ticket

MAX_WORDS = 8
_WORD = re.compile(r"\w+")
# Something a person types as a phone number: digits with + ( ) - . and spaces, 7 digits or more.
_PHONE_LIKE = re.compile(r"\+?[\d\s().\-]{7,30}")


def tsquery_sql(*, prefixes: str, plain: str) -> tuple[str, list[str]]:
    """The PostgreSQL tsquery of `search_terms`' two parts (prefix words, punctuated tokens), and its params."""
    queries, params = [], []
    if prefixes:
        queries.append("to_tsquery('simple'::regconfig, %s)")
        params.append(prefixes)
    if plain:
        queries.append("plainto_tsquery('simple'::regconfig, %s)")
        params.append(plain)
    return f"({' && '.join(queries)})", params


class SimpleTextMatch(Func):
    """`to_tsvector('simple', column) @@ <query>` on PostgreSQL, for the terms of `search_terms`.

    Written out, not with SearchVector (which wraps the column in COALESCE), so it is the very
    expression the GIN indexes of migration 0003 hold and the planner can use them.
    """

    output_field = BooleanField()

    def __init__(self, column: str, *, prefixes: str, plain: str) -> None:
        super().__init__(F(column))
        self.prefixes, self.plain = prefixes, plain

    def as_sql(self, compiler, connection, function=None, template=None, arg_joiner=None, **extra_context):
        column_sql, params = compiler.compile(self.source_expressions[0])
        query, query_params = tsquery_sql(prefixes=self.prefixes, plain=self.plain)
        return f"to_tsvector('simple'::regconfig, {column_sql}) @@ {query}", [*params, *query_params]


def identity_values(q: str) -> list[tuple[str, str]]:
    """The (kind, normalized value) pairs `q` could be: an email address, a phone number, or neither."""
    text = q.strip()
    if "@" in text:
        try:
            return [(CustomerIdentity.Kind.EMAIL, normalize_email(text))]
        except InvalidIdentity:
            return []
    if _PHONE_LIKE.fullmatch(text) and sum(c.isdigit() for c in text) >= 7:
        try:
            return [(CustomerIdentity.Kind.PHONE, normalize_phone(text))]
        except InvalidIdentity:
            return []
    return []


def customers_with_identity(q: str) -> QuerySet[CustomerIdentity, Any] | None:
    """A subquery of the customer ids whose email or phone is `q`, or None when `q` is neither."""
    pairs = identity_values(q)
    if not pairs:
        return None
    match = Q()
    for kind, value in pairs:
        match |= Q(kind=kind, value=value)
    return CustomerIdentity.objects.filter(match).values("customer_id")


def search_words(q: str) -> list[str]:
    return _WORD.findall(q.lower())[:MAX_WORDS]


def search_terms(q: str) -> tuple[str, str]:
    """`q` for PostgreSQL: a to_tsquery of the plain words, each as a prefix ("invoi" finds "invoice"),
    and the tokens with punctuation ("A-80", "v2.1") as text for plainto_tsquery, which splits them
    the way the indexed text was split."""
    prefixes: list[str] = []
    plain: list[str] = []
    for token in q.lower().split()[:MAX_WORDS]:
        # Only \w characters reach to_tsquery, so no operator can be smuggled in.
        (prefixes if _WORD.fullmatch(token) else plain).append(token)
    return " & ".join(f"{word}:*" for word in prefixes), " ".join(plain)


def tickets_matching_words(q: str) -> QuerySet[Ticket, Any]:
    """Ids of tickets whose subject or any message holds every word of `q` (a subquery to filter on)."""
    if connection.vendor == "postgresql":
        prefixes, plain = search_terms(q)
        in_subject = (
            Ticket.objects.filter(SimpleTextMatch("subject", prefixes=prefixes, plain=plain)).values("pk").order_by()
        )
        # order_by(): no ORDER BY from Message.Meta inside the UNION.
        in_body = (
            Message.objects.filter(SimpleTextMatch("body_text", prefixes=prefixes, plain=plain))
            .values("ticket_id")
            .order_by()
        )
        # A UNION of two index scans; an OR across the two tables would scan the whole queue.
        return in_subject.union(in_body)
    match = Q()
    for word in search_words(q):
        in_body = Message.objects.filter(body_text__icontains=word).values("ticket_id")
        match &= Q(subject__icontains=word) | Q(pk__in=in_body)
    return Ticket.objects.filter(match).values("pk")


def ticket_search(tickets: QuerySet[Ticket], q: str) -> QuerySet[Ticket]:
    """Narrow `tickets` to those `q` finds: the customer's tickets for an email or phone, else by words."""
    customers = customers_with_identity(q)
    if customers is not None:
        return tickets.filter(customer_id__in=customers)
    if not search_words(q):
        return tickets
    return tickets.filter(pk__in=tickets_matching_words(q))
