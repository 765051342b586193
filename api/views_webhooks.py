"""Webhook subscriptions and their delivery log, for administrators (tokens with the admin scope)."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import Prefetch, QuerySet
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from api.base import ApiViewSet, ListRows, ReadRows
from api.models import Scope
from api.permissions import ADMINS
from integrations import webhooks
from integrations.models import ChangeKind, WebhookAttempt, WebhookDelivery, WebhookSubscription

EVENT_CHOICES = [webhooks.ALL_EVENTS, *ChangeKind.values]


class SubscriptionSerializer(serializers.ModelSerializer):
    events = serializers.ListField(child=serializers.ChoiceField(choices=EVENT_CHOICES))

    class Meta:
        model = WebhookSubscription
        fields = ["id", "name", "url", "events", "is_active", "paused_at", "pause_reason", "consecutive_failures",
                  "created_at", "updated_at"]  # fmt: skip
        read_only_fields = fields


class NewSubscriptionSerializer(SubscriptionSerializer):
    secret = serializers.CharField(help_text="Signs every delivery (X-Helpdesk-Signature). Shown only now.")

    class Meta(SubscriptionSerializer.Meta):
        fields = [*SubscriptionSerializer.Meta.fields, "secret"]


class SubscriptionWriteSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    url = serializers.CharField(max_length=1000, help_text="http:// or https:// address that receives the POSTs.")
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=EVENT_CHOICES), min_length=1, help_text='Event names, or ["*"].'
    )
    is_active = serializers.BooleanField(
        required=False, help_text="false pauses it; true resumes it and sends what waited."
    )


class SecretSerializer(serializers.Serializer):
    secret = serializers.CharField(help_text="The new secret; the old one also signs for 24 hours.")


class AttemptSerializer(serializers.ModelSerializer):
    class Meta:
        model = WebhookAttempt
        fields = ["status_code", "error", "response_excerpt", "duration_ms", "created_at"]
        read_only_fields = fields


class DeliverySerializer(serializers.ModelSerializer):
    subscription = serializers.IntegerField(source="subscription_id", read_only=True)
    event_id = serializers.SerializerMethodField()
    attempt_log = AttemptSerializer(many=True, read_only=True)

    class Meta:
        model = WebhookDelivery
        fields = ["id", "subscription", "event", "event_id", "ordering_key", "status", "attempts", "next_attempt_at",
                  "last_status_code", "last_error", "delivered_at", "created_at", "attempt_log"]  # fmt: skip
        read_only_fields = fields

    def get_event_id(self, delivery: WebhookDelivery) -> str:
        return str((delivery.payload or {}).get("id", ""))


class DeliveryDetailSerializer(DeliverySerializer):
    payload = serializers.JSONField(read_only=True, help_text="The body as sent.")

    class Meta(DeliverySerializer.Meta):
        fields = [*DeliverySerializer.Meta.fields, "payload"]


class DeliveryFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=WebhookDelivery.Status.choices)
    event = django_filters.CharFilter(max_length=40)

    class Meta:
        model = WebhookDelivery
        fields: list[str] = []


class _AdminOnly(ApiViewSet):
    roles = {"*": ADMINS}
    token_scope = Scope.ADMIN
    filterset_class: type | None = None


@extend_schema_view(
    list=extend_schema(summary="List webhook subscriptions"),
    retrieve=extend_schema(summary="Read a webhook subscription"),
    create=extend_schema(
        summary="Subscribe a URL to events",
        description="The answer holds the signing secret once. Events committed from now on are sent.",
        request=SubscriptionWriteSerializer,
        responses={201: NewSubscriptionSerializer},
    ),
    partial_update=extend_schema(
        summary="Change, pause or resume a subscription",
        request=SubscriptionWriteSerializer,
        responses={200: SubscriptionSerializer},
    ),
    destroy=extend_schema(
        summary="Remove a subscription and its delivery log", responses={204: OpenApiResponse(description="Removed.")}
    ),
)
class WebhookSubscriptionViewSet(ListRows, ReadRows, _AdminOnly):
    serializer_class = SubscriptionSerializer
    orderings = {"id": ("id",), "-id": ("-id",)}
    default_ordering = "id"
    not_found_message = gettext_lazy("No such subscription.")
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self) -> QuerySet:
        if self.action == "deliveries":  # what the delivery log filters (and the schema describes)
            return WebhookDelivery.objects.all()
        return WebhookSubscription.objects.all()

    def _subscription(self, pk: Any) -> WebhookSubscription:
        # Not get_queryset(): in the deliveries action that is the delivery log.
        return self.row(pk, WebhookSubscription.objects.all())

    def create(self, request: Request) -> Response:
        form = SubscriptionWriteSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        subscription, secret = webhooks.webhook_subscription_create(
            name=data["name"], url=data["url"], events=data["events"], created_by=request.user
        )
        if data.get("is_active") is False:
            subscription = webhooks.webhook_subscription_update(subscription=subscription, is_active=False)
        body = {**SubscriptionSerializer(subscription).data, "secret": secret}
        return Response(body, status=status.HTTP_201_CREATED)

    def partial_update(self, request: Request, pk: str) -> Response:
        subscription = self._subscription(pk)
        form = SubscriptionWriteSerializer(data=request.data, partial=True)
        form.is_valid(raise_exception=True)
        updated = webhooks.webhook_subscription_update(subscription=subscription, **form.validated_data)
        return Response(SubscriptionSerializer(updated).data)

    def destroy(self, request: Request, pk: str) -> Response:
        webhooks.webhook_subscription_delete(subscription=self._subscription(pk))
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(summary="Send a test event now", request=None, responses={201: DeliverySerializer})
    @action(detail=True, methods=["post"])
    def ping(self, request: Request, pk: str) -> Response:
        delivery = webhooks.webhook_ping(subscription=self._subscription(pk))
        return Response(DeliverySerializer(delivery).data, status=status.HTTP_201_CREATED)

    @extend_schema(summary="Make a new signing secret", request=None, responses={200: SecretSerializer})
    @action(detail=True, methods=["post"], url_path="rotate-secret")
    def rotate_secret(self, request: Request, pk: str) -> Response:
        secret = webhooks.webhook_secret_rotate(subscription=self._subscription(pk))
        return Response({"secret": secret})

    @extend_schema(
        summary="The delivery log of a subscription",
        description="Newest first, each with its attempts and the receiver's response codes.",
        responses={200: DeliverySerializer(many=True)},
    )
    @action(
        detail=True,
        methods=["get"],
        orderings={"-id": ("-id",), "id": ("id",)},
        default_ordering="-id",
        filterset_class=DeliveryFilter,
    )
    def deliveries(self, request: Request, pk: str) -> Response:
        subscription = self._subscription(pk)
        rows = (
            self.get_queryset()
            .filter(subscription=subscription)
            .prefetch_related(Prefetch("attempt_log", queryset=WebhookAttempt.objects.order_by("id")))
        )
        page = self.paginate_queryset(self.filter_queryset(rows))
        return self.get_paginated_response(DeliverySerializer(page, many=True).data)


@extend_schema_view(retrieve=extend_schema(summary="Read a delivery with its body and attempts"))
class WebhookDeliveryViewSet(ReadRows, _AdminOnly):
    serializer_class = DeliveryDetailSerializer
    pagination_class = None
    not_found_message = gettext_lazy("No such delivery.")
    http_method_names = ["get", "post", "head", "options"]

    def get_queryset(self) -> QuerySet[WebhookDelivery]:
        return WebhookDelivery.objects.prefetch_related("attempt_log")

    @extend_schema(
        summary="Deliver it again",
        description="The same body goes out again as a new delivery, after earlier ones of its ticket.",
        request=None,
        responses={201: DeliverySerializer},
    )
    @action(detail=True, methods=["post"])
    def redeliver(self, request: Request, pk: str) -> Response:
        again = webhooks.webhook_redeliver(delivery=self.row(pk))
        return Response(DeliverySerializer(again).data, status=status.HTTP_201_CREATED)
