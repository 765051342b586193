"""Sending agent replies and automatic messages as email, threaded so customers' mail clients group them.

`email_build` turns a Message into an email; `email_message_send` delivers one queued Message exactly once
and records its delivery state; the Celery tasks below retry transient failures and sweep up messages
whose task was lost.
"""

from __future__ import annotations

import html as html_lib
import logging
import smtplib
from datetime import datetime, timedelta
from email.utils import formataddr, make_msgid, parseaddr

from anymail.exceptions import AnymailAPIError, AnymailError, AnymailRecipientsRefused
from celery import Task, shared_task
from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import OperationalError
from django.utils import timezone
from django.utils.html import format_html, linebreaks, strip_tags
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from channels_intake.email.addresses import (
    is_our_address,
    new_message_id,
    our_addresses,
    reply_address,
    subject_with_number,
)
from channels_intake.models import InboundEmail, Mailbox
from tickets.models import Channel, CustomerIdentity, Message, Ticket
from tickets.services import message_mark_delivery, messages_mark_failed

logger = logging.getLogger(__name__)

Status = Message.DeliveryStatus

# RFC 5322 asks to keep the thread's first Message-ID and the most recent ones when References grows.
MAX_REFERENCES = 20
# Without a timeout, a mail server that accepts the connection and then stalls would hold a worker forever.
DEFAULT_SMTP_TIMEOUT = 60
MAX_ERROR_CHARS = 2000
STUCK_AFTER = timedelta(minutes=10)
# A reply that could not go out in two days is stale: the agent must decide, not a sweep.
GIVE_UP_AFTER = timedelta(days=2)
SWEEP_BATCH = 200


class EmailTemporaryFailure(Exception):
    """Sending failed for a reason that may pass (server down, 4xx, timeout): try again later."""


class EmailNotSendable(Exception):
    """The message cannot be sent as it stands (no address, unreadable attachment); retrying will not help."""


# --- who sends, to whom --------------------------------------------------------------------------


def mailbox_for_ticket(ticket: Ticket) -> Mailbox | None:
    """The mailbox a ticket's mail goes out from: the one its latest email came in on, else one of its
    team's, else any active mailbox. None means no mailbox is configured (send from DEFAULT_FROM_EMAIL)."""
    latest = (
        InboundEmail.objects.filter(ticket=ticket, status=InboundEmail.Status.PROCESSED, mailbox__is_active=True)
        .defer("raw")
        .select_related("mailbox", "mailbox__team")
        .order_by("-received_at", "-id")
        .first()
    )
    if latest is not None:
        return latest.mailbox
    active = Mailbox.objects.filter(is_active=True).select_related("team").order_by("created_at", "id")
    if ticket.team_id is not None:
        own = active.filter(team_id=ticket.team_id).first()
        if own is not None:
            return own
    return active.first()


def _email_of(customer_ids: list[int]) -> dict[int, str]:
    """Each customer's most recently added email address."""
    found: dict[int, str] = {}
    rows = CustomerIdentity.objects.filter(customer_id__in=customer_ids, kind=CustomerIdentity.Kind.EMAIL).order_by(
        "customer_id", "-created_at", "-id"
    )
    for customer_id, value in rows.values_list("customer_id", "value"):
        found.setdefault(customer_id, value)
    return found


def _recipients(ticket: Ticket, mailbox: Mailbox | None, *, automatic: bool) -> tuple[str, list[str]]:
    """(To, Cc) as bare addresses; To is empty when the customer has no email address.

    Automatic messages go to the customer alone: an acknowledgement Cc'd to whoever a (possibly
    forged) mail listed would let anyone send our mail to third parties.
    """
    participant_ids = (
        []
        if automatic
        else list(ticket.participants.order_by("created_at", "id").values_list("customer_id", flat=True))
    )
    emails = _email_of([ticket.customer_id, *participant_ids])
    to = emails.get(ticket.customer_id, "")
    ours = our_addresses()
    if mailbox is not None:
        ours.add(mailbox.email_address.lower())
    cc: list[str] = []
    for customer_id in participant_ids:
        address = emails.get(customer_id, "")
        if address and address.lower() != to.lower() and not is_our_address(address, ours) and address not in cc:
            cc.append(address)
    return to, cc


# --- threading -----------------------------------------------------------------------------------


def _ids(text: str) -> list[str]:
    """Message-IDs from a stored field (space separated, brackets optional), without brackets."""
    return [part.strip("<>") for part in text.split() if part.strip("<>")]


