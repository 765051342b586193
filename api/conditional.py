"""ETags and conditional requests: If-None-Match saves a download, If-Match stops a lost update."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from rest_framework import status
from rest_framework.request import Request

from api.errors import ApiError


def etag_of(obj: Any) -> str:
    """A strong ETag from the row's id and last change; every domain change moves updated_at."""
    return f'"{obj.pk}-{int(obj.updated_at.timestamp() * 1_000_000):x}"'


def _tags(header: str) -> list[str]:
    return [tag.strip().removeprefix("W/") for tag in header.split(",") if tag.strip()]


def if_match_check(request: Request, current: str) -> None:
    """412 when the client's If-Match names another version than the current one (no header: no check)."""
    header = request.headers.get("If-Match", "").strip()
    if not header or header == "*":
        return
    if current not in _tags(header):
        raise ApiError(
            status_code=status.HTTP_412_PRECONDITION_FAILED,
            code="precondition_failed",
            message=_("It changed since you read it (If-Match does not match its ETag). Read it again and retry."),
        )


def is_not_modified(request: Request, current: str) -> bool:
    header = request.headers.get("If-None-Match", "").strip()
    return bool(header) and (header == "*" or current in _tags(header))
