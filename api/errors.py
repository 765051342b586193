"""One error shape for the whole API: {"code", "message", "field_errors"}.

`code` is a stable machine word, `message` a sentence for people (in the caller's language), and
`field_errors` maps a field (dotted for nested ones: "attachments.0.content_base64") to its messages.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.views import defaults
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

# Service errors that mean "not in this state", not "bad input": 409 Conflict.
CONFLICT_CODES = frozenset(
    {
        "invalid_transition",
        "ticket_closed",
        "ticket_merged",
        "already_merged",
        "target_merged",
        "target_closed",
        "customer_merged",
        "identity_taken",
        "external_id_taken",
        "name_taken",
        "split_moved",
    }
)


class ApiError(exceptions.APIException):
    """An error in the API's one shape, raised by views for anything DRF has no exception for."""

    def __init__(
        self, *, status_code: int, code: str, message: str, field_errors: Mapping[str, list[str]] | None = None
    ) -> None:
        super().__init__(detail=message, code=code)
        self.status_code = status_code
        self.code = code
        self.field_errors = dict(field_errors or {})


def not_found(message: str) -> ApiError:
    """404: the object does not exist, or is not the caller's (the same answer, on purpose)."""
    return ApiError(status_code=status.HTTP_404_NOT_FOUND, code="not_found", message=message)


def bad_field(field: str, message: str, code: str = "invalid") -> ApiError:
    """400 naming the field or query parameter that is wrong."""
    return ApiError(
        status_code=status.HTTP_400_BAD_REQUEST, code=code, message=message, field_errors={field: [message]}
    )


def error_body(code: str, message: str, field_errors: Mapping[str, list[str]] | None = None) -> dict[str, Any]:
    return {"code": code, "message": message, "field_errors": dict(field_errors or {})}


def _flatten(detail: Any, prefix: str = "") -> dict[str, list[str]]:
    """DRF's nested validation detail as {"field.0.sub": [messages]}."""
    if isinstance(detail, Mapping):
        found: dict[str, list[str]] = {}
        for key, value in detail.items():
            found.update(_flatten(value, f"{prefix}.{key}" if prefix else str(key)))
        return found
    if isinstance(detail, list) and detail and all(isinstance(item, str) for item in detail):
        return {prefix or "non_field_errors": [str(item) for item in detail]}
    if isinstance(detail, list):
        found = {}
        for index, value in enumerate(detail):
            if value:
                found.update(_flatten(value, f"{prefix}.{index}" if prefix else str(index)))
        return found
    return {prefix or "non_field_errors": [str(detail)]}


def _first_code(detail: Any) -> str | None:
    if isinstance(detail, exceptions.ErrorDetail):
        return detail.code
    if isinstance(detail, Mapping):
        detail = list(detail.values())
    if isinstance(detail, list):
        for item in detail:
            code = _first_code(item)
            if code:
                return code
    return None


def _from_django_validation(error: DjangoValidationError) -> ApiError:
    code = getattr(error, "code", None) or ""
    if hasattr(error, "error_dict"):
        field_errors = {field: [str(m) for m in messages] for field, messages in error.message_dict.items()}
        first = next(iter(error.error_dict.values()))[0]
        code = code or getattr(first, "code", None) or "invalid"
        message = _("Some fields are not valid.") if len(field_errors) > 1 else next(iter(field_errors.values()))[0]
    else:
        field_errors = {}
        code = code or next((getattr(e, "code", None) for e in error.error_list if getattr(e, "code", None)), None)
        code = code or "invalid"
        message = " ".join(error.messages)
    status_code = status.HTTP_409_CONFLICT if code in CONFLICT_CODES else status.HTTP_400_BAD_REQUEST
    field_errors.pop("__all__", None)
    return ApiError(status_code=status_code, code=code, message=message, field_errors=field_errors)


def exception_handler(exc: Exception, context: dict) -> Response | None:
    """DRF's handler, then the body rewritten to the one shape. Django's own errors are translated first."""
    if isinstance(exc, Http404):
        exc = exceptions.NotFound(str(exc) if str(exc) else None)
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) if str(exc) else None)
    elif isinstance(exc, DjangoValidationError):
        exc = _from_django_validation(exc)
    response = drf_exception_handler(exc, context)
    if response is None or not isinstance(exc, exceptions.APIException):
        return response
    response.data = error_body(*_describe(exc))
    return response


def _describe(exc: exceptions.APIException) -> tuple[str, str, dict[str, list[str]]]:
    if isinstance(exc, ApiError):
        return exc.code, str(exc.detail), exc.field_errors
    detail = exc.detail
    if isinstance(exc, exceptions.ValidationError):
        field_errors = _flatten(detail)
        general = field_errors.pop("non_field_errors", None)
        code = _first_code(detail) or "invalid"
        if code in ("invalid", "required", "null", "blank") or field_errors:
            code = "invalid"
        if general:
            message = " ".join(general)
        elif len(field_errors) == 1:
            field, messages = next(iter(field_errors.items()))
            message = f"{field}: {messages[0]}"
        else:
            message = _("Some fields are not valid.")
        return code, message, field_errors
    code = detail.code if isinstance(detail, exceptions.ErrorDetail) and detail.code else exc.default_code
    message = str(detail) if isinstance(detail, str) else str(exc.default_detail)
    return code, message, {}


# --- Django's own 404 and 500 pages, as JSON under /api/ ---------------------------------------


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _is_api(request):
        return JsonResponse(error_body("not_found", _("There is no such address in the API.")), status=404)
    return defaults.page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    if _is_api(request):
        body = error_body("server_error", _("Something went wrong on our side. It has been logged; try again later."))
        return JsonResponse(body, status=500)
    return defaults.server_error(request)
