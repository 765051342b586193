"""How tickets, messages and attachments look in the API, and what creating or changing them takes."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from api.fields import AttachmentListField
from tickets.models import Attachment, Channel, Message, Ticket

# --- output ---------------------------------------------------------------------------------


class AttachmentSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField(help_text="Download it with the same credentials.")

    class Meta:
        model = Attachment
        fields = ["id", "filename", "content_type", "size", "url"]

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, attachment: Attachment) -> str:
        path = reverse("api:attachment-download", args=[attachment.pk])
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request is not None else path


class AuthorSerializer(serializers.Serializer):
    type = serializers.ChoiceField(
        choices=["customer", "agent", "system"], help_text="system: an automatic message, or one with no author."
    )
    id = serializers.IntegerField(allow_null=True)


# Plain serializers with every field spelled out, not ModelSerializers: these two are on the busiest
# paths, and a ModelSerializer inspects the model again each time it is made (about 2 ms a request).


class MessageSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    ticket = serializers.IntegerField(source="ticket_id", read_only=True)
    channel = serializers.ChoiceField(choices=Channel.choices, read_only=True)
    direction = serializers.ChoiceField(choices=Message.Direction.choices, read_only=True)
    author = serializers.SerializerMethodField()
    is_automatic = serializers.BooleanField(read_only=True)
    body_text = serializers.CharField(read_only=True)
    body_html = serializers.CharField(read_only=True, help_text="Sanitized HTML, or empty.")
    delivery_status = serializers.ChoiceField(
        choices=Message.DeliveryStatus.choices, read_only=True, help_text="Outbound messages: queued … sent, failed."
    )
    delivery_error = serializers.CharField(read_only=True)
    external_id = serializers.CharField(read_only=True)
    email_message_id = serializers.CharField(read_only=True)
    created_at = serializers.DateTimeField(read_only=True)
    attachments = AttachmentSerializer(many=True, read_only=True)

    @extend_schema_field(AuthorSerializer)
    def get_author(self, message: Message) -> dict[str, Any]:
        if message.author_customer_id:
            return {"type": "customer", "id": message.author_customer_id}
        if message.author_agent_id and not message.is_automatic:
            return {"type": "agent", "id": message.author_agent_id}
        return {"type": "system", "id": None}


class TicketSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True, help_text="Also the number people quote (#1042).")
    subject = serializers.CharField(read_only=True)
    status = serializers.ChoiceField(choices=Ticket.Status.choices, read_only=True)
    priority = serializers.ChoiceField(choices=Ticket.Priority.choices, read_only=True)
    channel = serializers.ChoiceField(choices=Channel.choices, read_only=True, help_text="Where it came in.")
    current_channel = serializers.ChoiceField(
        choices=Channel.choices, read_only=True, help_text="Where the conversation goes on; replies go out here."
    )
    customer = serializers.IntegerField(source="customer_id", read_only=True)
    organization = serializers.SerializerMethodField()
    team = serializers.IntegerField(source="team_id", read_only=True, allow_null=True)
    assignee = serializers.IntegerField(source="assignee_id", read_only=True, allow_null=True)
    tags = serializers.SerializerMethodField()
    is_proactive = serializers.BooleanField(read_only=True, help_text="Opened by support.")
    merged_into = serializers.IntegerField(source="merged_into_id", read_only=True, allow_null=True)
    created_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)
    first_response_at = serializers.DateTimeField(read_only=True, allow_null=True)
    first_solved_at = serializers.DateTimeField(read_only=True, allow_null=True)
    solved_at = serializers.DateTimeField(read_only=True, allow_null=True)
    closed_at = serializers.DateTimeField(read_only=True, allow_null=True)
    reopen_count = serializers.IntegerField(read_only=True)
    channel_switch_count = serializers.IntegerField(read_only=True)
    contact_count = serializers.IntegerField(read_only=True)

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_organization(self, ticket: Ticket) -> int | None:
        # Annotated by the list, or read through the customer that retrieve loads with the ticket.
        if hasattr(ticket, "organization_id"):
            return ticket.organization_id
        return ticket.customer.organization_id

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_tags(self, ticket: Ticket) -> list[str]:
        return sorted(tag.name for tag in ticket.tags.all())


# --- input ----------------------------------------------------------------------------------


class RequesterSerializer(serializers.Serializer):
    """Who asks, when the integrator does not know our customer id: found by email or phone, or created."""

    name = serializers.CharField(required=False, allow_blank=True, max_length=200)
    email = serializers.EmailField(required=False, max_length=254)
    phone = serializers.CharField(required=False, max_length=40)
    locale = serializers.CharField(required=False, allow_blank=True, max_length=10)

    def validate(self, data: dict[str, Any]) -> dict[str, Any]:
        if not data.get("email") and not data.get("phone"):
            raise serializers.ValidationError("Give the requester's email or phone.")
        return data


class TicketCreateSerializer(serializers.Serializer):
    subject = serializers.CharField(max_length=300)
    body = serializers.CharField(
        required=False, allow_blank=True, max_length=200_000, help_text="The first message, as plain text."
    )
    body_html = serializers.CharField(
        required=False, allow_blank=True, max_length=500_000, help_text="The first message as HTML (sanitized)."
    )
    customer = serializers.IntegerField(required=False, min_value=1, help_text="Our customer id…")
    requester = RequesterSerializer(required=False, help_text="…or who asks, found or created by email or phone.")
    channel = serializers.ChoiceField(
        choices=Channel.choices, default=Channel.API, help_text="Where the request came in (staff only)."
    )
    priority = serializers.ChoiceField(choices=Ticket.Priority.choices, default=Ticket.Priority.NORMAL)
    team = serializers.IntegerField(required=False, allow_null=True, min_value=1)
    assignee = serializers.IntegerField(required=False, allow_null=True, min_value=1)
    tags = serializers.ListField(
        child=serializers.CharField(max_length=50), required=False, max_length=50, help_text="Tag names."
    )
    is_proactive = serializers.BooleanField(
        default=False, help_text="Opened by support: the first message goes from the caller to the customer."
    )
    attachments = AttachmentListField()

    def validate(self, data: dict[str, Any]) -> dict[str, Any]:
        if "customer" in data and "requester" in data:
            raise serializers.ValidationError("Give customer or requester, not both.")
        return data


class TicketUpdateSerializer(serializers.Serializer):
    """Every field is optional; only those sent change."""

    subject = serializers.CharField(required=False, max_length=300)
    status = serializers.ChoiceField(choices=Ticket.Status.choices, required=False)
    priority = serializers.ChoiceField(choices=Ticket.Priority.choices, required=False)
    team = serializers.IntegerField(required=False, allow_null=True, min_value=1)
    assignee = serializers.IntegerField(required=False, allow_null=True, min_value=1)
    tags = serializers.ListField(
        child=serializers.CharField(max_length=50), required=False, max_length=50, help_text="Replaces the tags."
    )
    current_channel = serializers.ChoiceField(
        choices=Channel.choices, required=False, help_text="Continue the conversation on another channel."
    )


class TicketMergeSerializer(serializers.Serializer):
    into = serializers.IntegerField(min_value=1, help_text="The ticket that takes this one's messages.")


class MessageCreateSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(
        choices=["reply", "note"],
        default="reply",
        help_text="reply: to the customer (from a customer: their message). note: internal, staff only.",
    )
    body = serializers.CharField(required=False, allow_blank=True, max_length=200_000)
    body_html = serializers.CharField(required=False, allow_blank=True, max_length=500_000)
    channel = serializers.ChoiceField(
        choices=Channel.choices, required=False, help_text="A staff reply's channel; default: the ticket's current one."
    )
    status = serializers.ChoiceField(
        choices=Ticket.Status.choices, required=False, help_text="Staff: the ticket's status after the reply."
    )
    attachments = AttachmentListField()

    def validate(self, data: dict[str, Any]) -> dict[str, Any]:
        if not (data.get("body", "").strip() or data.get("body_html", "").strip()):
            raise serializers.ValidationError({"body": ["Write something: body or body_html."]})
        return data
