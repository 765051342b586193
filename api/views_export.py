"""The incremental export: everything, then everything that changed since, for BI and backups.

A first call without a cursor walks every customer, ticket, message and survey answer (by id), then
goes on with the change log from where it stood when the walk began, so nothing committed meanwhile
is missed. Each page ends with a cursor; keep it and ask again later for what changed since. Items
are the objects as they are now (the same shape as the endpoints); an object changed several times
comes once per page. Delivery is at least once: store items by (type, id).
"""

from __future__ import annotations

import base64
import binascii
import json
import time
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from api.base import ApiView
from api.errors import ApiError, bad_field
from api.permissions import MANAGERS
from api.representations import represent
from integrations.changes import LogPosition, changes_after, position_now
from integrations.models import SubjectType
from metrics.models import SurveyAnswer
from tickets.models import Customer, Message, Ticket

DEFAULT_LIMIT = 200
MAX_LIMIT = 1000
# The order of the first full walk: people before what they said.
WALK = (
    (SubjectType.CUSTOMER, Customer),
    (SubjectType.TICKET, Ticket),
    (SubjectType.MESSAGE, Message),
    (SubjectType.SURVEY_ANSWER, SurveyAnswer),
)


@dataclass
class ExportCursor:
    """Where an export stands: walking type `walk_index` after id `after_id`, or (walk_index None) reading
    the change log after `position`. `complete_since` is when the log was known to hold everything after
    `position` (a walk's start, or the last read of the log): the log keeps HELPDESK_CHANGES_KEEP_DAYS."""

    position: LogPosition
    walk_index: int | None = None
    after_id: int = 0
    complete_since: float = 0.0

    def encode(self) -> str:
        data = {"x": self.position.txid, "c": self.position.change_id, "t": int(self.complete_since or time.time())}
        if self.walk_index is not None:
            data |= {"w": self.walk_index, "a": self.after_id}
        raw = json.dumps(data, separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @classmethod
    def decode(cls, text: str) -> ExportCursor:
        refused = bad_field(
            "cursor", _("The cursor is not valid: use the next_cursor of an export page."), code="invalid_cursor"
        )
        try:
            data = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
            walk = data.get("w")
            cursor = cls(
                position=LogPosition(txid=int(data["x"]), change_id=int(data["c"])),
                walk_index=None if walk is None else int(walk),
                after_id=int(data.get("a", 0)),
                complete_since=float(data["t"]),
            )
        except (ValueError, KeyError, TypeError, AttributeError, binascii.Error) as error:
            raise refused from error
        if cursor.walk_index is not None and not 0 <= cursor.walk_index < len(WALK):
            raise bad_field(
                "cursor", _("The cursor is not valid: use the next_cursor of an export page."), code="invalid_cursor"
            )
        return cursor


class ExportItemSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=SubjectType.choices)
    id = serializers.IntegerField()
    data = serializers.JSONField(allow_null=True, help_text="The object as GET returns it (null: it no longer exists).")


class ExportPageSerializer(serializers.Serializer):
    items = ExportItemSerializer(many=True)
    next_cursor = serializers.CharField(help_text="Ask with it next time; it always moves forward.")
    has_more = serializers.BooleanField(help_text="true: ask again at once; false: you are up to date.")
    phase = serializers.ChoiceField(choices=["snapshot", "changes"])


def _items(pairs: list[tuple[str, int]]) -> list[dict[str, Any]]:
    """The objects of (type, id) pairs in that order, read with one query per type."""
    by_type: dict[str, list[int]] = {}
    for subject_type, pk in pairs:
        by_type.setdefault(subject_type, []).append(pk)
    found = {subject_type: represent(subject_type, ids) for subject_type, ids in by_type.items()}
    return [{"type": t, "id": pk, "data": found[t].get(pk)} for t, pk in pairs]


class ExportView(ApiView):
    roles = {"*": MANAGERS}

    @extend_schema(
        summary="Export everything changed since a cursor",
        description=__doc__,
        parameters=[
            OpenApiParameter("cursor", OpenApiTypes.STR, description="The next_cursor of the previous page."),
            OpenApiParameter(
                "start",
                OpenApiTypes.STR,
                enum=["beginning", "now"],
                description="Without a cursor: beginning (default) walks everything first; now skips to new changes.",
            ),
            OpenApiParameter("limit", OpenApiTypes.INT, description=f"Items per page, 1 to {MAX_LIMIT}."),
        ],
        responses={200: ExportPageSerializer},
    )
    def get(self, request: Request) -> Response:
        limit = self._limit(request)
        text = request.query_params.get("cursor")
        if text:
            cursor = ExportCursor.decode(text)
            kept = settings.HELPDESK_CHANGES_KEEP_DAYS * 86400
            if time.time() - cursor.complete_since > kept:
                raise ApiError(
                    status_code=status.HTTP_410_GONE,
                    code="cursor_expired",
                    message=_("This cursor is older than the change log keeps. Start again without a cursor."),
                )
        else:
            start = request.query_params.get("start") or "beginning"
            if start not in ("beginning", "now"):
                raise bad_field("start", _("start must be beginning or now."))
            cursor = ExportCursor(position=position_now(), walk_index=0 if start == "beginning" else None)
        if cursor.walk_index is not None:
            return self._walk(cursor, limit)
        return self._changes(cursor, limit)

    def _limit(self, request: Request) -> int:
        raw = request.query_params.get("limit") or str(DEFAULT_LIMIT)
        if not raw.isdigit() or not 1 <= int(raw) <= MAX_LIMIT:
            raise bad_field("limit", _("limit must be a whole number from 1 to %(max)d.") % {"max": MAX_LIMIT})
        return int(raw)

    def _walk(self, cursor: ExportCursor, limit: int) -> Response:
        assert cursor.walk_index is not None
        subject_type, model = WALK[cursor.walk_index]
        ids = list(model.objects.filter(pk__gt=cursor.after_id).order_by("pk").values_list("pk", flat=True)[:limit])
        # The walk's position was taken when it began: that is since when the log must be whole.
        since = cursor.complete_since or time.time()
        if len(ids) == limit:
            following = ExportCursor(cursor.position, cursor.walk_index, after_id=ids[-1], complete_since=since)
        elif cursor.walk_index + 1 < len(WALK):
            following = ExportCursor(cursor.position, cursor.walk_index + 1, complete_since=since)
        else:
            following = ExportCursor(cursor.position, complete_since=since)
        body = {
            "items": _items([(subject_type, pk) for pk in ids]),
            "next_cursor": following.encode(),
            "has_more": True,
            "phase": "snapshot",
        }
        return Response(body)

    def _changes(self, cursor: ExportCursor, limit: int) -> Response:
        changes, position = changes_after(cursor.position, limit=limit)
        latest: dict[tuple[str, int], int] = {}
        for index, change in enumerate(changes):
            latest[(change.subject_type, change.subject_id)] = index
            if change.subject_type == SubjectType.MESSAGE and change.ticket_id:
                # A message moves its ticket too (updated_at, first response, contacts).
                latest[(SubjectType.TICKET, change.ticket_id)] = index
        pairs = sorted(latest, key=latest.__getitem__)
        body = {
            "items": _items(pairs),
            "next_cursor": ExportCursor(position=position).encode(),
            "has_more": len(changes) == limit,
            "phase": "changes",
        }
        return Response(body)
