"""Tickets and their messages: list, read, open, change, merge, reply, note; attachments to download."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import F, QuerySet
from django.http import FileResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.models import User
from accounts.roles import Role, user_role
from api import references
from api.base import ApiView, ApiViewSet, ListRows, ReadRows
from api.conditional import etag_of, if_match_check, is_not_modified
from api.errors import ApiError
from api.filters import TicketFilter
from api.parsers import StrictJSONParser
from api.permissions import SIGNED_IN, STAFF
from api.serializers_tickets import (
    MessageCreateSerializer,
    MessageSerializer,
    TicketCreateSerializer,
    TicketMergeSerializer,
    TicketSerializer,
    TicketUpdateSerializer,
)
from tickets import services
from tickets.attachments import attachment_for_agent, attachment_for_customer, attachment_response
from tickets.models import Channel, Message, Ticket
from tickets.selectors import tickets_reachable_by

MESSAGE_ORDERINGS = {"created_at": ("created_at", "id"), "-created_at": ("-created_at", "-id")}
PUBLIC_DIRECTIONS = (Message.Direction.INBOUND, Message.Direction.OUTBOUND)
# What a customer may send when opening a ticket; the rest is for support to decide.
CUSTOMER_CREATE_FIELDS = {"subject", "body", "body_html", "attachments"}


def _is_customer(user: User) -> bool:
    return user_role(user) == Role.CUSTOMER


def _given(form: Any) -> dict[str, Any]:
    """The fields the client sent (JSON object or form), whatever their values."""
    return dict(form.initial_data) if hasattr(form.initial_data, "keys") else {}


def _refuse_fields(given: dict[str, Any], allowed: set[str]) -> None:
    extra = sorted(set(given) - allowed)
    if extra:
        message = _("Your role may not set these fields.")
        raise ApiError(
            status_code=status.HTTP_403_FORBIDDEN,
            code="forbidden_fields",
            message=message,
            field_errors={name: [message] for name in extra},
        )


@extend_schema_view(
    list=extend_schema(summary="List tickets", description="Filtered, searchable, cursor-paginated."),
    retrieve=extend_schema(
        summary="Read a ticket",
        description="Answers with an ETag; send it back as If-None-Match (304) or If-Match on PATCH.",
        responses={200: TicketSerializer, 304: OpenApiResponse(description="Not modified.")},
    ),
    create=extend_schema(
        summary="Open a ticket with its first message",
        request=TicketCreateSerializer,
        responses={201: TicketSerializer},
    ),
    partial_update=extend_schema(
        summary="Change status, priority, team, assignee, tags, subject or channel",
        description="With If-Match, answers 412 when the ticket changed since that ETag.",
        request=TicketUpdateSerializer,
        responses={200: TicketSerializer},
    ),
)
class TicketViewSet(ListRows, ApiViewSet):
    """Customers reach their own tickets; agents their teams', unassigned ones and their own; managers all."""

    roles = {"list": SIGNED_IN, "retrieve": SIGNED_IN, "create": SIGNED_IN, "messages": SIGNED_IN, "*": STAFF}
    serializer_class = TicketSerializer
    filterset_class = TicketFilter
    parser_classes = [StrictJSONParser, MultiPartParser]
    not_found_message = gettext_lazy("No such ticket.")
    http_method_names = ["get", "post", "patch", "head", "options"]
    default_ordering = "-updated_at"

    def get_queryset(self) -> QuerySet[Ticket]:
        return tickets_reachable_by(self.request.user)

    def fetch_rows(self, page: QuerySet[Ticket]) -> list[Ticket]:
        # The ids in order from the ticket table alone, then those rows with what they show.
        ids = list(page.values_list("pk", flat=True))
        rows = (
            Ticket.objects.annotate(organization_id=F("customer__organization_id"))
            .prefetch_related("tags")
            .in_bulk(ids)
        )
        return [rows[pk] for pk in ids if pk in rows]

    def _ticket(self, pk: Any, *, lock: bool = False) -> Ticket:
        tickets = self.get_queryset().select_related("customer").prefetch_related("tags")
        if lock:
            tickets = tickets.select_for_update(of=("self",))
        return self.row(pk, tickets)

    def _respond(self, ticket: Ticket, code: int = status.HTTP_200_OK) -> Response:
        headers = {"ETag": etag_of(ticket)}
        if code == status.HTTP_201_CREATED:
            headers["Location"] = self.request.build_absolute_uri(f"{ticket.pk}/")
        return Response(TicketSerializer(ticket, context={"request": self.request}).data, status=code, headers=headers)

    def retrieve(self, request: Request, pk: str) -> Response:
        ticket = self._ticket(pk)
        if is_not_modified(request, etag_of(ticket)):
            return Response(status=status.HTTP_304_NOT_MODIFIED, headers={"ETag": etag_of(ticket)})
        return self._respond(ticket)

    def create(self, request: Request) -> Response:
        form = TicketCreateSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        user = request.user
        if _is_customer(user):
            _refuse_fields(
                dict(form.initial_data) if hasattr(form.initial_data, "keys") else {}, CUSTOMER_CREATE_FIELDS
            )
            customer, actor, channel = user.customer_profile, None, Channel.API
        else:
            customer, actor, channel = references.ticket_customer(data, actor=user), user, data["channel"]
        team = references.team(data.get("team"))
        assignee = references.assignee(data.get("assignee"), team=team)
        ticket = services.ticket_create(
            customer=customer,
            subject=data["subject"],
            channel=channel,
            body_text=data.get("body", ""),
            body_html=data.get("body_html", ""),
            team=team,
            assignee=assignee,
            priority=data["priority"],
            tags=data.get("tags", []),
            actor=actor,
            is_proactive=data["is_proactive"] and actor is not None,
            attachments=data.get("attachments", []),
        )
        # The ticket as the service left it (first message stamped), not read back: one query less a create.
        return self._respond(ticket, status.HTTP_201_CREATED)

    def partial_update(self, request: Request, pk: str) -> Response:
        form = TicketUpdateSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        user = request.user
        with transaction.atomic():
            ticket = self._ticket(pk, lock=True)
            if_match_check(request, etag_of(ticket))
            if ticket.merged_into_id and data:
                raise ApiError(
                    status_code=status.HTTP_409_CONFLICT,
                    code="ticket_merged",
                    message=_("Ticket #%(number)s was merged into #%(target)s; change that one.")
                    % {"number": ticket.pk, "target": ticket.merged_into_id},
                )
            if "subject" in data:
                services.ticket_change_subject(ticket=ticket, subject=data["subject"], actor=user)
            if "team" in data or "assignee" in data:
                changes: dict[str, Any] = {}
                if "team" in data:
                    changes["team"] = references.team(data["team"])
                if "assignee" in data:
                    changes["assignee"] = references.assignee(data["assignee"])
                services.ticket_assign(ticket=ticket, actor=user, **changes)
            if "priority" in data:
                services.ticket_change_priority(ticket=ticket, priority=data["priority"], actor=user)
            if "tags" in data:
                services.ticket_set_tags(ticket=ticket, tags=data["tags"], actor=user)
            if "current_channel" in data:
                services.ticket_switch_channel(ticket=ticket, channel=data["current_channel"], actor=user)
            if "status" in data:
                services.ticket_change_status(ticket=ticket, status=data["status"], actor=user)
        # Not read again through the caller's queryset: a ticket moved to another team is no longer theirs.
        ticket = Ticket.objects.select_related("customer").prefetch_related("tags").get(pk=ticket.pk)
        return self._respond(ticket)

    @extend_schema(
        summary="Merge this ticket into another", request=TicketMergeSerializer, responses={200: TicketSerializer}
    )
    @action(detail=True, methods=["post"])
    def merge(self, request: Request, pk: str) -> Response:
        form = TicketMergeSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        source = self._ticket(pk)
        target = self._ticket(form.validated_data["into"])
        services.ticket_merge(source=source, target=target, actor=request.user)
        return self._respond(self._ticket(target.pk))

    @extend_schema(
        methods=["GET"],
        summary="List a ticket's messages",
        description="Oldest first by default. Customers see no internal notes.",
        responses={200: MessageSerializer(many=True)},
    )
    @extend_schema(
        methods=["POST"],
        summary="Reply, or add an internal note",
        description=(
            "A staff reply goes out on the ticket's current channel (or `channel`). A customer's message is "
            "their reply on the ticket; it reopens a solved ticket."
        ),
        request=MessageCreateSerializer,
        responses={201: MessageSerializer},
    )
    @action(
        detail=True,
        methods=["get", "post"],
        orderings=MESSAGE_ORDERINGS,
        default_ordering="created_at",
        fetch_rows=None,
    )
    def messages(self, request: Request, pk: str) -> Response:
        ticket = self._ticket(pk)
        if request.method == "POST":
            return self._message_add(ticket)
        messages = Message.objects.filter(ticket=ticket).prefetch_related("attachments")
        if _is_customer(request.user):
            messages = messages.filter(direction__in=PUBLIC_DIRECTIONS)
        page = self.paginate_queryset(messages)
        return self.get_paginated_response(MessageSerializer(page, many=True, context={"request": request}).data)

    def _message_add(self, ticket: Ticket) -> Response:
        form = MessageCreateSerializer(data=self.request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        user = self.request.user
        common = {
            "body_text": data.get("body", ""),
            "body_html": data.get("body_html", ""),
            "attachments": data.get("attachments", []),
        }
        if _is_customer(user):
            given = _given(form)
            if data["kind"] != "reply":
                given["kind"] = data["kind"]
            else:
                given.pop("kind", None)
            _refuse_fields(given, CUSTOMER_CREATE_FIELDS)
            message = services.message_add(
                ticket=ticket,
                channel=Channel.API,
                direction=Message.Direction.INBOUND,
                author_customer=user.customer_profile,
                **common,
            )
        elif data["kind"] == "note":
            message = services.note_add(ticket=ticket, agent=user, **common)
        else:
            message = services.ticket_reply(
                ticket=ticket, agent=user, channel=data.get("channel"), status_after=data.get("status"), **common
            )
        message = Message.objects.prefetch_related("attachments").get(pk=message.pk)
        body = MessageSerializer(message, context={"request": self.request}).data
        return Response(body, status=status.HTTP_201_CREATED)


@extend_schema_view(retrieve=extend_schema(summary="Read one message"))
class MessageViewSet(ReadRows, ApiViewSet):
    roles = {"*": SIGNED_IN}
    serializer_class = MessageSerializer
    pagination_class = None
    not_found_message = gettext_lazy("No such message.")
    http_method_names = ["get", "head", "options"]

    def get_queryset(self) -> QuerySet[Message]:
        messages = Message.objects.filter(ticket__in=tickets_reachable_by(self.request.user))
        if _is_customer(self.request.user):
            messages = messages.filter(direction__in=PUBLIC_DIRECTIONS)
        return messages.prefetch_related("attachments")


class AttachmentDownloadView(ApiView):
    """The file itself; images may show inline, everything else downloads."""

    roles = {"*": SIGNED_IN}

    @extend_schema(
        summary="Download an attachment",
        responses={(200, "application/octet-stream"): OpenApiResponse(OpenApiTypes.BINARY, description="The file.")},
    )
    def get(self, request: Request, pk: int) -> FileResponse:
        user = request.user
        if _is_customer(user):
            attachment = attachment_for_customer(customer=user.customer_profile, pk=pk)
        else:
            attachment = attachment_for_agent(user=user, pk=pk)
        return attachment_response(attachment)
