"""Cursor pagination on an index: each page starts where the last one ended, never with OFFSET.

A page costs the same at the millionth row as at the first, rows added meanwhile neither repeat
nor vanish, and the cursor is opaque to clients (base64 JSON of the last row's sort values).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import F, Q, QuerySet
from django.utils.translation import gettext as _
from rest_framework.pagination import BasePagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param
from rest_framework.views import APIView

from api.errors import bad_field

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 100

# The orderings a list may offer: name -> the fields it sorts by ("-" descending), ending in a unique one.
STANDARD_ORDERINGS: dict[str, tuple[str, ...]] = {
    "-updated_at": ("-updated_at", "-id"),
    "updated_at": ("updated_at", "id"),
    "-created_at": ("-created_at", "-id"),
    "created_at": ("created_at", "id"),
    "-id": ("-id",),
    "id": ("id",),
}


class KeysetPagination(BasePagination):
    """`?page_size=` (1–100) and `?cursor=` from the previous page's `next_cursor`; `?ordering=` picks the order.

    The view lists its orderings in `orderings` (default STANDARD_ORDERINGS) and its default in
    `default_ordering`; it may set `fetch_rows(queryset)` to load a page's rows its own way.
    """

    page_size_query_param = "page_size"
    cursor_query_param = "cursor"
    ordering_query_param = "ordering"

    def paginate_queryset(self, queryset: QuerySet, request: Request, view: APIView | None = None) -> list[Any]:
        self.request = request
        orderings: dict[str, Sequence[str]] = getattr(view, "orderings", STANDARD_ORDERINGS)
        self.ordering_name = request.query_params.get(self.ordering_query_param) or getattr(
            view, "default_ordering", "-updated_at"
        )
        if self.ordering_name not in orderings:
            message = _("Order by one of: %(choices)s.") % {"choices": ", ".join(orderings)}
            raise bad_field("ordering", message, code="invalid_ordering")
        keys = [(name.lstrip("-"), name.startswith("-")) for name in orderings[self.ordering_name]]
        self.page_size = self._page_size(request)
        after = self._decode(request.query_params.get(self.cursor_query_param), queryset, keys)
        ordered = queryset.order_by(*[F(field).desc() if desc else F(field).asc() for field, desc in keys])
        if after is not None:
            ordered = ordered.filter(_beyond(keys, after))
        fetch: Callable[[QuerySet], list[Any]] = getattr(view, "fetch_rows", None) or list
        rows = fetch(ordered[: self.page_size + 1])
        self.has_next = len(rows) > self.page_size
        rows = rows[: self.page_size]
        self.next_cursor = self._encode(rows[-1], keys) if self.has_next and rows else None
        return rows

    def _page_size(self, request: Request) -> int:
        raw = request.query_params.get(self.page_size_query_param)
        if raw in (None, ""):
            return DEFAULT_PAGE_SIZE
        if not raw.isdigit() or not 1 <= int(raw) <= MAX_PAGE_SIZE:
            message = _("page_size must be a whole number from 1 to %(max)d.") % {"max": MAX_PAGE_SIZE}
            raise bad_field("page_size", message, code="invalid_page_size")
        return int(raw)

    def _encode(self, row: Any, keys: list[tuple[str, bool]]) -> str:
        values = []
        for field, _desc in keys:
            value = getattr(row, field)
            values.append(value.isoformat() if hasattr(value, "isoformat") else value)
        raw = json.dumps({"o": self.ordering_name, "v": values}, separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    def _decode(self, cursor: str | None, queryset: QuerySet, keys: list[tuple[str, bool]]) -> list[Any] | None:
        if not cursor:
            return None
        message = _("The cursor is not valid: use the next_cursor of a page, with the same ordering.")
        try:
            data = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
            if data["o"] != self.ordering_name or len(data["v"]) != len(keys):
                raise ValueError
            model = queryset.model
            return [
                model._meta.get_field(field).to_python(value)
                for (field, _d), value in zip(keys, data["v"], strict=True)
            ]
        except (ValueError, KeyError, TypeError, binascii.Error, DjangoValidationError) as error:
            raise bad_field("cursor", message, code="invalid_cursor") from error

    def get_paginated_response(self, data: list[Any]) -> Response:
        return Response({"results": data, "next": self._next_link(), "next_cursor": self.next_cursor})

    def _next_link(self) -> str | None:
        if not self.next_cursor:
            return None
        return replace_query_param(self.request.build_absolute_uri(), self.cursor_query_param, self.next_cursor)

    def get_paginated_response_schema(self, schema: dict) -> dict:
        return {
            "type": "object",
            "required": ["results", "next", "next_cursor"],
            "properties": {
                "results": schema,
                "next": {"type": "string", "nullable": True, "format": "uri", "description": "The next page, or null."},
                "next_cursor": {
                    "type": "string",
                    "nullable": True,
                    "description": "Pass as ?cursor= (with the same ordering) for the next page.",
                },
            },
        }

    def get_schema_operation_parameters(self, view: APIView) -> list[dict]:
        orderings = list(getattr(view, "orderings", STANDARD_ORDERINGS))
        return [
            {
                "name": self.cursor_query_param,
                "in": "query",
                "required": False,
                "description": "The next_cursor of the previous page.",
                "schema": {"type": "string"},
            },
            {
                "name": self.page_size_query_param,
                "in": "query",
                "required": False,
                "description": f"Rows per page, 1 to {MAX_PAGE_SIZE} (default {DEFAULT_PAGE_SIZE}).",
                "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE},
            },
            {
                "name": self.ordering_query_param,
                "in": "query",
                "required": False,
                "description": "Sort order; a leading - sorts descending.",
                "schema": {"type": "string", "enum": orderings, "default": getattr(view, "default_ordering", None)},
            },
        ]


def _beyond(keys: list[tuple[str, bool]], values: list[Any]) -> Q:
    """Rows after `values` in the order `keys`: (a > x) or (a = x and b > y) or ..."""
    condition = Q()
    equal = Q()
    for (field, desc), value in zip(keys, values, strict=True):
        step = Q(**{f"{field}__lt" if desc else f"{field}__gt": value})
        condition |= equal & step
        equal &= Q(**{field: value})
    # The same bound on the first key alone lets the database start its index scan at the cursor
    # instead of reading and discarding every row before it.
    first, desc = keys[0]
    return Q(**{f"{first}__lte" if desc else f"{first}__gte": values[0]}) & condition