def _references(ids: list[str]) -> list[str]:
    unique = list(dict.fromkeys(ids))
    if len(unique) <= MAX_REFERENCES:
        return unique
    return [unique[0], *unique[-(MAX_REFERENCES - 1) :]]


def _parent(message: Message) -> Message | None:
    """What this message answers: the customer's latest earlier email, else our latest earlier email."""
    earlier = (
        Message.objects.filter(ticket_id=message.ticket_id, created_at__lte=message.created_at)
        .exclude(pk=message.pk)
        .exclude(email_message_id="")
        .order_by("-created_at", "-id")
    )
    return earlier.filter(direction=Message.Direction.INBOUND).first() or earlier.first()


def _thread_headers(message: Message) -> tuple[str, list[str]]:
    """(In-Reply-To, References) without brackets; what the message already stores wins (a retry)."""
    parent = None if message.email_in_reply_to and message.email_references else _parent(message)
    in_reply_to = _ids(message.email_in_reply_to)[:1] or ([parent.email_message_id] if parent else [])
    if message.email_references:
        references = _ids(message.email_references)
    elif parent is not None:
        references = [*_ids(parent.email_references), *_ids(parent.email_message_id)]
    else:
        references = []
    if in_reply_to and in_reply_to[0] not in references:
        references.append(in_reply_to[0])
    return (in_reply_to[0] if in_reply_to else ""), _references(references)


def _subject(ticket: Ticket, is_reply: bool) -> str:
    subject = subject_with_number(ticket.subject, ticket.pk)
    if is_reply and not subject.lower().startswith("re:"):
        subject = f"Re: {subject}"
    return subject


# --- the email -----------------------------------------------------------------------------------


def _html(message: Message, lang: str) -> str:
    if message.body_html:
        body = mark_safe(message.body_html)  # noqa: S308 - sanitized (nh3) when it was stored
    else:
        body = mark_safe(linebreaks(message.body_text, autoescape=True))  # noqa: S308 - escaped just now
    return format_html(
        '<!DOCTYPE html>\n<html{}><head><meta charset="utf-8"></head>\n<body><div dir="auto">{}</div></body></html>\n',
        format_html(' lang="{}"', lang) if lang else "",
        body,
    )


def _text(message: Message) -> str:
    if message.body_text:
        return message.body_text
    return html_lib.unescape(strip_tags(message.body_html.replace("<br>", "\n").replace("</p>", "</p>\n\n"))).strip()


def email_build(*, message: Message) -> EmailMultiAlternatives:
    """The email for an outbound Message: From the ticket's mailbox, to the customer with the participants
    in Cc, threaded by In-Reply-To/References, Reply-To the signed address of the ticket.

    Reads the database; writes nothing. The Message-ID, In-Reply-To and References it chose are set on
    `message` (not saved), so the caller can store them before sending and a retry sends the same ids.
    Raises EmailNotSendable when the customer has no email address or an attachment cannot be read.
    """
    ticket = message.ticket
    mailbox = mailbox_for_ticket(ticket)
    to, cc = _recipients(ticket, mailbox, automatic=message.is_automatic)
    if not to:
        raise EmailNotSendable(_("The customer has no email address."))

    message_id = message.email_message_id or _new_message_id(message, mailbox)
    if mailbox is not None:
        name = mailbox.from_name or (mailbox.team.name if mailbox.team else "") or mailbox.name
        from_email = formataddr((name, mailbox.email_address))
        reply_to = [reply_address(mailbox=mailbox, ticket_number=ticket.pk)]
    else:
        from_email = settings.DEFAULT_FROM_EMAIL
        reply_to = []
    in_reply_to, references = _thread_headers(message)

    headers = {"Message-ID": f"<{message_id}>"}
    if in_reply_to:
        headers["In-Reply-To"] = f"<{in_reply_to}>"
    if references:
        headers["References"] = " ".join(f"<{ref}>" for ref in references)
    if message.is_automatic:
        # RFC 3834, and Exchange's own flag: other robots must not answer us (mail loops).
        headers["Auto-Submitted"] = "auto-replied"
        headers["X-Auto-Response-Suppress"] = "All"

    customer = ticket.customer
    email = EmailMultiAlternatives(
        subject=_subject(ticket, is_reply=bool(in_reply_to)),
        body=_text(message),
        from_email=from_email,
        to=[formataddr((" ".join(customer.name.split()), to)) if customer.name.strip() else to],
        cc=cc,
        reply_to=reply_to,
        headers=headers,
    )
    email.attach_alternative(_html(message, customer.locale), "text/html")
    for attachment in message.attachments.all():
        try:
            with attachment.file.open("rb") as handle:
                content = handle.read()
        except (OSError, ValueError) as exc:
            raise EmailNotSendable(
                _("The attachment “%(name)s” cannot be read: %(error)s") % {"name": attachment.filename, "error": exc}
            ) from exc
        email.attach(attachment.filename, content, attachment.content_type or "application/octet-stream")

    message.email_message_id = message_id
    message.email_in_reply_to = in_reply_to
    message.email_references = " ".join(references)
    return email


