"""Turning a stored raw email into what it means: a ticket message, a bounce, or nothing at all.

Order of decisions, each one final:
1. unparseable -> quarantined (kept, visible in the admin, re-processable);
2. a bounce -> our outbound message is marked bounced; other machine reports -> ignored;
3. provider spam, or a sender over the hourly limit -> held for review;
4. an auto-reply -> a note on its ticket at most, never a reply from us;
5. anything else -> a customer message, threaded into its ticket or a new one.
"""

from __future__ import annotations

import logging
import traceback
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import OperationalError, connection, transaction
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext as _

from channels_intake.email.addresses import (
    is_our_address,
    our_addresses,
    ticket_from_reply_address,
    ticket_from_subject,
)
from channels_intake.email.classify import AUTO_REPLY_SUBJECT_RE
from channels_intake.email.parsed import AutoKind, ParsedAttachment, ParsedMail
from channels_intake.email.parsing import NotAnEmail, parse_email
from channels_intake.email.quotes import split_reply
from channels_intake.inbound import InboundMessage
from channels_intake.models import InboundEmail, Mailbox
from channels_intake.services import inbound_message_ingest, ticket_to_continue
from tickets import services as ticket_services
from tickets.attachments import NewAttachment, attachments_store
from tickets.identities import InvalidIdentity
from tickets.models import (
    Channel,
    Customer,
    CustomerIdentity,
    Message,
    Ticket,
    TicketParticipant,
)

logger = logging.getLogger(__name__)

Status = InboundEmail.Status
MAX_PARTICIPANTS = 20  # a mail to a whole department must not subscribe fifty people to a ticket
MACHINE_REPORTS = {
    AutoKind.DSN_DELIVERED: "delivery report",
    AutoKind.COMPLAINT: "spam complaint",
    AutoKind.MDN: "read receipt",
}


def inbound_email_process(*, inbound_email: InboundEmail, release_hold: bool = False) -> str:
    """Process one stored email and record the outcome on it. Returns the new status.

    `release_hold` processes a held message as normal mail (an admin looked at it and released it).
    Database errors propagate so the task retries; every other failure quarantines the message.
    """
    row = inbound_email
    # Saved with the outcome; a worker killed mid-way is counted by the stale-mail sweep instead.
    row.attempts += 1
    try:
        parsed = parse_email(bytes(row.raw))
    except NotAnEmail as error:
        return _finish(row, Status.QUARANTINED, _("Not an email: %(error)s") % {"error": error})
    except Exception:
        return _finish(row, Status.QUARANTINED, _("Could not parse:") + "\n" + traceback.format_exc(limit=8))
    try:
        with transaction.atomic():
            _commit_without_waiting_for_disk()
            return _route(row, parsed, release_hold=release_hold)
    except OperationalError:
        raise
    except Exception:
        logger.exception("inbound email %s quarantined", row.pk)
        return _finish(row, Status.QUARANTINED, _("Could not process:") + "\n" + traceback.format_exc(limit=8))


