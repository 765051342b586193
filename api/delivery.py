"""Replies on the API and portal channels: nothing to send, the customer reads them where they are."""

from __future__ import annotations

from tickets.models import Message
from tickets.services import message_mark_delivery


def reply_published(message_id: int) -> None:
    """Mark a queued outbound message sent: it is readable in the portal and through the API now."""
    message = Message.objects.filter(pk=message_id, delivery_status=Message.DeliveryStatus.QUEUED).first()
    if message is not None:
        message_mark_delivery(message=message, status=Message.DeliveryStatus.SENT)
