"""Objects as the API shows them, by type and id: what the export and webhook payloads carry.

One query (plus prefetches) per type, whatever the number of ids, through the same serializers as
the endpoints, so an object looks the same wherever an integrator meets it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import F, Prefetch
from rest_framework import serializers

from api.serializers_tickets import MessageSerializer, TicketSerializer
from api.views_customers import CustomerSerializer
from api.views_records import SurveyAnswerSerializer
from integrations.models import SubjectType
from metrics.models import SurveyAnswer
from tickets.models import Customer, CustomerIdentity, Message, Ticket


def _rows(subject_type: str, ids: list[int]) -> Iterable[Any]:
    if subject_type == SubjectType.TICKET:
        return (
            Ticket.objects.filter(pk__in=ids)
            .annotate(organization_id=F("customer__organization_id"))
            .prefetch_related("tags")
        )
    if subject_type == SubjectType.MESSAGE:
        return Message.objects.filter(pk__in=ids).prefetch_related("attachments")
    if subject_type == SubjectType.CUSTOMER:
        identities = Prefetch("identities", queryset=CustomerIdentity.objects.order_by("-is_primary", "kind", "value"))
        return Customer.objects.filter(pk__in=ids).prefetch_related(identities)
    if subject_type == SubjectType.SURVEY_ANSWER:
        return SurveyAnswer.objects.filter(pk__in=ids)
    raise ValueError(f"unknown subject type {subject_type!r}")


SERIALIZERS: dict[str, type[serializers.Serializer]] = {
    SubjectType.TICKET: TicketSerializer,
    SubjectType.MESSAGE: MessageSerializer,
    SubjectType.CUSTOMER: CustomerSerializer,
    SubjectType.SURVEY_ANSWER: SurveyAnswerSerializer,
}


def represent(subject_type: str, ids: Iterable[int]) -> dict[int, dict[str, Any]]:
    """The current API representation of each object of `subject_type` among `ids` that exists."""
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    serializer = SERIALIZERS[SubjectType(subject_type)]
    return {row.pk: serializer(row).data for row in _rows(subject_type, wanted)}
