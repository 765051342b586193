"""Who works here (teams and agents, read-only) and who is calling (/me/)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db.models import Prefetch, Q, QuerySet
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.models import User
from accounts.roles import GROUP_NAMES, role_from_groups, user_role
from api.base import ApiView, ApiViewSet, ListRows, ReadRows
from api.models import ApiToken
from api.permissions import SIGNED_IN, STAFF
from tickets.models import Team

NAME_ORDERINGS = {"name": ("name", "id"), "-name": ("-name", "-id"), "id": ("id",), "-id": ("-id",)}


class TeamSerializer(serializers.ModelSerializer):
    members = serializers.SerializerMethodField()

    class Meta:
        model = Team
        fields = ["id", "name", "members", "time_zone", "working_hours", "created_at"]
        read_only_fields = fields

    def get_members(self, team: Team) -> list[int]:
        return sorted(member.pk for member in team.members.all())


class AgentSerializer(serializers.ModelSerializer):
    name = serializers.SerializerMethodField()
    role = serializers.SerializerMethodField()
    teams = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = ["id", "username", "name", "email", "role", "teams", "is_active"]
        read_only_fields = fields

    def get_name(self, user: User) -> str:
        return str(user)

    def get_role(self, user: User) -> str:
        # Staff only here, so the prefetched groups decide; no customer profile is looked up.
        return str(role_from_groups(user, {group.name for group in user.groups.all()}) or "")

    def get_teams(self, user: User) -> list[int]:
        return sorted(team.pk for team in user.teams.all())


class _ReadOnlyDirectory(ListRows, ReadRows, ApiViewSet):
    roles = {"*": STAFF}
    orderings = NAME_ORDERINGS
    default_ordering = "name"
    http_method_names = ["get", "head", "options"]


@extend_schema_view(list=extend_schema(summary="List teams"), retrieve=extend_schema(summary="Read a team"))
class TeamViewSet(_ReadOnlyDirectory):
    serializer_class = TeamSerializer
    not_found_message = gettext_lazy("No such team.")

    def get_queryset(self) -> QuerySet[Team]:
        return Team.objects.prefetch_related(Prefetch("members", queryset=User.objects.only("id")))


@extend_schema_view(list=extend_schema(summary="List agents"), retrieve=extend_schema(summary="Read an agent"))
class AgentViewSet(_ReadOnlyDirectory):
    """Agents, managers and admins: the people tickets can be assigned to."""

    serializer_class = AgentSerializer
    orderings = {"username": ("username", "id"), "id": ("id",), "-id": ("-id",)}
    default_ordering = "username"
    not_found_message = gettext_lazy("No such agent.")

    def get_queryset(self) -> QuerySet[User]:
        staff = User.objects.filter(Q(groups__name__in=GROUP_NAMES.values()) | Q(is_superuser=True)).values("pk")
        return User.objects.filter(pk__in=staff).prefetch_related(
            "groups", Prefetch("teams", queryset=Team.objects.only("id"))
        )


class TokenInfoSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    scopes = serializers.ListField(child=serializers.CharField())
    expires_at = serializers.DateTimeField(allow_null=True)
    requests_per_minute = serializers.IntegerField()


class MeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    name = serializers.CharField()
    role = serializers.CharField(help_text="agent, manager, admin or customer.")
    customer = serializers.IntegerField(allow_null=True, help_text="For a customer: their customer id.")
    token = TokenInfoSerializer(allow_null=True, help_text="The token of this request, if one was used.")


class MeView(ApiView):
    """Who the credentials belong to, with the token's scopes and limits: a first call to check a setup."""

    roles = {"*": SIGNED_IN}

    @extend_schema(summary="Who am I", responses={200: MeSerializer})
    def get(self, request: Request) -> Response:
        user = request.user
        token = request.auth if isinstance(request.auth, ApiToken) else None
        profile = getattr(user, "customer_profile", None)
        body: dict[str, Any] = {
            "id": user.pk,
            "username": user.username,
            "name": str(user),
            "role": str(user_role(user)),
            "customer": profile.pk if profile is not None else None,
            "token": None,
        }
        if token is not None:
            body["token"] = {
                "id": token.pk,
                "name": token.name,
                "scopes": token.scopes,
                "expires_at": token.expires_at,
                "requests_per_minute": token.requests_per_minute or settings.HELPDESK_API_REQUESTS_PER_MINUTE,
            }
        return Response(MeSerializer(body).data)
