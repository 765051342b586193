"""Reads for moving through a queue from the ticket page (the J/K keys): the tickets around one ticket."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import Q, QuerySet

from accounts.models import User
from tickets.models import Ticket
from tickets.selectors import TicketFilters, priority_rank, sort_keys, ticket_list_for_user


@dataclass(frozen=True)
class Neighbours:
    previous_id: int | None
    next_id: int | None


def _nulls_are_largest() -> bool:
    # The queue orders with plain ASC/DESC, so NULLs sit where the database puts them:
    # PostgreSQL treats NULL as larger than any value, SQLite as smaller.
    return connection.vendor == "postgresql"


def _compare(name: str, value: Any, *, greater: bool) -> Q:
    """Rows whose `name` sorts strictly after (greater) or before `value`, NULLs placed as the database does."""
    nulls_high = _nulls_are_largest()
    if value is None:
        # Nothing sorts past NULL on its own side; everything non-null is on the other.
        return Q(pk__in=[]) if greater == nulls_high else Q(**{f"{name}__isnull": False})
    strict = Q(**{f"{name}__{'gt' if greater else 'lt'}": value})
    return strict | Q(**{f"{name}__isnull": True}) if greater == nulls_high else strict


def _equal(name: str, value: Any) -> Q:
    return Q(**{f"{name}__isnull": True}) if value is None else Q(**{name: value})


def _beyond(keys: list[tuple[str, bool]], values: dict, *, forward: bool) -> Q:
    """Rows after (or before) `values` in the order `keys`: a lexicographic comparison as a Q."""
    condition = Q(pk__in=[])
    equal = Q()
    for name, descending in keys:
        # Forward in a descending key means smaller values.
        condition |= equal & _compare(name, values[name], greater=forward != descending)
        equal &= _equal(name, values[name])
    return condition


def _first_id(queryset: QuerySet, keys: list[tuple[str, bool]], *, reverse: bool) -> int | None:
    order = [("-" if descending != reverse else "") + name for name, descending in keys]
    return queryset.order_by(*order).values_list("pk", flat=True).first()


def queue_neighbours(*, user: User, ticket: Ticket, filters: TicketFilters) -> Neighbours:
    """The previous and next ticket of the queue `filters` describe, as `user` sees it; three queries.

    Works even when `ticket` has left the queue (solved meanwhile): its neighbours are the
    rows that would be around it.
    """
    keys = sort_keys(filters)
    names = [name for name, _descending in keys]
    current = Ticket.objects.filter(pk=ticket.pk)
    if "priority_rank" in names:
        current = current.annotate(priority_rank=priority_rank())
    values = current.values(*names).first()
    if values is None:
        return Neighbours(previous_id=None, next_id=None)
    queue = ticket_list_for_user(user=user, filters=filters).exclude(pk=ticket.pk)
    next_id = _first_id(queue.filter(_beyond(keys, values, forward=True)), keys, reverse=False)
    previous_id = _first_id(queue.filter(_beyond(keys, values, forward=False)), keys, reverse=True)
    return Neighbours(previous_id=previous_id, next_id=next_id)
