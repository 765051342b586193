"""API tokens, for administrators: create (the token is shown once), list, read and revoke."""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.models import User
from api.base import ApiViewSet, ListRows, ReadRows
from api.models import ApiToken, Scope
from api.permissions import ADMINS
from api.references import bad_field
from api.tokens import token_create, token_revoke


class TokenSerializer(serializers.ModelSerializer):
    user = serializers.IntegerField(source="user_id", read_only=True)
    created_by = serializers.IntegerField(source="created_by_id", read_only=True, allow_null=True)
    scopes = serializers.ListField(child=serializers.ChoiceField(choices=Scope.choices), read_only=True)

    class Meta:
        model = ApiToken
        fields = ["id", "name", "prefix", "user", "scopes", "requests_per_minute", "expires_at", "revoked_at",
                  "last_used_at", "created_by", "created_at"]  # fmt: skip
        read_only_fields = fields


class NewTokenSerializer(TokenSerializer):
    token = serializers.CharField(help_text="The token itself. Shown only now: store it safely.")

    class Meta(TokenSerializer.Meta):
        fields = [*TokenSerializer.Meta.fields, "token"]


class TokenCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100, help_text="Who uses it, for example “CRM sync”.")
    user = serializers.IntegerField(
        required=False,
        min_value=1,
        help_text="The user the token acts as (a service account, or a customer's login). Default: you.",
    )
    scopes = serializers.ListField(child=serializers.ChoiceField(choices=Scope.choices), min_length=1, max_length=3)
    expires_at = serializers.DateTimeField(required=False, allow_null=True)
    requests_per_minute = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=100_000)


@extend_schema_view(
    list=extend_schema(summary="List API tokens"),
    retrieve=extend_schema(summary="Read an API token (never its secret)"),
    create=extend_schema(
        summary="Create an API token",
        description="The answer holds the token once; only a hash is kept.",
        request=TokenCreateSerializer,
        responses={201: NewTokenSerializer},
    ),
    destroy=extend_schema(summary="Revoke an API token", responses={204: OpenApiResponse(description="Revoked.")}),
)
class TokenViewSet(ListRows, ReadRows, ApiViewSet):
    roles = {"*": ADMINS}
    token_scope = Scope.ADMIN
    serializer_class = TokenSerializer
    orderings = {"-created_at": ("-created_at", "-id"), "created_at": ("created_at", "id")}
    default_ordering = "-created_at"
    not_found_message = gettext_lazy("No such token.")
    http_method_names = ["get", "post", "delete", "head", "options"]

    def get_queryset(self) -> QuerySet[ApiToken]:
        return ApiToken.objects.all()

    def create(self, request: Request) -> Response:
        form = TokenCreateSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        user = request.user
        if data.get("user"):
            user = User.objects.filter(pk=data["user"]).first()
            if user is None:
                raise bad_field("user", _("There is no user %(id)s.") % {"id": data["user"]})
        token, text = token_create(
            name=data["name"],
            user=user,
            scopes=data["scopes"],
            expires_at=data.get("expires_at"),
            requests_per_minute=data.get("requests_per_minute"),
            created_by=request.user,
        )
        return Response({**TokenSerializer(token).data, "token": text}, status=status.HTTP_201_CREATED)

    def destroy(self, request: Request, pk: str) -> Response:
        token_revoke(token=self.row(pk))
        return Response(status=status.HTTP_204_NO_CONTENT)