def _commit_without_waiting_for_disk() -> None:
    """PostgreSQL only: this transaction's commit does not wait for the WAL flush (about 2 ms a mail here).

    Safe because processing can always be redone: the raw mail was committed durably before, and a
    result lost in a database crash leaves the row RECEIVED for the stale-mail sweep to process again.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO OFF")


def _finish(
    row: InboundEmail,
    status: str,
    outcome: str,
    *,
    ticket: Ticket | None = None,
    message: Message | None = None,
    classification: str = "",
) -> str:
    row.status = status
    row.outcome = outcome
    row.ticket = ticket
    row.message = message
    row.processed_at = timezone.now()
    fields = ["status", "outcome", "ticket", "message", "processed_at", "attempts"]
    if classification:
        row.classification = classification
        fields.append("classification")
    row.save(update_fields=fields)
    return status


def _route(row: InboundEmail, parsed: ParsedMail, *, release_hold: bool) -> str:
    mailbox = row.mailbox
    kind = parsed.classification.auto
    if kind == AutoKind.BOUNCE:
        return _record_bounce(row, parsed)
    if kind in MACHINE_REPORTS:
        return _finish(
            row, Status.IGNORED, _("Machine mail (%(kind)s): no ticket.") % {"kind": kind}, classification=kind
        )

    sender = _sender_address(parsed)
    if not sender:
        return _finish(row, Status.QUARANTINED, _("The message has no sender address."), classification=kind)
    if row.from_address != sender[:320]:
        # The quick read at storage time can differ for a broken From; count the sender we act on.
        row.from_address = sender[:320]
        row.save(update_fields=["from_address"])
    ours = our_addresses()
    if is_our_address(sender, ours):
        return _finish(
            row, Status.IGNORED, _("Sent from one of our own addresses: not a customer message."), classification=kind
        )
    if not release_hold:
        if row.is_spam:
            return _finish(row, Status.HELD, _("The provider marked it as spam."), classification=kind)
        if _over_hourly_limit(row, mailbox, sender):
            return _finish(
                row,
                Status.HELD,
                _("The sender wrote more than %(limit)s messages within an hour.")
                % {"limit": mailbox.hourly_sender_limit},
                classification=kind,
            )

    if kind == AutoKind.AUTO_REPLY:
        # Only someone we already know can have a ticket to note it on; no customer is made for a robot.
        known = CustomerIdentity.objects.filter(kind=CustomerIdentity.Kind.EMAIL, value=sender).first()
        thread = ticket_to_continue(hints=_thread_hints(parsed, mailbox), customer=known.customer) if known else None
        if thread is not None or not _is_notification(parsed):
            return _record_auto_reply(row, parsed, thread)
        # A machine notification (monitoring alert, web form) that answers nothing: a ticket, never an answer.
    try:
        customer, _created = ticket_services.customer_get_or_create_by_identity(
            kind=CustomerIdentity.Kind.EMAIL, value=sender, name=parsed.from_name[:200]
        )
    except (InvalidIdentity, ValidationError) as error:
        return _finish(
            row, Status.QUARANTINED, _("Unusable sender address: %(error)s") % {"error": error}, classification=kind
        )
    return _add_customer_message(row, parsed, mailbox, customer, _thread_hints(parsed, mailbox), kind, ours)


# --- machine mail ---------------------------------------------------------------------------


def _record_bounce(row: InboundEmail, parsed: ParsedMail) -> str:
    bounce = parsed.classification.bounce
    candidates = [
        i for i in [bounce.original_message_id if bounce else "", parsed.in_reply_to, *parsed.references] if i
    ]
    original = (
        Message.objects.filter(email_message_id__in=candidates, direction=Message.Direction.OUTBOUND)
        .exclude(email_message_id="")
        .order_by("-created_at")
        .first()
        if candidates
        else None
    )
    if original is None:
        return _finish(row, Status.IGNORED, _("A bounce about mail we cannot find."), classification=AutoKind.BOUNCE)
    if bounce and bounce.status.startswith("4"):
        # A delay report: the sending server is still trying, so the message is not lost yet.
        return _finish(
            row,
            Status.IGNORED,
            _("Delivery of our message on #%(number)s is delayed (%(status)s); the server keeps trying.")
            % {"number": original.ticket_id, "status": bounce.status},
            ticket=original.ticket,
            message=original,
            classification=AutoKind.BOUNCE,
        )
    detail = " ".join(
        part
        for part in [
            bounce.status if bounce else "",
            ", ".join(bounce.recipients) if bounce else "",
            (bounce.diagnostic if bounce else "")[:500],
        ]
        if part
    )
    ticket_services.message_mark_delivery(
        message=original,
        status=Message.DeliveryStatus.BOUNCED,
        error=detail or _("The receiving server returned the message."),
    )
    return _finish(
        row,
        Status.IGNORED,
        _("Bounce: our message on #%(number)s was marked bounced.") % {"number": original.ticket_id},
        ticket=original.ticket,
        message=original,
        classification=AutoKind.BOUNCE,
    )


def _record_auto_reply(row: InboundEmail, parsed: ParsedMail, thread: tuple[Ticket, str] | None) -> str:
    if thread is None:
        return _finish(row, Status.IGNORED, _("Auto-reply to no ticket of ours."), classification=AutoKind.AUTO_REPLY)
    ticket = thread[0]
    # A note, so a vacation message neither reopens the ticket nor counts as the customer's answer.
    note = ticket_services.message_add(
        ticket=ticket,
        channel=Channel.EMAIL,
        direction=Message.Direction.NOTE,
        is_automatic=True,
        body_text=_("Automatic reply from %(sender)s:") % {"sender": _sender_address(parsed)}
        + "\n\n"
        + (parsed.body_text.strip() or parsed.subject),
        created_at=row.received_at,
    )
    return _finish(
        row,
        Status.PROCESSED,
        _("Auto-reply, kept as a note on #%(number)s.") % {"number": ticket.pk},
        ticket=ticket,
        message=note,
        classification=AutoKind.AUTO_REPLY,
    )


# --- who and where --------------------------------------------------------------------------


def _is_notification(parsed: ParsedMail) -> bool:
    """Auto-generated mail that is not a reply to anything (RFC 3834 "auto-generated", not "auto-replied")."""
    reason = parsed.classification.reason
    generated = reason.startswith("Auto-Submitted: auto-generated") or reason == "x-autogenerated header"
    return generated and not AUTO_REPLY_SUBJECT_RE.match(parsed.subject)


def _sender_address(parsed: ParsedMail) -> str:
    return (parsed.from_email or (parsed.reply_to[0] if parsed.reply_to else "")).strip().lower()


def _over_hourly_limit(row: InboundEmail, mailbox: Mailbox, sender: str) -> bool:
    if not mailbox.hourly_sender_limit:
        return False
    recent = InboundEmail.objects.filter(
        mailbox=mailbox,
        from_address=sender,
        received_at__gte=row.received_at - timedelta(hours=1),
        received_at__lte=row.received_at,
        status__in=(Status.PROCESSED, Status.HELD),
    ).exclude(pk=row.pk)
    return recent.count() >= mailbox.hourly_sender_limit


HINT_REPLY_ADDRESS = "reply-address"
HINT_MESSAGE_ID = "message-id"
HINT_SUBJECT = "subject-number"
# Signals only someone who received our mail can have: our signed address, our random Message-IDs.
PROVEN_HINTS = {HINT_REPLY_ADDRESS, HINT_MESSAGE_ID}


def _hint_label(code: str) -> str:
    labels = {
        HINT_REPLY_ADDRESS: _("our reply address"),
        HINT_MESSAGE_ID: _("In-Reply-To/References"),
        HINT_SUBJECT: _("the ticket number in the subject"),
    }
    return labels.get(code, code)


def _thread_hints(parsed: ParsedMail, mailbox: Mailbox) -> list[tuple[int, str]]:
    """Tickets this mail may continue, strongest signal first: our signed reply address, our
    Message-IDs in In-Reply-To/References, the ticket number in the subject. The ingestion service
    trusts them only for the ticket's customer or a participant."""
    hints: list[tuple[int, str]] = []
    recipients = [
        *parsed.to,
        *parsed.cc,
        parsed.headers.get("delivered-to", ""),
        parsed.headers.get("x-original-to", ""),
    ]
    for address in recipients:
        if address and (number := ticket_from_reply_address(address, mailbox=mailbox)) is not None:
            hints.append((number, HINT_REPLY_ADDRESS))
    references = [i for i in [parsed.in_reply_to, *reversed(parsed.references)] if i][:50]
    if references:
        found = (
            Message.objects.filter(email_message_id__in=references)
            .exclude(email_message_id="")
            .order_by("-created_at")
            .values_list("ticket_id", flat=True)
            .first()
        )
        if found is not None:
            hints.append((found, HINT_MESSAGE_ID))
    if (number := ticket_from_subject(parsed.subject)) is not None:
        hints.append((number, HINT_SUBJECT))
    return hints


