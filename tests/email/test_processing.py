"""From a stored raw email to the ticket it means: threading, participants, machine mail, limits, quarantine."""

from __future__ import annotations

import pytest
from django.core import mail

from channels_intake.email.addresses import reply_address
from channels_intake.email.processing import inbound_email_process
from channels_intake.email.store import inbound_email_receive, inbound_email_store
from channels_intake.models import InboundEmail
from tests.email.mails import raw_mail
from tests.factories import AgentFactory, MailboxFactory, TeamFactory, TicketParticipantFactory
from tickets import services
from tickets.models import Attachment, Customer, Message, Ticket, TicketLink, TicketParticipant

pytestmark = pytest.mark.django_db


@pytest.fixture
def mailbox():
    return MailboxFactory(name="support0", team=TeamFactory(name="Support"))


def deliver(mailbox, raw: bytes, **kwargs) -> InboundEmail:
    row, _created = inbound_email_store(mailbox=mailbox, raw=raw, source=InboundEmail.Source.PIPE, **kwargs)
    inbound_email_process(inbound_email=row)
    row.refresh_from_db()
    return row


def outbound_reply(ticket: Ticket) -> Message:
    reply = services.ticket_reply(ticket=ticket, agent=AgentFactory(), body_text="We are looking into it.")
    reply.refresh_from_db()
    return reply


def test_a_first_email_opens_a_ticket_for_the_sender_in_the_mailbox_team(mailbox):
    row = deliver(mailbox, raw_mail(subject="Where is my parcel?", body="It was due Monday."))

    assert row.status == InboundEmail.Status.PROCESSED
    ticket = row.ticket
    assert ticket.subject == "Where is my parcel?"
    assert ticket.team == mailbox.team
    assert ticket.channel == "email"
    assert ticket.customer.name == "Sara Customer"
    assert ticket.customer.identities.get().value == "sara@example.com"
    first = ticket.messages.filter(direction="inbound").get()
    assert "It was due Monday." in first.body_text
    assert first.author_customer == ticket.customer


