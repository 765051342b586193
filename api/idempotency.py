"""Idempotency-Key on POST: a retried request gets the first answer instead of doing the work twice.

The key is reserved by inserting its row inside the request's transaction. A second request with the
same key waits on that insert until the first commits, then replays the stored answer; if the first
failed with a server error, its transaction and its reservation rolled back and the retry runs anew.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import status
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from api.errors import ApiError
from api.models import ApiToken, IdempotencyRecord

HEADER = "Idempotency-Key"
REPLAY_HEADER = "Idempotent-Replayed"
# Headers of the first answer that a replay repeats.
KEPT_HEADERS = ("Location", "ETag")
_IN_PROGRESS = 0


class Replay(Exception):
    """The request was answered before: send that answer again."""

    def __init__(self, record: IdempotencyRecord) -> None:
        self.record = record

    def response(self) -> Response:
        headers = {**self.record.headers, REPLAY_HEADER: "true"}
        return Response(self.record.body, status=self.record.status_code, headers=headers)


@dataclass
class Reservation:
    record: IdempotencyRecord


def _owner(request: Request) -> str:
    if isinstance(request.auth, ApiToken):
        return f"token:{request.auth.pk}"
    return f"user:{request.user.pk}"


def _canonical(value: Any) -> Any:
    if isinstance(value, UploadedFile):
        digest = hashlib.sha256()
        for chunk in value.chunks():
            digest.update(chunk)
        value.seek(0)
        return {"file": value.name, "size": value.size, "sha256": digest.hexdigest()}
    if isinstance(value, dict):
        return {str(k): _canonical(v) for k, v in value.items()}
    if hasattr(value, "lists"):  # a QueryDict of form fields and files
        return {k: [_canonical(v) for v in values] for k, values in value.lists()}
    if isinstance(value, list | tuple):
        return [_canonical(v) for v in value]
    return value


def fingerprint(request: Request) -> str:
    """What the request asks: method, path, query and body, so a key reused for another request is caught."""
    body = json.dumps(_canonical(request.data), sort_keys=True, default=str)
    text = f"{request.method} {request.get_full_path()}\n{body}"
    return hashlib.sha256(text.encode()).hexdigest()


def idempotency_begin(request: Request) -> Reservation | None:
    """Reserve the request's Idempotency-Key (call inside the request's transaction), or raise Replay."""
    key = request.headers.get(HEADER, "").strip()
    if not key:
        return None
    if len(key) > 200 or not key.isascii() or not key.isprintable():
        message = _("The Idempotency-Key must be 1 to 200 printable ASCII characters.")
        raise ApiError(status_code=status.HTTP_400_BAD_REQUEST, code="invalid_idempotency_key", message=message)
    owner, print_ = _owner(request), fingerprint(request)
    expired_before = timezone.now() - timedelta(hours=settings.HELPDESK_API_IDEMPOTENCY_HOURS)
    IdempotencyRecord.objects.filter(owner=owner, key=key, created_at__lt=expired_before).delete()
    try:
        with transaction.atomic():
            record = IdempotencyRecord.objects.create(
                owner=owner, key=key, fingerprint=print_, status_code=_IN_PROGRESS, body=None
            )
    except IntegrityError:
        # The same key was used before, or is being used right now and has just committed.
        record = IdempotencyRecord.objects.get(owner=owner, key=key)
        if record.fingerprint != print_:
            raise ApiError(
                status_code=status.HTTP_422_UNPROCESSABLE_ENTITY,
                code="idempotency_key_reused",
                message=_("This Idempotency-Key was used for a different request. Use a new key for a new request."),
            ) from None
        if record.status_code == _IN_PROGRESS:
            raise ApiError(
                status_code=status.HTTP_409_CONFLICT,
                code="request_in_progress",
                message=_("A request with this Idempotency-Key is still running. Try again in a moment."),
            ) from None
        raise Replay(record) from None
    return Reservation(record=record)


def idempotency_finish(reservation: Reservation, response: Response) -> None:
    """Keep the answer for replays. A server error is not kept: its transaction rolls back with the key."""
    if response.status_code >= 500:
        transaction.set_rollback(True)
        return
    record = reservation.record
    record.status_code = response.status_code
    data = getattr(response, "data", None)
    record.body = json.loads(JSONRenderer().render(data)) if data is not None else None
    record.headers = {name: response[name] for name in KEPT_HEADERS if response.has_header(name)}
    record.save(update_fields=["status_code", "body", "headers"])