# --- the customer's message -----------------------------------------------------------------


def _add_customer_message(
    row: InboundEmail,
    parsed: ParsedMail,
    mailbox: Mailbox,
    customer: Customer,
    hints: list[tuple[int, str]],
    kind: str,
    ours: set[str],
) -> str:
    body_text = parsed.body_text.strip()
    if not body_text and not parsed.body_html.strip():
        body_text = _("(The email had no text.)")
    inbound = InboundMessage(
        channel=Channel.EMAIL,
        external_id=f"email:{mailbox.pk}:{row.dedupe_key}"[:500],
        sender_kind=CustomerIdentity.Kind.EMAIL,
        sender_value=_sender_address(parsed),
        sender_name=parsed.from_name[:200],
        subject=parsed.subject,
        body_text=body_text,
        body_html=parsed.body_html,
        received_at=row.received_at,
        ticket_hints=tuple(hints),
        team_id=mailbox.team_id,
        email_message_id=parsed.message_id[:500],
        email_in_reply_to=parsed.in_reply_to[:500],
        email_references=" ".join(parsed.references)[:10000],
        email_recipients=", ".join([*parsed.to, *parsed.cc])[:5000],
        quoted_text_start=_quoted_start(body_text),
    )
    result = inbound_message_ingest(inbound=inbound, customer=customer)
    ticket, message = result.ticket, result.message
    if result.duplicate:
        # The same mail came in through another source; this copy changes nothing.
        return _finish(
            row,
            Status.PROCESSED,
            _("Already on #%(number)s.") % {"number": ticket.pk},
            ticket=ticket,
            message=message,
            classification=kind,
        )

    refused = _store_attachments(message, parsed.attachments)
    if result.created_ticket or result.thread_found_by in PROVEN_HINTS:
        # Only a sender who saw our mail (or who starts the conversation) may bring people in: a
        # forged From with a guessable [#N] must not subscribe a stranger to the customer's replies.
        _add_participants(ticket, customer, parsed, ours)
    if refused:
        _note_refused_attachments(ticket, row, refused)
    if result.created_ticket and kind == AutoKind.NONE and mailbox.send_acknowledgement:
        _acknowledge(ticket, mailbox, customer)

    values = {"number": ticket.pk, "how": _hint_label(result.thread_found_by)}
    if result.followup_of is not None:
        outcome = _("New ticket #%(number)s, a follow-up of closed #%(old)s.") % {
            "number": ticket.pk,
            "old": result.followup_of.pk,
        }
    elif result.created_ticket:
        outcome = _("New ticket #%(number)s.") % values
    elif result.reopened:
        outcome = _("Reopened #%(number)s (by %(how)s).") % values
    else:
        outcome = _("Added to #%(number)s (by %(how)s).") % values
    return _finish(row, Status.PROCESSED, outcome, ticket=ticket, message=message, classification=kind)


