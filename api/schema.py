"""The OpenAPI description: every operation also documents the error shape, and tokens as bearer auth."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from rest_framework import serializers


class ErrorSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="A stable word for programs: not_found, invalid, insufficient_scope, …")
    message = serializers.CharField(help_text="What went wrong, in a sentence for people.")
    field_errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text='Messages per field; nested fields are dotted ("attachments.0.filename").',
    )


class AutoSchema(SpectacularAutoSchema):
    """Adds the error responses every operation can give, so clients (and schemathesis) know their shape."""

    def _get_response_bodies(self, direction: str = "response") -> dict[str, Any]:
        responses = super()._get_response_bodies(direction)
        error = self._get_response_for_code(ErrorSerializer, "default", direction=direction)
        error["description"] = (
            "An error: 400 bad input, 401 no or bad credentials, 403 role or token scope, 404 not found or "
            "not yours, 409 conflicts with the current state, 412 If-Match failed, 413 too large, "
            "422 Idempotency-Key reused, 429 rate limit (see Retry-After)."
        )
        responses.setdefault("default", error)
        return responses


class TokenAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "api.authentication.TokenAuthentication"
    name = "token"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return {
            "type": "http",
            "scheme": "bearer",
            "description": (
                "An API token (hd_…), sent as `Authorization: Bearer <token>`. Administrators create tokens "
                "in the admin (API tokens) or with POST /api/v1/tokens/; the token is shown once."
            ),
        }


GUIDE = Path(__file__).with_name("guide.md")


def add_guide(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict[str, Any]:
    """Put the integrator's walk-through (api/guide.md) at the top of the documentation page."""
    result.setdefault("info", {})["description"] = GUIDE.read_text(encoding="utf-8")
    return result
