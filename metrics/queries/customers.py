"""Customer figures: retention, and how many channels customers use.

A customer counts from its creation until it is marked churned; customers merged into another
are left out (the one they were merged into counts). Of the filters only the organization
applies to retention: a customer does not belong to a team, an agent or a channel.
"""

from __future__ import annotations

from django.db import connection, transaction
from django.db.models import Avg, Count, Q, QuerySet

from metrics.models import SurveyAnswer
from metrics.queries._base import tickets_for
from metrics.scope import Scope
from metrics.values import Ratio, Retention
from tickets.models import Customer, Message


def _customers(scope: Scope) -> QuerySet[Customer]:
    customers = Customer.objects.filter(merged_into__isnull=True)
    if scope.organization:
        customers = customers.filter(organization_id=scope.organization)
    return customers


def _retention(customers: QuerySet[Customer], scope: Scope) -> Retention:
    def alive_at(moment):  # created before the moment and not churned by then
        return Q(created_at__lt=moment) & (Q(churned_at__isnull=True) | Q(churned_at__gte=moment))

    sums = customers.aggregate(
        at_start=Count("pk", filter=alive_at(scope.start)),
        gained=Count("pk", filter=Q(created_at__gte=scope.start, created_at__lt=scope.end)),
        at_end=Count("pk", filter=alive_at(scope.end)),
    )
    return Retention(**sums)


def retention(scope: Scope) -> Retention:
    """((C − B) ÷ A) × 100 with A at the start, B gained during the period, C at its end."""
    return _retention(_customers(scope), scope)


def retention_by_satisfaction(scope: Scope) -> dict[str, Retention]:
    """Retention of customers who answered CSAT in the period: satisfied (their mean answer 4 or more) or not.

    Customers who did not answer are in neither group. One query: the customers joined to their
    mean answer, counted per group.
    """
    answered = (
        SurveyAnswer.objects.filter(question="csat", answered_at__gte=scope.start, answered_at__lt=scope.end)
        .values("customer_id")
        .annotate(mean=Avg("score"))
        .order_by()
    )
    answers_sql, answers_params = answered.query.sql_with_params()
    customers_sql, customers_params = (
        _customers(scope).values("id", "created_at", "churned_at").order_by().query.sql_with_params()
    )
    start, end = (connection.ops.adapt_datetimefield_value(moment) for moment in (scope.start, scope.end))
    alive = "c.created_at < %s AND (c.churned_at IS NULL OR c.churned_at >= %s)"
    sql = (
        f"SELECT a.mean >= 4, COUNT(*) FILTER (WHERE {alive}), "  # noqa: S608 (our own compiled querysets)
        "COUNT(*) FILTER (WHERE c.created_at >= %s AND c.created_at < %s), "
        f"COUNT(*) FILTER (WHERE {alive}) "
        f"FROM ({customers_sql}) c JOIN ({answers_sql}) a ON a.customer_id = c.id GROUP BY a.mean >= 4"
    )
    found = {True: Retention(), False: Retention()}
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # One customer per row of a hash table: without the memory it spills to disk, and parallel
            # workers would each rebuild it.
            cursor.execute("SET LOCAL work_mem = '64MB'")
        cursor.execute(sql, [start, start, start, end, end, end, *customers_params, *answers_params])
        for satisfied, at_start, gained, at_end in cursor.fetchall():
            found[bool(satisfied)] = Retention(at_start, gained, at_end)
    return {"satisfied": found[True], "dissatisfied": found[False]}


def customers_by_channel_count(scope: Scope) -> dict[int, int]:
    """Customers who wrote in the period, by how many channels they wrote on: {1: …, 2: …}."""
    messages = Message.objects.filter(
        direction=Message.Direction.INBOUND,
        author_customer__isnull=False,
        created_at__gte=scope.start,
        created_at__lt=scope.end,
    )
    if scope.filters:
        messages = messages.filter(ticket__in=tickets_for(scope).values("pk"))
    per_customer = messages.values("author_customer_id").annotate(channels=Count("channel", distinct=True)).order_by()
    # Group the per-customer counts once more in SQL: the database returns a handful of rows.
    inner, params = per_customer.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT s.channels, COUNT(*) FROM ({inner}) s GROUP BY s.channels", params)  # noqa: S608 (our own compiled queryset)
        return dict(cursor.fetchall())


def multichannel_customers(scope: Scope) -> Ratio:
    """Customers who wrote on 3 to 5 channels in the period ÷ customers who wrote."""
    counts = customers_by_channel_count(scope)
    return Ratio(sum(n for channels, n in counts.items() if 3 <= channels <= 5), sum(counts.values()))
