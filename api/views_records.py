"""Survey answers (read) and time entries (read and log): the raw material of the metrics."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.models import User
from accounts.roles import Role, user_role
from api import references
from api.base import ApiViewSet, ListRows, ReadRows
from api.errors import ApiError
from api.filters import IdFilter, UtcDateTimeFilter
from api.permissions import STAFF
from metrics.models import SurveyAnswer, SurveyQuestion
from tickets import services
from tickets.models import Channel, TimeEntry
from tickets.selectors import tickets_reachable_by


class SurveyAnswerSerializer(serializers.ModelSerializer):
    ticket = serializers.IntegerField(source="ticket_id", read_only=True)
    customer = serializers.IntegerField(source="customer_id", read_only=True)
    agent = serializers.IntegerField(source="agent_id", read_only=True, allow_null=True)
    team = serializers.IntegerField(source="team_id", read_only=True, allow_null=True)

    class Meta:
        model = SurveyAnswer
        fields = ["id", "ticket", "customer", "question", "score", "comment", "agent", "team", "channel",
                  "answered_at", "updated_at"]  # fmt: skip
        read_only_fields = fields


class SurveyAnswerFilter(django_filters.FilterSet):
    question = django_filters.ChoiceFilter(choices=SurveyQuestion.choices)
    ticket = IdFilter(field_name="ticket_id")
    customer = IdFilter(field_name="customer_id")
    team = IdFilter(field_name="team_id")
    agent = IdFilter(field_name="agent_id")
    channel = django_filters.ChoiceFilter(choices=Channel.choices)
    answered_after = UtcDateTimeFilter(field_name="answered_at", lookup_expr="gte")
    answered_before = UtcDateTimeFilter(field_name="answered_at", lookup_expr="lt")
    updated_after = UtcDateTimeFilter(field_name="updated_at", lookup_expr="gte")

    class Meta:
        model = SurveyAnswer
        fields: list[str] = []


@extend_schema_view(
    list=extend_schema(summary="List survey answers (CSAT, CES, NPS)"),
    retrieve=extend_schema(summary="Read a survey answer"),
)
class SurveyAnswerViewSet(ListRows, ReadRows, ApiViewSet):
    """Answers on the tickets the caller may read; customers answer through the survey pages, not here."""

    roles = {"*": STAFF}
    serializer_class = SurveyAnswerSerializer
    filterset_class = SurveyAnswerFilter
    orderings = {
        "-answered_at": ("-answered_at", "-id"),
        "answered_at": ("answered_at", "id"),
        "-updated_at": ("-updated_at", "-id"),
        "updated_at": ("updated_at", "id"),
        "id": ("id",),
    }
    default_ordering = "-answered_at"
    not_found_message = gettext_lazy("No such answer.")
    http_method_names = ["get", "head", "options"]

    def get_queryset(self) -> QuerySet[SurveyAnswer]:
        answers = SurveyAnswer.objects.all()
        if user_role(self.request.user) == Role.AGENT:
            answers = answers.filter(ticket__in=tickets_reachable_by(self.request.user))
        return answers


class TimeEntrySerializer(serializers.ModelSerializer):
    ticket = serializers.IntegerField(source="ticket_id", read_only=True)
    agent = serializers.IntegerField(source="agent_id", read_only=True)

    class Meta:
        model = TimeEntry
        fields = ["id", "ticket", "agent", "seconds", "source", "note", "created_at"]
        read_only_fields = fields


class TimeEntryCreateSerializer(serializers.Serializer):
    ticket = serializers.IntegerField(min_value=1)
    seconds = serializers.IntegerField(min_value=1, max_value=24 * 3600)
    note = serializers.CharField(required=False, allow_blank=True, max_length=300)
    agent = serializers.IntegerField(required=False, min_value=1, help_text="Managers only; default: the caller.")


class TimeEntryFilter(django_filters.FilterSet):
    ticket = IdFilter(field_name="ticket_id")
    agent = IdFilter(field_name="agent_id")
    source = django_filters.ChoiceFilter(choices=TimeEntry.Source.choices)
    created_after = UtcDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = UtcDateTimeFilter(field_name="created_at", lookup_expr="lt")

    class Meta:
        model = TimeEntry
        fields: list[str] = []


@extend_schema_view(
    list=extend_schema(summary="List time entries"),
    retrieve=extend_schema(summary="Read a time entry"),
    create=extend_schema(
        summary="Log time on a ticket", request=TimeEntryCreateSerializer, responses={201: TimeEntrySerializer}
    ),
)
class TimeEntryViewSet(ListRows, ReadRows, ApiViewSet):
    roles = {"*": STAFF}
    serializer_class = TimeEntrySerializer
    filterset_class = TimeEntryFilter
    orderings = {"-created_at": ("-created_at", "-id"), "created_at": ("created_at", "id"), "id": ("id",)}
    default_ordering = "-created_at"
    not_found_message = gettext_lazy("No such time entry.")
    http_method_names = ["get", "post", "head", "options"]

    def get_queryset(self) -> QuerySet[TimeEntry]:
        entries = TimeEntry.objects.all()
        if user_role(self.request.user) == Role.AGENT:
            entries = entries.filter(ticket__in=tickets_reachable_by(self.request.user))
        return entries

    def create(self, request: Request) -> Response:
        form = TimeEntryCreateSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data: dict[str, Any] = form.validated_data
        ticket = tickets_reachable_by(request.user).filter(pk=data["ticket"]).first()
        if ticket is None:
            raise references.bad_field("ticket", _("No such ticket."))
        agent: User = request.user
        if data.get("agent") and data["agent"] != agent.pk:
            if user_role(agent) not in (Role.MANAGER, Role.ADMIN):
                raise ApiError(
                    status_code=status.HTTP_403_FORBIDDEN,
                    code="forbidden_fields",
                    message=_("Only managers log time for someone else."),
                    field_errors={"agent": [_("Only managers log time for someone else.")]},
                )
            agent = references.assignee(data["agent"]) or agent
        entry = services.time_entry_add(
            ticket=ticket,
            agent=agent,
            seconds=data["seconds"],
            source=TimeEntry.Source.MANUAL,
            note=data.get("note", ""),
        )
        return Response(TimeEntrySerializer(entry).data, status=status.HTTP_201_CREATED)
