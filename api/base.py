"""What every API view shares: authentication, roles and scopes, rate limits, one error shape,
cursor pages, Idempotency-Key on POST, and a cap on the request size."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api.errors import ApiError, not_found
from api.idempotency import HEADER as IDEMPOTENCY_HEADER
from api.idempotency import Replay, Reservation, idempotency_begin, idempotency_finish
from api.pagination import STANDARD_ORDERINGS, KeysetPagination
from api.permissions import STAFF, RoleAndScope
from api.throttling import RequestRateThrottle


def max_body_bytes() -> int:
    # Room for a few attachments at the limit, base64-encoded in JSON (4/3 of their size).
    return 3 * settings.HELPDESK_API_MAX_ATTACHMENT_BYTES + 1024 * 1024


class ApiViewMixin:
    permission_classes = [RoleAndScope]
    throttle_classes = [RequestRateThrottle]
    roles: dict[Any, frozenset] = {"*": STAFF}
    idempotency: Reservation | None = None

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Response:
        # A POST with an Idempotency-Key runs in one transaction with its key's reservation.
        if request.method == "POST" and request.headers.get(IDEMPOTENCY_HEADER):
            with transaction.atomic():
                return super().dispatch(request, *args, **kwargs)  # type: ignore[misc]
        return super().dispatch(request, *args, **kwargs)  # type: ignore[misc]

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        length = request.META.get("CONTENT_LENGTH") or "0"
        if length.isdigit() and int(length) > max_body_bytes():
            raise ApiError(
                status_code=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
                code="request_too_large",
                message=_("The request is larger than %(limit)d MB.") % {"limit": max_body_bytes() // 2**20},
            )
        # Before the permission checks, so refused callers count against their rate too.
        self.check_throttles(request)
        super().initial(request, *args, **kwargs)  # type: ignore[misc]
        if request.method == "POST":
            self.idempotency = idempotency_begin(request)

    def check_throttles(self, request: Request) -> None:
        if getattr(request, "rate_limit", None) is None:  # once per request
            super().check_throttles(request)  # type: ignore[misc]

    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, Replay):
            return exc.response()
        return super().handle_exception(exc)  # type: ignore[misc]

    def finalize_response(self, request: Request, response: Response, *args: Any, **kwargs: Any) -> Response:
        response = super().finalize_response(request, response, *args, **kwargs)  # type: ignore[misc]
        rate = getattr(request, "rate_limit", None)
        if rate:
            response["X-RateLimit-Limit"] = str(rate["limit"])
            response["X-RateLimit-Remaining"] = str(rate["remaining"])
            response["X-RateLimit-Reset"] = str(rate["reset"])
        if self.idempotency is not None:
            idempotency_finish(self.idempotency, response)
            self.idempotency = None
        return response


class ApiView(ApiViewMixin, APIView):
    pass


class ApiViewSet(ApiViewMixin, viewsets.GenericViewSet):
    pagination_class = KeysetPagination
    # The orders a list offers (see KeysetPagination); an @action may pass its own.
    orderings: dict[str, tuple[str, ...]] = STANDARD_ORDERINGS
    default_ordering = "-updated_at"
    lookup_value_regex = r"\d{1,18}"
    # What a 404 says when `row` finds nothing, e.g. "No such ticket."
    not_found_message: Any = gettext_lazy("Not found.")

    def row(self, pk: Any, queryset: QuerySet | None = None) -> Any:
        """Row `pk` of the caller's queryset (or of `queryset`), else a 404 in the API's error shape.

        The same answer whether the row does not exist or is not the caller's to see.
        """
        found = (self.get_queryset() if queryset is None else queryset).filter(pk=pk).first()
        if found is None:
            raise not_found(str(self.not_found_message))
        return found


class ListRows:
    """GET on the collection: the view's queryset, filtered, one cursor page, through its serializer."""

    def list(self: Any, request: Request) -> Response:
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


class ReadRows:
    """GET on one row of the view's queryset, through its serializer."""

    def retrieve(self: Any, request: Request, pk: str) -> Response:
        return Response(self.get_serializer(self.row(pk)).data)