# --- sending -------------------------------------------------------------------------------------


def _server_words(code: int, text: bytes | str) -> str:
    words = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
    return f"{code} {' '.join(words.split())}"


def _classify(exc: Exception) -> tuple[bool, str]:
    """(transient, the error in the server's words) for an exception raised while sending."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        refusals = exc.recipients.items()
        text = "; ".join(f"{address}: {_server_words(code, reply)}" for address, (code, reply) in refusals)
        return any(code < 500 for _address, (code, _reply) in refusals), text
    if isinstance(exc, smtplib.SMTPResponseException):
        # 4xx: try later. 5xx: refused for good. Anything else (-1: the greeting failed) is a connection problem.
        return not 500 <= exc.smtp_code < 600, _server_words(exc.smtp_code, exc.smtp_error)
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return True, str(exc) or _("The mail server closed the connection.")
    if isinstance(exc, smtplib.SMTPException):
        return False, str(exc)  # e.g. no STARTTLS or no usable AUTH method: configuration, not luck
    if isinstance(exc, AnymailRecipientsRefused | EmailNotSendable):
        return False, str(exc)
    if isinstance(exc, AnymailAPIError):
        status = exc.status_code
        return status is None or status == 429 or status >= 500, str(exc)
    if isinstance(exc, AnymailError):
        return False, str(exc)
    if isinstance(exc, OSError):  # connection refused, timeout, DNS
        return True, f"{type(exc).__name__}: {exc}"
    return False, f"{type(exc).__name__}: {exc}"


def _deliver(email: EmailMultiAlternatives) -> None:
    # Any configured backend: SMTP, django-anymail, console, locmem. Only SMTP reads the timeout.
    timeout = getattr(settings, "EMAIL_TIMEOUT", None) or DEFAULT_SMTP_TIMEOUT
    connection = get_connection(fail_silently=False, timeout=timeout)
    if connection.send_messages([email]) != 1:
        raise EmailNotSendable(_("The mail backend accepted nothing."))


def _bare(address: str) -> str:
    return parseaddr(address)[1] or address


def _mark(message: Message, status: str, error: str = "", recipients: str | None = None) -> None:
    message_mark_delivery(message=message, status=status, error=error[:MAX_ERROR_CHARS], recipients=recipients)


def _new_message_id(message: Message, mailbox: Mailbox | None) -> str:
    if mailbox is not None:
        return new_message_id(mailbox=mailbox, ticket_number=message.ticket_id, message_pk=message.pk)
    domain = parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or "localhost"
    return make_msgid(f"helpdesk.{message.ticket_id}.{message.pk}", domain).strip("<>")


def _stamp_message_id(message_id: int) -> None:
    """Give a queued message its Message-ID in a transaction of its own, before any send.

    If a worker dies after the mail server accepted the mail, the retry then sends the same id, and
    the customer's mail client shows one message, not two."""
    message = (
        Message.objects.select_related("ticket")
        .filter(pk=message_id, delivery_status=Status.QUEUED, email_message_id="")
        .first()
    )
    if message is not None:
        stamped = _new_message_id(message, mailbox_for_ticket(message.ticket))
        Message.objects.filter(pk=message_id, email_message_id="").update(email_message_id=stamped)


