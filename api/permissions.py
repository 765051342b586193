"""Who may call what: the caller's role (as on the pages) and, for a token, its scopes.

Each view says which roles may take each of its actions (`roles`, keyed by action name, "*" for the
rest). Which objects a caller reaches is decided by the view's queryset, so someone else's ticket is
a 404, never a 403 that would confirm it exists.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request

from accounts.roles import Role, user_role
from api.models import ApiToken, Scope

if TYPE_CHECKING:
    from rest_framework.views import APIView

ANONYMOUS = None
STAFF = frozenset({Role.AGENT, Role.MANAGER, Role.ADMIN})
MANAGERS = frozenset({Role.MANAGER, Role.ADMIN})
ADMINS = frozenset({Role.ADMIN})
SIGNED_IN = frozenset({Role.CUSTOMER, *STAFF})
EVERYONE = frozenset({ANONYMOUS, *SIGNED_IN})


def view_action(request: Request, view: APIView) -> str:
    """A viewset's action ("list", "merge", ...); for a plain view, its HTTP method in lower case."""
    return getattr(view, "action", None) or request.method.lower()


def needed_scope(request: Request, view: APIView) -> str:
    scope = getattr(view, "token_scope", None)
    if scope:
        return scope
    return Scope.READ if request.method in SAFE_METHODS else Scope.WRITE


class RoleAndScope(BasePermission):
    """The view's `roles` for this action, and for a token the scope the request needs."""

    def has_permission(self, request: Request, view: APIView) -> bool:
        rules: dict = getattr(view, "roles", {"*": STAFF})
        action = view_action(request, view)
        allowed = rules.get(action, rules.get("*", frozenset()))
        role = user_role(request.user)
        if role not in allowed:
            if not request.user.is_authenticated:
                raise exceptions.NotAuthenticated()
            if role is None:
                raise exceptions.PermissionDenied(_("Your account has no role yet."), code="no_role")
            message = getattr(view, "refusal_message", None) or _("Your role may not do this.")
            raise exceptions.PermissionDenied(str(message), code="forbidden_role")
        token = request.auth
        if isinstance(token, ApiToken):
            scope = needed_scope(request, view)
            if not token.allows(scope):
                raise exceptions.PermissionDenied(
                    _("This token lacks the “%(scope)s” scope.") % {"scope": scope}, code="insufficient_scope"
                )
        return True
