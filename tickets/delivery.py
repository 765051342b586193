"""Handing outbound messages to the channel that delivers them.

The ticket domain does not know how email or chat is sent; each channel registers a function that
enqueues delivery of one message, and the domain calls it once the message is committed.
"""

from __future__ import annotations

from collections.abc import Callable

from django.db import transaction

from tickets.models import Message

_senders: dict[str, Callable[[int], object]] = {}


def sender_register(*, channel: str, enqueue: Callable[[int], object]) -> None:
    """`enqueue(message_id)` starts delivery of a queued outbound message on `channel`."""
    _senders[channel] = enqueue


def outbound_enqueue(message: Message) -> None:
    """Start delivery after the surrounding transaction commits (never for a message that rolled back)."""
    if message.direction != Message.Direction.OUTBOUND or message.delivery_status != Message.DeliveryStatus.QUEUED:
        return
    enqueue = _senders.get(message.channel)
    if enqueue is not None:
        # robust: a broker that is down must not turn a committed reply into an error; the stuck-mail
        # sweep sends what stayed queued.
        # A named function, not a partial: Django logs a failed robust callback by its __qualname__.
        message_id = message.pk

        def start_delivery() -> None:
            enqueue(message_id)

        transaction.on_commit(start_delivery, robust=True)