def email_message_send(*, message_id: int, final_attempt: bool = False) -> str:
    """Deliver one queued outbound email Message, once. Returns "sent", "failed" or "skipped".

    The message is claimed (queued -> sending) by one conditional UPDATE, so two workers, a retry and
    the stuck-mail sweep never send it twice; the SMTP conversation then runs outside any database
    transaction, holding no row lock. A permanent refusal marks it failed with the server's words. A
    transient failure puts it back in the queue and raises EmailTemporaryFailure for the task to
    retry; on the `final_attempt` it marks the message failed instead, so nothing waits forever.
    """
    _stamp_message_id(message_id)
    claimed = Message.objects.filter(
        pk=message_id,
        delivery_status=Status.QUEUED,
        channel=Channel.EMAIL,
        direction=Message.Direction.OUTBOUND,
    ).update(delivery_status=Status.SENDING, delivery_started_at=timezone.now())
    if not claimed:
        return "skipped"  # sent already, or another worker is sending it right now
    message = Message.objects.select_related("ticket", "ticket__customer").get(pk=message_id)
    try:
        email = email_build(message=message)
    except EmailNotSendable as exc:
        _mark(message, Status.FAILED, str(exc))
        return "failed"
    except Exception:
        _mark(message, Status.QUEUED, "")  # a bug or a database error: back in the queue, the task retries
        raise
    message.save(update_fields=["email_message_id", "email_in_reply_to", "email_references"])
    try:
        _deliver(email)
    except Exception as exc:
        transient, error = _classify(exc)
        if not isinstance(exc, smtplib.SMTPException | OSError | AnymailError | EmailNotSendable):
            logger.exception("Unexpected error sending message %s", message.pk)
        if not transient or final_attempt:
            _mark(message, Status.FAILED, error)
            return "failed"
        # Back in the queue; the agent sees why it has not gone out yet.
        _mark(message, Status.QUEUED, _("Not sent yet, will try again: %(error)s") % {"error": error})
        raise EmailTemporaryFailure(error) from exc
    _mark(message, Status.SENT, "", recipients=", ".join(_bare(address) for address in email.recipients()))
    return "sent"


def email_messages_stuck(*, now: datetime | None = None, limit: int = SWEEP_BATCH) -> tuple[list[int], int]:
    """Queued outbound emails whose delivery task seems lost: (ids to enqueue again, how many gave up).

    Messages queued longer than GIVE_UP_AFTER are marked failed instead: a days-old reply must not go out
    unnoticed. The sweep may overlap a retry still waiting in the broker; the send's claim makes that harmless.
    """
    current = now or timezone.now()
    queued = Message.objects.filter(
        channel=Channel.EMAIL, direction=Message.Direction.OUTBOUND, delivery_status=Status.QUEUED
    )
    gave_up = messages_mark_failed(
        ids=queued.filter(created_at__lt=current - GIVE_UP_AFTER).values_list("pk", flat=True)[:limit],
        error=_("Not sent: the mail could not be delivered for two days. Send it again if still needed."),
        only_from=[Status.QUEUED],
    )
    # A send that began long ago and never finished: the worker died mid-way. The message keeps its
    # Message-ID, so if the mail did go out, the customer's client shows the second copy as the same mail.
    Message.objects.filter(
        channel=Channel.EMAIL,
        direction=Message.Direction.OUTBOUND,
        delivery_status=Status.SENDING,
        delivery_started_at__lt=current - STUCK_AFTER,
    ).update(delivery_status=Status.QUEUED, delivery_error=_("The last attempt to send was interrupted."))
    ids = list(
        queued.filter(created_at__lt=current - STUCK_AFTER)
        .order_by("created_at", "id")
        .values_list("pk", flat=True)[:limit]
    )
    return ids, gave_up


# --- tasks ---------------------------------------------------------------------------------------


class _SendTask(Task):
    def on_failure(self, exc: BaseException, task_id: str, args: tuple, kwargs: dict, einfo: object) -> None:
        # The last resort (the database was down on every try, or a bug): the agent must see "failed".
        message_id = args[0] if args else kwargs["message_id"]
        try:
            messages_mark_failed(
                ids=[message_id],
                error=f"{type(exc).__name__}: {exc}"[:MAX_ERROR_CHARS],
                only_from=[Status.QUEUED, Status.SENDING],
            )
        except Exception:
            # The database is still away; the stuck-mail sweep picks the message up later.
            logger.exception("Could not mark message %s failed", message_id)


@shared_task(
    bind=True,
    base=_SendTask,
    autoretry_for=(EmailTemporaryFailure, OperationalError),
    retry_backoff=15,
    retry_backoff_max=300,
    retry_jitter=True,
    max_retries=6,
)
def send_email_message(self: Task, message_id: int) -> str:
    """Send one queued outbound email; retried with backoff on transient errors, failed after the last."""
    max_retries = self.max_retries or 0
    return email_message_send(message_id=message_id, final_attempt=self.request.retries >= max_retries)


@shared_task(autoretry_for=(OperationalError,), retry_backoff=True, retry_backoff_max=300, max_retries=3)
def send_stuck_email(limit: int = SWEEP_BATCH) -> int:
    """Enqueue again queued emails whose task was lost (a broker restart), oldest first.

    Bounded: the rest wait for the next beat run (they stay queued either way, so a self-re-enqueue would
    only pick the same rows again while the server is down)."""
    ids, _gave_up = email_messages_stuck(limit=limit)
    for pk in ids:
        send_email_message.delay(pk)
    return len(ids)