def _quoted_start(body_text: str) -> int | None:
    """Where quoted history and signature begin, so the timeline can fold them; None when there is none."""
    reply, quoted = split_reply(body_text)
    quoted = quoted.strip()
    if not quoted or not reply.strip():
        return None
    start = body_text.find(quoted[:200])
    return start if start > 0 else None


def _store_attachments(message: Message, attachments: list[ParsedAttachment]) -> list[ParsedAttachment]:
    """Save each attachment as a file; returns those over the size limit, which are not kept."""
    limit = settings.HELPDESK_EMAIL_MAX_ATTACHMENT_BYTES
    attachments_store(
        message=message,
        files=[
            NewAttachment(
                filename=part.filename, content_type=part.content_type, data=part.data, content_id=part.content_id
            )
            for part in attachments
            if part.size <= limit
        ],
    )
    return [part for part in attachments if part.size > limit]


def _note_refused_attachments(ticket: Ticket, row: InboundEmail, refused: list[ParsedAttachment]) -> None:
    names = ", ".join(f"{part.filename or _('(no name)')} ({filesizeformat(part.size)})" for part in refused)
    ticket_services.message_add(
        ticket=ticket,
        channel=Channel.EMAIL,
        direction=Message.Direction.NOTE,
        is_automatic=True,
        body_text=_(
            "Attachments over the %(limit)s limit were not kept: %(names)s. "
            "The original email is stored whole as inbound email %(id)s in the admin."
        )
        % {"limit": filesizeformat(settings.HELPDESK_EMAIL_MAX_ATTACHMENT_BYTES), "names": names, "id": row.pk},
        created_at=row.received_at,
    )


def _add_participants(ticket: Ticket, sender: Customer, parsed: ParsedMail, ours: set[str]) -> None:
    """Everyone else the customer wrote to (To and Cc, except our own addresses) joins the conversation."""
    addresses = []
    for address in [*parsed.to, *parsed.cc]:
        address = address.strip().lower()
        if address and "@" in address and not is_our_address(address, ours) and address not in addresses:
            addresses.append(address)
    addresses = addresses[:MAX_PARTICIPANTS]
    if not addresses:
        return
    # Known people in one query; only new addresses cost a customer each.
    known = dict(
        CustomerIdentity.objects.filter(kind=CustomerIdentity.Kind.EMAIL, value__in=addresses).values_list(
            "value", "customer_id"
        )
    )
    people: set[int] = set()
    for address in addresses:
        if (customer_id := known.get(address)) is None:
            try:
                person, _created = ticket_services.customer_get_or_create_by_identity(
                    kind=CustomerIdentity.Kind.EMAIL, value=address
                )
            except (InvalidIdentity, ValidationError):
                continue
            customer_id = person.pk
        people.add(customer_id)
    people -= {sender.pk, ticket.customer_id}
    TicketParticipant.objects.bulk_create(
        [TicketParticipant(ticket=ticket, customer_id=customer_id) for customer_id in sorted(people)],
        ignore_conflicts=True,
    )


def acknowledgement_text(*, mailbox: Mailbox, ticket: Ticket, customer: Customer) -> str:
    template = mailbox.acknowledgement_text.strip() or _(
        "Hello {customer_name},\n\n"
        "Thank you for writing to us. Your request has been received as ticket #{ticket_number}: "
        "{subject}\n\n"
        "We will answer as soon as we can. To add anything, simply reply to this email."
    )
    values = {"ticket_number": ticket.pk, "subject": ticket.subject, "customer_name": customer.name or _("there")}
    try:
        return template.format(**values)
    except (KeyError, IndexError, ValueError):
        # A typo in an admin's placeholder must not stop the mail; send it as written.
        return template


def _acknowledge(ticket: Ticket, mailbox: Mailbox, customer: Customer) -> None:
    ticket_services.message_add(
        ticket=ticket,
        channel=Channel.EMAIL,
        direction=Message.Direction.OUTBOUND,
        is_automatic=True,
        body_text=acknowledgement_text(mailbox=mailbox, ticket=ticket, customer=customer),
    )
