"""Serving stored attachments to the people allowed to see them, without letting a file act as a web page."""

from __future__ import annotations

from django.http import FileResponse, Http404
from django.utils.translation import gettext as _

from accounts.models import User
from tickets.models import Attachment, Customer, Message
from tickets.selectors import tickets_visible_to


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
