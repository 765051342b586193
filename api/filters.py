"""Query filters of the API lists (django-filter): a bad value is a 400 naming the parameter."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db.models import QuerySet
from django_filters.fields import IsoDateTimeField

from tickets.models import Channel, Ticket
from tickets.search import ticket_search
from tickets.selectors import tickets_tagged

MAX_ID = 2**63 - 1


class UtcDateTimeField(IsoDateTimeField):
    """An ISO 8601 date and time, turned to UTC: PostgreSQL takes offsets only up to ±15:59, Python ±23:59."""

    def to_python(self, value: Any) -> datetime | None:
        parsed = super().to_python(value)
        if parsed is None or parsed.tzinfo is None:
            return parsed
        try:
            return parsed.astimezone(UTC)
        except OverflowError as error:
            raise ValidationError(self.error_messages["invalid"], code="invalid") from error


class UtcDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = UtcDateTimeField


class IdFilter(django_filters.Filter):
    """A row id: a whole number that fits the database's ids."""

    field_class = forms.IntegerField

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(*args, **kwargs)


class IdOrNoneFilter(django_filters.CharFilter):
    """An id, or "none" for rows without one (and "me" for the caller, where `allow_me`)."""

    def __init__(self, *args: Any, allow_me: bool = False, **kwargs: Any) -> None:
        words = "none|me" if allow_me else "none"
        kwargs.setdefault("validators", [RegexValidator(rf"^(\d{{1,18}}|{words})$", f"An id or {words}.")])
        self.allow_me = allow_me
        super().__init__(*args, **kwargs)

    def filter(self, queryset: QuerySet, value: str) -> QuerySet:
        if not value:
            return queryset
        if value == "none":
            return queryset.filter(**{f"{self.field_name}__isnull": True})
        if value == "me":
            return queryset.filter(**{self.field_name: self.parent.request.user.pk})
        return queryset.filter(**{self.field_name: int(value)})


class TicketFilter(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=Ticket.Status.choices, help_text="Repeat for several.")
    priority = django_filters.MultipleChoiceFilter(choices=Ticket.Priority.choices)
    channel = django_filters.MultipleChoiceFilter(choices=Channel.choices, help_text="The channel of origin.")
    team = IdOrNoneFilter(field_name="team_id", help_text="A team id, or none.")
    assignee = IdOrNoneFilter(field_name="assignee_id", allow_me=True, help_text="An agent id, none, or me.")
    customer = IdFilter(field_name="customer_id")
    organization = IdFilter(field_name="customer__organization_id")
    tag = django_filters.CharFilter(method="filter_tag", max_length=50, help_text="A tag name.")
    created_after = UtcDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = UtcDateTimeFilter(field_name="created_at", lookup_expr="lt")
    updated_after = UtcDateTimeFilter(field_name="updated_at", lookup_expr="gte")
    updated_before = UtcDateTimeFilter(field_name="updated_at", lookup_expr="lt")
    merged = django_filters.BooleanFilter(
        field_name="merged_into", lookup_expr="isnull", exclude=True, help_text="false leaves merged tickets out."
    )
    q = django_filters.CharFilter(
        method="filter_search",
        max_length=200,
        help_text="Words in the subject or messages, or a customer's email or phone.",
    )

    class Meta:
        model = Ticket
        fields: list[str] = []

    def filter_tag(self, queryset: QuerySet[Ticket], name: str, value: str) -> QuerySet[Ticket]:
        return tickets_tagged(queryset, value.strip().lower())

    def filter_search(self, queryset: QuerySet[Ticket], name: str, value: str) -> QuerySet[Ticket]:
        return ticket_search(queryset, value.strip())
