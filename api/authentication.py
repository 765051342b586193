"""Who is calling: an API token in the Authorization header, or the browser session of our own pages."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from accounts.models import User
from api.models import ApiToken
from api.tokens import token_authenticate


class TokenAuthentication(authentication.BaseAuthentication):
    """`Authorization: Bearer hd_…` (or `Token hd_…`). A header that names a token it cannot use is a 401.

    request.auth is then the ApiToken, and request.user the user it acts as.
    """

    keywords = ("bearer", "token")

    def authenticate(self, request: Request) -> tuple[User, ApiToken] | None:
        header = request.META.get("HTTP_AUTHORIZATION", "")
        if not header:
            return None
        keyword, _sep, value = header.strip().partition(" ")
        if keyword.lower() not in self.keywords:
            return None  # Basic and others are not ours; the session may still authenticate
        token = token_authenticate(value.strip())
        if token is None:
            raise exceptions.AuthenticationFailed(
                _("The API token is not valid: it is unknown, revoked or expired."), code="invalid_token"
            )
        return token.user, token

    def authenticate_header(self, request: Request) -> str:
        # Makes DRF answer 401 with WWW-Authenticate, not 403, when no credentials were sent.
        return 'Bearer realm="api"'