def test_a_new_ticket_gets_an_automatic_acknowledgement_with_its_number(mailbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        row = deliver(mailbox, raw_mail())

    ack = row.ticket.messages.get(direction="outbound")
    assert ack.is_automatic
    assert f"#{row.ticket.pk}" in ack.body_text
    assert len(mail.outbox) == 1
    assert mail.outbox[0].extra_headers.get("Auto-Submitted") == "auto-replied" or (
        mail.outbox[0].message()["Auto-Submitted"] == "auto-replied"
    )


def test_no_acknowledgement_when_the_mailbox_turns_it_off(mailbox):
    mailbox.send_acknowledgement = False
    mailbox.save()
    row = deliver(mailbox, raw_mail())
    assert not row.ticket.messages.filter(direction="outbound").exists()


def test_the_same_email_delivered_twice_is_one_message(mailbox):
    raw = raw_mail(message_id="<same@example.com>")
    first = deliver(mailbox, raw)
    again, created = inbound_email_store(mailbox=mailbox, raw=raw, source=InboundEmail.Source.IMAP)

    assert not created
    assert again.pk == first.pk
    assert Message.objects.filter(direction="inbound").count() == 1


def test_without_message_id_the_content_decides_what_is_a_duplicate(mailbox):
    raw = raw_mail(message_id="")
    first, created_first = inbound_email_store(mailbox=mailbox, raw=raw, source="pipe")
    second, created_second = inbound_email_store(mailbox=mailbox, raw=raw, source="imap")
    other, created_other = inbound_email_store(mailbox=mailbox, raw=raw + b"more\r\n", source="imap")

    assert created_first and not created_second and created_other
    assert first.pk == second.pk != other.pk
    assert first.dedupe_key.startswith("sha256:")


def test_a_reply_to_our_message_id_joins_the_ticket(mailbox):
    ticket = deliver(mailbox, raw_mail()).ticket
    ours = outbound_reply(ticket)
    ours.email_message_id = "helpdesk.1.2.abc@help.example.com"
    ours.save()

    row = deliver(
        mailbox,
        raw_mail(subject="Re: something else entirely", in_reply_to="<helpdesk.1.2.abc@help.example.com>"),
    )

    assert row.ticket == ticket
    assert "In-Reply-To" in row.outcome
    assert ticket.messages.filter(direction="inbound").count() == 2


def test_a_reply_with_the_ticket_number_in_the_subject_reopens_a_solved_ticket(mailbox):
    ticket = deliver(mailbox, raw_mail()).ticket
    outbound_reply(ticket)
    services.ticket_change_status(ticket=ticket, status=Ticket.Status.SOLVED)

    row = deliver(mailbox, raw_mail(subject=f"Re: [#{ticket.pk}] My order has not arrived", body="Still nothing."))

    ticket.refresh_from_db()
    assert row.ticket == ticket
    assert ticket.status == Ticket.Status.OPEN
    assert ticket.reopen_count == 1
    assert row.outcome.startswith(f"Reopened #{ticket.pk}")


def test_a_signed_reply_address_finds_the_ticket_and_a_forged_one_does_not(mailbox):
    ticket = deliver(mailbox, raw_mail()).ticket

    signed = deliver(
        mailbox, raw_mail(subject="no number here", to=reply_address(mailbox=mailbox, ticket_number=ticket.pk))
    )
    forged = deliver(
        mailbox, raw_mail(subject="no number here", to=f"support0+t{ticket.pk}-000000000000@help.example.com")
    )

    assert signed.ticket == ticket
    assert forged.ticket != ticket


def test_a_reply_to_a_closed_ticket_opens_a_follow_up_linked_to_it(mailbox):
    ticket = deliver(mailbox, raw_mail()).ticket
    outbound_reply(ticket)
    services.ticket_change_status(ticket=ticket, status=Ticket.Status.SOLVED)
    services.ticket_change_status(ticket=ticket, status=Ticket.Status.CLOSED)

    row = deliver(mailbox, raw_mail(subject=f"Re: [#{ticket.pk}] thanks", body="One more question."))

    assert row.ticket != ticket
    assert row.ticket.customer == ticket.customer
    assert TicketLink.objects.filter(ticket=row.ticket, related=ticket).exists()
    assert "follow-up" in row.outcome


def test_a_forged_in_reply_to_from_another_customer_does_not_reach_the_ticket(mailbox):
    ticket = deliver(mailbox, raw_mail()).ticket
    ours = outbound_reply(ticket)
    ours.email_message_id = "secret-thread@help.example.com"
    ours.save()

    intruder = deliver(
        mailbox,
        raw_mail(
            sender="mallory@evil.example", subject=f"Re: [#{ticket.pk}]", in_reply_to="<secret-thread@help.example.com>"
        ),
    )

    assert intruder.ticket != ticket
    assert intruder.ticket.customer.identities.get().value == "mallory@evil.example"
    assert ticket.messages.filter(direction="inbound").count() == 1


def test_cc_addresses_become_participants_and_their_replies_join(mailbox):
    row = deliver(
        mailbox,
        raw_mail(to="support0@help.example.com, Boss <boss@example.com>", cc="colleague@example.com"),
    )
    ticket = row.ticket
    participants = set(
        TicketParticipant.objects.filter(ticket=ticket).values_list("customer__identities__value", flat=True)
    )
    assert participants == {"boss@example.com", "colleague@example.com"}

    reply = deliver(mailbox, raw_mail(sender="colleague@example.com", subject=f"Re: [#{ticket.pk}] also me"))
    assert reply.ticket == ticket
    assert reply.message.author_customer.identities.get().value == "colleague@example.com"


def test_a_participant_added_by_hand_may_reply_by_subject(mailbox):
    ticket = deliver(mailbox, raw_mail()).ticket
    helper = Customer.objects.create(name="Helper")
    helper.identities.create(kind="email", value="helper@example.com")
    TicketParticipantFactory(ticket=ticket, customer=helper)

    row = deliver(mailbox, raw_mail(sender="helper@example.com", subject=f"[#{ticket.pk}]"))
    assert row.ticket == ticket


def test_an_auto_reply_becomes_a_note_and_neither_reopens_nor_gets_answered(mailbox):
    ticket = deliver(mailbox, raw_mail()).ticket
    outbound_reply(ticket)
    services.ticket_change_status(ticket=ticket, status=Ticket.Status.PENDING)
    outbox_before = Message.objects.filter(direction="outbound").count()

    row = deliver(
        mailbox,
        raw_mail(
            subject=f"Out of office: [#{ticket.pk}]",
            body="I am away until Monday.",
            headers={"Auto-Submitted": "auto-replied"},
        ),
    )

    ticket.refresh_from_db()
    assert row.classification == "auto-reply"
    assert row.message.direction == "note"
    assert ticket.status == Ticket.Status.PENDING
    assert Message.objects.filter(direction="outbound").count() == outbox_before


def test_an_auto_reply_to_nothing_of_ours_is_ignored(mailbox):
    row = deliver(mailbox, raw_mail(subject="Out of office", headers={"Auto-Submitted": "auto-replied"}))
    assert row.status == InboundEmail.Status.IGNORED
    assert not Ticket.objects.exists()
    assert not Customer.objects.exists()  # a robot does not become a customer


def test_bulk_mail_makes_a_ticket_but_never_an_automatic_answer(mailbox):
    row = deliver(mailbox, raw_mail(headers={"Precedence": "bulk", "List-Id": "<news.shop.example>"}))
    assert row.status == InboundEmail.Status.PROCESSED
    assert row.classification == "bulk"
    assert not row.ticket.messages.filter(direction="outbound").exists()


def dsn_for(message_id: str, recipient: str = "gone@example.com") -> bytes:
    return (
        "From: MAILER-DAEMON@mx.example.com\r\n"
        "To: support0@help.example.com\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\n"
        "Message-ID: <bounce-1@mx.example.com>\r\n"
        "Auto-Submitted: auto-replied\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\r\n\r\n'
        "--B\r\nContent-Type: text/plain\r\n\r\nYour message could not be delivered.\r\n"
        "--B\r\nContent-Type: message/delivery-status\r\n\r\n"
        "Reporting-MTA: dns; mx.example.com\r\n\r\n"
        f"Final-Recipient: rfc822; {recipient}\r\nAction: failed\r\nStatus: 5.1.1\r\n"
        "Diagnostic-Code: smtp; 550 5.1.1 user unknown\r\n"
        "--B\r\nContent-Type: text/rfc822-headers\r\n\r\n"
        f"From: support0@help.example.com\r\nTo: {recipient}\r\nMessage-ID: <{message_id}>\r\nSubject: Re: x\r\n"
        "--B--\r\n"
    ).encode()


def test_a_bounce_marks_our_reply_bounced_and_opens_no_ticket(mailbox):
    ticket = deliver(mailbox, raw_mail()).ticket
    ours = outbound_reply(ticket)
    ours.email_message_id = "helpdesk.9.9.bounced@help.example.com"
    ours.delivery_status = Message.DeliveryStatus.SENT
    ours.save()
    tickets_before = Ticket.objects.count()

    row = deliver(mailbox, dsn_for("helpdesk.9.9.bounced@help.example.com"))

    ours.refresh_from_db()
    assert row.status == InboundEmail.Status.IGNORED
    assert row.classification == "bounce"
    assert ours.delivery_status == Message.DeliveryStatus.BOUNCED
    assert "5.1.1" in ours.delivery_error
    assert Ticket.objects.count() == tickets_before


def test_a_sender_over_the_hourly_limit_is_held_and_an_admin_can_release_it(mailbox):
    mailbox.hourly_sender_limit = 2
    mailbox.save()
    rows = [deliver(mailbox, raw_mail(subject=f"spam {n}")) for n in range(3)]

    assert [row.status for row in rows] == ["processed", "processed", "held"]
    assert "more than 2 messages" in rows[2].outcome

    inbound_email_process(inbound_email=rows[2], release_hold=True)
    rows[2].refresh_from_db()
    assert rows[2].status == InboundEmail.Status.PROCESSED


def test_mail_the_provider_marked_as_spam_is_held(mailbox):
    row = deliver(mailbox, raw_mail(), is_spam=True)
    assert row.status == InboundEmail.Status.HELD
    assert not Ticket.objects.exists()


def test_an_attachment_over_the_limit_is_refused_with_a_note_and_the_raw_mail_kept(mailbox, settings):
    settings.HELPDESK_EMAIL_MAX_ATTACHMENT_BYTES = 1000
    raw = raw_mail(
        attachments=[("small.txt", "text/plain", b"fine"), ("huge.bin", "application/octet-stream", b"x" * 5000)]
    )
    row = deliver(mailbox, raw)

    assert list(Attachment.objects.values_list("filename", flat=True)) == ["small.txt"]
    note = row.ticket.messages.get(direction="note")
    assert "huge.bin" in note.body_text
    assert str(row.pk) in note.body_text
    assert bytes(InboundEmail.objects.get(pk=row.pk).raw) == raw


def test_attachments_are_stored_with_name_type_size_and_hash(mailbox):
    row = deliver(mailbox, raw_mail(attachments=[("رسید.pdf", "application/pdf", b"%PDF-1.4 receipt")]))
    attachment = row.message.attachments.get()
    assert attachment.filename == "رسید.pdf"
    assert attachment.content_type == "application/pdf"
    assert attachment.size == len(b"%PDF-1.4 receipt")
    assert len(attachment.sha256) == 64
    assert attachment.file.read() == b"%PDF-1.4 receipt"


def test_mail_without_a_sender_is_quarantined_not_lost(mailbox):
    row = deliver(mailbox, raw_mail(sender=""))
    assert row.status == InboundEmail.Status.QUARANTINED
    assert "sender" in row.outcome
    assert not Ticket.objects.exists()


def test_an_outlook_msg_file_is_quarantined_with_a_clear_reason(mailbox):
    row = deliver(mailbox, b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600)
    assert row.status == InboundEmail.Status.QUARANTINED
    assert row.outcome.startswith("Not an email")


def test_a_crash_while_processing_quarantines_and_reprocessing_works(mailbox, monkeypatch):
    from channels_intake.email import processing

    def broken(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(processing, "_add_customer_message", broken)
    row = deliver(mailbox, raw_mail())
    assert row.status == InboundEmail.Status.QUARANTINED
    assert "disk on fire" in row.outcome
    assert not Ticket.objects.exists()  # nothing half-made

    monkeypatch.undo()
    inbound_email_process(inbound_email=row, release_hold=True)
    row.refresh_from_db()
    assert row.status == InboundEmail.Status.PROCESSED
    assert row.attempts == 2  # counted with each outcome


def test_mail_from_our_own_address_is_not_a_customer_message(mailbox):
    row = deliver(mailbox, raw_mail(sender="support0@help.example.com"))
    assert row.status == InboundEmail.Status.IGNORED
    assert not Customer.objects.filter(identities__value="support0@help.example.com").exists()


def test_quoted_history_is_marked_so_the_timeline_can_fold_it(mailbox):
    body = (
        "Thanks, that worked!\n\nOn Mon, 3 Nov 2026 at 10:00, Support <support0@help.example.com> wrote:\n> Try again\n"
    )
    row = deliver(mailbox, raw_mail(body=body))
    message = row.message
    assert message.quoted_text_start is not None
    assert message.body_text[: message.quoted_text_start].strip() == "Thanks, that worked!"
    assert "Try again" in message.body_text  # the full text is kept


def test_receiving_hands_processing_to_a_worker_after_commit(mailbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        row, created = inbound_email_receive(mailbox=mailbox, raw=raw_mail(), source=InboundEmail.Source.WEBHOOK)
    row.refresh_from_db()
    assert created
    assert row.status == InboundEmail.Status.PROCESSED
    assert row.ticket is not None


def test_html_only_mail_with_an_inline_image_keeps_the_image_by_content_id(mailbox):
    from email.message import EmailMessage

    message = EmailMessage()
    message["From"] = "sara@example.com"
    message["To"] = "support0@help.example.com"
    message["Subject"] = "Screenshot"
    message["Message-ID"] = "<html-only@example.com>"
    message.set_content(
        '<p>See <b>this</b>:</p><img src="cid:shot1@example.com"><script>alert(1)</script>', subtype="html"
    )
    message.add_related(b"\x89PNG\r\n\x1a\nfakepng", maintype="image", subtype="png", cid="<shot1@example.com>")
    row = deliver(mailbox, message.as_bytes())

    stored = row.message
    assert "See this" in stored.body_text
    assert "<script" not in stored.body_html
    assert "cid:shot1@example.com" in stored.body_html
    image = stored.attachments.get()
    assert image.content_id == "shot1@example.com"


def test_the_sweep_processes_mail_no_worker_took_and_gives_up_after_too_many_attempts(mailbox):
    from datetime import timedelta

    from django.utils import timezone

    from channels_intake.tasks import MAX_ATTEMPTS, process_stale_inbound_email

    old = timezone.now() - timedelta(hours=1)
    forgotten, _created = inbound_email_store(mailbox=mailbox, raw=raw_mail(subject="Lost task"), source="imap")
    hopeless, _created = inbound_email_store(mailbox=mailbox, raw=raw_mail(subject="Kills workers"), source="imap")
    fresh, _created = inbound_email_store(mailbox=mailbox, raw=raw_mail(subject="Just arrived"), source="imap")
    InboundEmail.objects.filter(pk__in=[forgotten.pk, hopeless.pk]).update(received_at=old)
    InboundEmail.objects.filter(pk=hopeless.pk).update(attempts=MAX_ATTEMPTS)

    process_stale_inbound_email()

    forgotten.refresh_from_db()
    hopeless.refresh_from_db()
    fresh.refresh_from_db()
    assert forgotten.status == InboundEmail.Status.PROCESSED
    assert forgotten.ticket.subject == "Lost task"
    assert hopeless.status == InboundEmail.Status.QUARANTINED
    assert "quarantined" in hopeless.outcome
    assert fresh.status == InboundEmail.Status.RECEIVED  # a worker has it in hand


def _nested_multiparts(depth: int) -> bytes:
    head = (
        b"From: deep@example.com\r\nTo: support0@help.example.com\r\n"
        b"Subject: Deep\r\nMessage-ID: <deep@example.com>\r\n"
    )
    body = b""
    for level in range(depth):
        body += b'Content-Type: multipart/mixed; boundary="b%d"\r\n\r\n--b%d\r\n' % (level, level)
    body += b"Content-Type: text/plain\r\n\r\nThe innermost words.\r\n"
    for level in reversed(range(depth)):
        body += b"--b%d--\r\n" % level
    return head + b"MIME-Version: 1.0\r\n" + body


BAD_INPUT = {
    "empty": (b"\r\n\r\n", "quarantined", "sender"),
    "no From": (b"To: support0@help.example.com\r\nSubject: Who am I\r\n\r\nHello\r\n", "quarantined", "sender"),
    "binary garbage": (bytes(range(256)) * 40, "quarantined", "sender"),
    "10 MB header": (
        b"From: big@example.com\r\nSubject: Big header\r\nX-Huge: "
        + b"a" * (10 * 1024 * 1024)
        + b"\r\n\r\nStill here\r\n",
        "processed",
        "New ticket",
    ),
    "200 nested multiparts": (_nested_multiparts(200), "processed", "New ticket"),
}


@pytest.mark.parametrize("name", BAD_INPUT)
def test_bad_input_gets_a_clear_outcome_and_the_raw_mail_is_kept(mailbox, name):
    raw, status, outcome = BAD_INPUT[name]

    row = deliver(mailbox, raw)

    assert row.status == status
    assert outcome in row.outcome
    assert bytes(InboundEmail.objects.get(pk=row.pk).raw) == raw
    if status == "processed":
        text = row.message.body_text
        assert "Still here" in text or "The innermost words." in text


def test_the_ticket_page_lists_who_is_in_copy(mailbox, client):
    from django.urls import reverse

    from tests.factories import AdminFactory

    row = deliver(mailbox, raw_mail(cc="Nima Boss <nima@example.com>, colleague@example.com"))
    client.force_login(AdminFactory())

    page = client.get(reverse("tickets:detail", args=[row.ticket.pk])).content.decode()

    assert "In copy" in page
    assert 'title="nima@example.com"' in page
    assert "colleague@example.com" in page


def test_a_machine_notification_makes_a_ticket_but_no_acknowledgement(mailbox):
    row = deliver(
        mailbox,
        raw_mail(
            sender="alerts@monitoring.example",
            subject="Disk full on web-3",
            headers={"Auto-Submitted": "auto-generated"},
        ),
    )
    assert row.status == InboundEmail.Status.PROCESSED
    assert row.ticket.subject == "Disk full on web-3"
    assert not row.ticket.messages.filter(direction="outbound").exists()


def test_a_forged_customer_with_a_guessed_number_cannot_subscribe_a_stranger(mailbox):
    ticket = deliver(mailbox, raw_mail()).ticket  # from sara@example.com

    forged = deliver(mailbox, raw_mail(subject=f"Re: [#{ticket.pk}]", cc="spy@evil.example"))
    assert forged.ticket == ticket  # it is Sara's address, so it joins the conversation ...
    assert not TicketParticipant.objects.filter(ticket=ticket).exists()  # ... but brings nobody in

    ours = outbound_reply(ticket)
    ours.email_message_id = "helpdesk.7.7.random@help.example.com"  # what the sender stamped on our reply
    ours.save()
    proven = deliver(mailbox, raw_mail(in_reply_to=f"<{ours.email_message_id}>", cc="colleague@example.com"))
    assert proven.ticket == ticket
    assert TicketParticipant.objects.filter(ticket=ticket, customer__identities__value="colleague@example.com").exists()


def test_a_display_name_with_line_breaks_is_kept_on_one_line(mailbox):
    raw = (
        b"From: =?utf-8?q?Eve=0D=0ABcc:_x@evil.example?= <eve@example.com>\r\n"
        b"To: support0@help.example.com\r\nSubject: Hi\r\nMessage-ID: <eve@example.com>\r\n\r\nHello\r\n"
    )
    row = deliver(mailbox, raw)
    assert row.ticket.customer.name == "Eve Bcc: x@evil.example"
    assert "\n" not in row.ticket.customer.name


def test_a_very_long_display_name_is_cut_to_fit(mailbox):
    row = deliver(mailbox, raw_mail(sender=f"{'Long' * 100} <long@example.com>"))
    assert row.status == InboundEmail.Status.PROCESSED
    assert len(row.ticket.customer.name) == 200


def test_the_same_attachment_in_two_mails_is_stored_once_on_disk(mailbox, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    logo = ("logo.png", "image/png", b"\x89PNG\r\n\x1a\nsame-logo-bytes")
    first = deliver(mailbox, raw_mail(subject="One", attachments=[logo]))
    second = deliver(mailbox, raw_mail(subject="Two", attachments=[logo]))

    a, b = first.message.attachments.get(), second.message.attachments.get()
    assert a.pk != b.pk
    assert a.file.name == b.file.name
    assert b.file.read() == logo[2]
    assert len(list(tmp_path.rglob("*.png"))) == 1
