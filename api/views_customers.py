"""Customers with their identities, and organizations: what a CRM keeps in step with us."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.roles import Role, user_role
from api import references
from api.base import ApiViewSet, ListRows, ReadRows
from api.filters import IdFilter, UtcDateTimeFilter
from api.permissions import MANAGERS, SIGNED_IN, STAFF
from tickets import services
from tickets.models import Customer, CustomerIdentity, Organization
from tickets.search import identity_values

# --- serializers ----------------------------------------------------------------------------


class IdentitySerializer(serializers.ModelSerializer):
    class Meta:
        model = CustomerIdentity
        fields = ["kind", "value", "is_primary"]
        read_only_fields = ["is_primary"]
        extra_kwargs = {"value": {"help_text": "Stored normalized: lower-case email, E.164 phone."}}


class CustomerSerializer(serializers.ModelSerializer):
    organization = serializers.IntegerField(source="organization_id", read_only=True, allow_null=True)
    merged_into = serializers.IntegerField(source="merged_into_id", read_only=True, allow_null=True)
    identities = IdentitySerializer(many=True, read_only=True)
    attributes = serializers.DictField(read_only=True, help_text="Free data from the CRM.")

    class Meta:
        model = Customer
        fields = [
            "id",
            "name",
            "organization",
            "locale",
            "time_zone",
            "external_id",
            "attributes",
            "identities",
            "churned_at",
            "merged_into",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class NewIdentitySerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=CustomerIdentity.Kind.choices)
    value = serializers.CharField(max_length=320)


class CustomerWriteSerializer(serializers.Serializer):
    name = serializers.CharField(required=False, allow_blank=True, max_length=200)
    organization = serializers.IntegerField(required=False, allow_null=True, min_value=1)
    locale = serializers.CharField(required=False, allow_blank=True, max_length=10)
    time_zone = serializers.CharField(required=False, allow_blank=True, max_length=64)
    external_id = serializers.CharField(required=False, allow_blank=True, max_length=200, help_text="The CRM's id.")
    attributes = serializers.DictField(
        required=False,
        help_text="On update, merged into the stored ones: a key set to null is removed (JSON merge patch).",
    )
    churned_at = serializers.DateTimeField(
        required=False, allow_null=True, help_text="When they stopped being a customer."
    )


class CustomerCreateSerializer(CustomerWriteSerializer):
    identities = NewIdentitySerializer(many=True, required=False, max_length=20, help_text="The first is primary.")


class CustomerMergeSerializer(serializers.Serializer):
    into = serializers.IntegerField(min_value=1, help_text="The customer that keeps everything of this one.")


class ChurnSerializer(serializers.Serializer):
    at = serializers.DateTimeField(required=False, help_text="Default: now.")


class OrganizationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Organization
        fields = ["id", "name", "domain", "created_at"]
        read_only_fields = ["id", "created_at"]


class CustomerFilter(django_filters.FilterSet):
    organization = IdFilter(field_name="organization_id")
    external_id = django_filters.CharFilter(max_length=200)
    email = django_filters.CharFilter(method="filter_identity", max_length=320, help_text="An email address.")
    phone = django_filters.CharFilter(method="filter_identity", max_length=40, help_text="A phone number.")
    q = django_filters.CharFilter(method="filter_search", max_length=200, help_text="Name, email or phone.")
    churned = django_filters.BooleanFilter(field_name="churned_at", lookup_expr="isnull", exclude=True)
    merged = django_filters.BooleanFilter(field_name="merged_into", lookup_expr="isnull", exclude=True)
    created_after = UtcDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = UtcDateTimeFilter(field_name="created_at", lookup_expr="lt")
    updated_after = UtcDateTimeFilter(field_name="updated_at", lookup_expr="gte")
    updated_before = UtcDateTimeFilter(field_name="updated_at", lookup_expr="lt")

    class Meta:
        model = Customer
        fields: list[str] = []

    def filter_identity(self, queryset: QuerySet[Customer], name: str, value: str) -> QuerySet[Customer]:
        pairs = identity_values(value.strip())
        if not pairs:
            return queryset.none()
        match = Q()
        for kind, normalized in pairs:
            match |= Q(kind=kind, value=normalized)
        return queryset.filter(pk__in=CustomerIdentity.objects.filter(match).values("customer_id"))

    def filter_search(self, queryset: QuerySet[Customer], name: str, value: str) -> QuerySet[Customer]:
        value = value.strip()
        if identity_values(value):
            return self.filter_identity(queryset, name, value)
        return queryset.filter(name__icontains=value)


class OrganizationFilter(django_filters.FilterSet):
    name = django_filters.CharFilter(lookup_expr="icontains", max_length=200)
    domain = django_filters.CharFilter(lookup_expr="iexact", max_length=253)

    class Meta:
        model = Organization
        fields: list[str] = []


# --- views ----------------------------------------------------------------------------------


def _merged_attributes(stored: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    merged = {**stored, **patch}
    return {key: value for key, value in merged.items() if value is not None}


@extend_schema_view(
    list=extend_schema(summary="List customers"),
    retrieve=extend_schema(summary="Read a customer"),
    create=extend_schema(
        summary="Create a customer", request=CustomerCreateSerializer, responses={201: CustomerSerializer}
    ),
    partial_update=extend_schema(
        summary="Change a customer (CRM attributes merge)",
        request=CustomerWriteSerializer,
        responses={200: CustomerSerializer},
    ),
)
class CustomerViewSet(ListRows, ReadRows, ApiViewSet):
    """Staff read and write customers; a customer reads only their own record. Merging is for managers."""

    roles = {"list": SIGNED_IN, "retrieve": SIGNED_IN, "merge": MANAGERS, "*": STAFF}
    serializer_class = CustomerSerializer
    filterset_class = CustomerFilter
    not_found_message = _lazy("No such customer.")
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self) -> QuerySet[Customer]:
        identities = Prefetch("identities", queryset=CustomerIdentity.objects.order_by("-is_primary", "kind", "value"))
        customers = Customer.objects.prefetch_related(identities)
        if user_role(self.request.user) == Role.CUSTOMER:
            return customers.filter(pk=self.request.user.customer_profile.pk)
        return customers

    def _respond(self, customer: Customer, code: int = status.HTTP_200_OK) -> Response:
        return Response(CustomerSerializer(self.row(customer.pk)).data, status=code)

    def create(self, request: Request) -> Response:
        form = CustomerCreateSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = dict(form.validated_data)
        identities = [(row["kind"], row["value"]) for row in data.pop("identities", [])]
        if "organization" in data:
            data["organization"] = references.organization(data["organization"])
        if data.get("external_id") and Customer.objects.filter(external_id=data["external_id"]).exists():
            raise references.bad_field(
                "external_id", _("Another customer already has this CRM id."), code="external_id_taken"
            )
        customer = services.customer_create(identities=identities, actor=request.user, **data)
        return self._respond(customer, status.HTTP_201_CREATED)

    def partial_update(self, request: Request, pk: str) -> Response:
        customer = self.row(pk)
        form = CustomerWriteSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        fields = dict(form.validated_data)
        if "organization" in fields:
            fields["organization"] = references.organization(fields["organization"])
        if "attributes" in fields:
            fields["attributes"] = _merged_attributes(customer.attributes, fields["attributes"])
        services.customer_update(customer=customer, fields=fields, actor=request.user)
        return self._respond(customer)

    @extend_schema(
        summary="Add an email, phone or handle", request=NewIdentitySerializer, responses={201: CustomerSerializer}
    )
    @action(detail=True, methods=["post"])
    def identities(self, request: Request, pk: str) -> Response:
        customer = self.row(pk)
        form = NewIdentitySerializer(data=request.data)
        form.is_valid(raise_exception=True)
        services.customer_identity_add(customer=customer, actor=request.user, **form.validated_data)
        return self._respond(customer, status.HTTP_201_CREATED)

    @extend_schema(
        summary="Merge this customer into another",
        description="Identities, tickets and the portal login move to `into`; this record stays, marked merged.",
        request=CustomerMergeSerializer,
        responses={200: CustomerSerializer},
    )
    @action(detail=True, methods=["post"])
    def merge(self, request: Request, pk: str) -> Response:
        source = self.row(pk)
        form = CustomerMergeSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        target = self.row(form.validated_data["into"])
        services.customer_merge(source=source, target=target, actor=request.user)
        return self._respond(target)

    @extend_schema(summary="Mark a customer churned", request=ChurnSerializer, responses={200: CustomerSerializer})
    @action(detail=True, methods=["post"])
    def churn(self, request: Request, pk: str) -> Response:
        customer = self.row(pk)
        form = ChurnSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        at = form.validated_data.get("at") or timezone.now()
        services.customer_mark_churned(customer=customer, at=at, actor=request.user)
        return self._respond(customer)


@extend_schema_view(
    list=extend_schema(summary="List organizations"),
    retrieve=extend_schema(summary="Read an organization"),
    create=extend_schema(summary="Create an organization", responses={201: OrganizationSerializer}),
    partial_update=extend_schema(summary="Rename an organization or change its domain"),
)
class OrganizationViewSet(ListRows, ReadRows, ApiViewSet):
    roles = {"list": STAFF, "retrieve": STAFF, "*": MANAGERS}
    serializer_class = OrganizationSerializer
    filterset_class = OrganizationFilter
    orderings = {"name": ("name", "id"), "-name": ("-name", "-id"), "id": ("id",), "-id": ("-id",)}
    default_ordering = "name"
    not_found_message = _lazy("No such organization.")
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self) -> QuerySet[Organization]:
        return Organization.objects.all()

    def create(self, request: Request) -> Response:
        form = OrganizationSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        organization = services.organization_save(**form.validated_data)
        return Response(OrganizationSerializer(organization).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request: Request, pk: str) -> Response:
        organization = self.row(pk)
        form = OrganizationSerializer(organization, data=request.data, partial=True)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        services.organization_save(
            organization=organization,
            name=data.get("name", organization.name),
            domain=data.get("domain", organization.domain),
        )
        return Response(OrganizationSerializer(organization).data)
