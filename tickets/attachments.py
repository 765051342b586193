"""Storing attachments once per content, and serving them to the people allowed to see them without
letting a file act as a web page."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

from django.core.files.base import ContentFile
from django.http import FileResponse, Http404
from django.utils.translation import gettext as _

from accounts.models import User
from tickets.models import Attachment, Customer, Message
from tickets.selectors import tickets_visible_to


@dataclass(frozen=True)
class NewAttachment:
    """A file to keep on a message, as it arrived: its name, type and bytes."""

    filename: str
    content_type: str
    data: bytes
    content_id: str = ""


def attachments_store(*, message: Message, files: Iterable[NewAttachment]) -> list[Attachment]:
    """Keep each file on `message`. The same bytes already on disk (a logo in every mail) share one file."""
    stored_rows = []
    for part in files:
        digest = hashlib.sha256(part.data).hexdigest()
        attachment = Attachment(
            message=message,
            filename=(part.filename or "attachment")[:255],
            content_type=(part.content_type or "application/octet-stream")[:255],
            size=len(part.data),
            sha256=digest,
            content_id=part.content_id[:255],
        )
        stored = Attachment.objects.filter(sha256=digest).values_list("file", flat=True).first()
        if stored:
            attachment.file.name = stored
        else:
            attachment.file.save(_storage_name(part.filename), ContentFile(part.data), save=False)
        attachment.save()
        stored_rows.append(attachment)
    return stored_rows


def _storage_name(filename: str) -> str:
    # The display name is kept in the row; the stored name only needs to be safe on any disk.
    suffix = filename.rpartition(".")[2] if "." in filename else ""
    suffix = "".join(c for c in suffix if c.isalnum())[:10]
    return f"file.{suffix}" if suffix else "file"


def attachment_for_agent(*, user: User, pk: int) -> Attachment:
    """An attachment on a ticket `user` may open in the workspace, else Http404."""
    attachment = (
        Attachment.objects.select_related("message").filter(pk=pk, message__ticket__in=tickets_visible_to(user)).first()
    )
    if attachment is None:
        raise Http404(_("No such attachment."))
    return attachment


def attachment_for_customer(*, customer: Customer, pk: int) -> Attachment:
    """An attachment of a message the customer can see on their own ticket (never on an internal note)."""
    attachment = (
        Attachment.objects.select_related("message")
        .filter(
            pk=pk,
            message__ticket__customer=customer,
            message__direction__in=(Message.Direction.INBOUND, Message.Direction.OUTBOUND),
        )
        .first()
    )
    if attachment is None:
        raise Http404(_("No such attachment."))
    return attachment


def attachment_response(attachment: Attachment) -> FileResponse:
    inline = attachment.is_inline_image
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError as error:
        raise Http404(_("The file of this attachment is missing from storage.")) from error
    response = FileResponse(
        handle,
        as_attachment=not inline,
        filename=attachment.filename,
        content_type=attachment.content_type if inline else "application/octet-stream",
    )
    # Even opened directly, a served file may not run script or load anything.
    response["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; sandbox"
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, max-age=3600"
    return response
