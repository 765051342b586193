"""Outbound email: agent replies and automatic messages reach a real SMTP server (aiosmtpd), threaded,
exactly once, with retries for what may pass and a visible failure for what will not."""

from __future__ import annotations

import hashlib
import threading
from datetime import timedelta
from unittest import mock

import pytest
from django.core import mail
from django.core.files.base import ContentFile
from django.db import connection, connections
from django.urls import reverse
from django.utils import timezone

from channels_intake.email import outbound
from channels_intake.email.addresses import ticket_from_reply_address
from channels_intake.email.outbound import (
    email_build,
    email_message_send,
    mailbox_for_ticket,
    send_email_message,
    send_stuck_email,
)
from channels_intake.models import InboundEmail, Mailbox
from helpdesk.celery import app as celery_app
from tests.factories import MessageFactory, TeamFactory
from tests.parts import missing
from tests.smtp_server import unused_port
from tickets import services
from tickets.models import Attachment, Channel, Message, TicketParticipant

pytestmark = pytest.mark.django_db

Status = Message.DeliveryStatus


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def mailbox(team):
    return Mailbox.objects.create(
        name="support", email_address="support@acme.example", from_name="Acme Support", team=team
    )


@pytest.fixture
def customer():
    return services.customer_create(name="Sara Karimi", identities=[("email", "sara@mail.example")])


@pytest.fixture
def ticket(customer, team, mailbox):
    """An email ticket: the customer's message came in on `mailbox`, in reply to an earlier thread."""
    ticket = services.ticket_create(customer=customer, subject="Invoice is wrong", channel=Channel.EMAIL, team=team)
    inbound = services.message_add(
        ticket=ticket,
        channel=Channel.EMAIL,
        direction=Message.Direction.INBOUND,
        body_text="My invoice shows 3 items, I bought 2.",
        author_customer=customer,
        email_message_id="question-2@mail.example",
        email_references="root-1@mail.example",
        created_at=timezone.now() - timedelta(minutes=5),
    )
    _inbound_email(mailbox, ticket, inbound)
    return ticket


def _inbound_email(mailbox: Mailbox, ticket, message: Message) -> InboundEmail:
    raw = f"Message-ID: <{message.email_message_id}>\r\n\r\nhello".encode()
    return InboundEmail.objects.create(
        mailbox=mailbox,
        source=InboundEmail.Source.PIPE,
        raw=raw,
        size=len(raw),
        sha256=hashlib.sha256(raw).hexdigest(),
        dedupe_key=message.email_message_id,
        status=InboundEmail.Status.PROCESSED,
        ticket=ticket,
        message=message,
    )


@pytest.fixture
def eager_like_a_worker():
    # With eager propagation Celery raises out of the task instead of retrying in place or calling
    # the task's failure hook; a worker does both.
    celery_app.conf.task_eager_propagates = False
    yield
    celery_app.conf.task_eager_propagates = True


def _reply(capture, ticket, agent, text="We are sorry: the invoice is corrected.\nBest, Ava"):
    with capture(execute=True):
        return services.ticket_reply(ticket=ticket, agent=agent, body_text=text)


def _queued(ticket, **kwargs) -> Message:
    """A queued outbound email whose task has not run (as after a lost broker message)."""
    kwargs.setdefault("delivery_status", Status.QUEUED)
    return MessageFactory(ticket=ticket, direction=Message.Direction.OUTBOUND, **kwargs)


# --- what arrives -------------------------------------------------------------------------------


def test_an_agent_reply_arrives_threaded_to_the_customer_and_participants(
    smtp_settings, smtp_server, ticket, agent, mailbox, django_capture_on_commit_callbacks
):
    colleague = services.customer_create(name="Reza", identities=[("email", "reza@mail.example")])
    ourselves = services.customer_create(identities=[("email", "support+t9-abc@acme.example")])
    TicketParticipant.objects.create(ticket=ticket, customer=colleague)
    TicketParticipant.objects.create(ticket=ticket, customer=ourselves)

    reply = _reply(django_capture_on_commit_callbacks, ticket, agent)

    [received] = smtp_server.received
    email = received.parsed()
    assert received.mail_from == "support@acme.example"
    assert sorted(received.rcpt_tos) == ["reza@mail.example", "sara@mail.example"]
    assert email["From"] == "Acme Support <support@acme.example>"
    assert email["To"] == "Sara Karimi <sara@mail.example>"
    assert email["Cc"] == "reza@mail.example"
    assert email["Subject"] == f"Re: [#{ticket.pk}] Invoice is wrong"
    assert ticket_from_reply_address(email["Reply-To"].addresses[0].addr_spec, mailbox=mailbox) == ticket.pk
    assert email["In-Reply-To"] == "<question-2@mail.example>"
    assert email["References"] == "<root-1@mail.example> <question-2@mail.example>"
    assert email["Auto-Submitted"] is None

    reply.refresh_from_db()
    assert email["Message-ID"] == f"<{reply.email_message_id}>"
    assert reply.email_message_id.endswith("@acme.example")
    assert reply.email_in_reply_to == "question-2@mail.example"
    assert reply.delivery_status == Status.SENT
    assert reply.delivery_error == ""
    assert reply.email_recipients == "sara@mail.example, reza@mail.example"


def test_a_reply_has_a_text_and_an_html_part_and_its_attachments(
    smtp_settings, smtp_server, ticket, agent, django_capture_on_commit_callbacks
):
    # The attachment is stored in the same transaction as the reply, before the send task runs.
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        reply = services.ticket_reply(ticket=ticket, agent=agent, body_text="Line one <b>\nLine two")
        Attachment.objects.create(
            message=reply,
            file=ContentFile(b"%PDF-1.4 corrected", name="invoice.pdf"),
            filename="invoice-1042.pdf",
            content_type="application/pdf",
            size=18,
            sha256="1" * 64,
        )
    for callback in callbacks:
        callback()

    [email] = smtp_server.messages
    assert email.get_content_type() == "multipart/mixed"
    assert email.get_body(("plain",)).get_content() == "Line one <b>\nLine two"
    html = email.get_body(("html",)).get_content()
    assert '<div dir="auto">' in html
    assert "Line one &lt;b&gt;<br>Line two" in html
    [attachment] = list(email.iter_attachments())
    assert attachment.get_filename() == "invoice-1042.pdf"
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_content() == b"%PDF-1.4 corrected"


def test_stored_html_is_sent_as_the_html_part(smtp_settings, smtp_server, ticket, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        services.message_add(
            ticket=ticket,
            channel=Channel.EMAIL,
            direction=Message.Direction.OUTBOUND,
            body_text="Hello in text",
            body_html="<p>Hello in <strong>HTML</strong></p>",
        )

    [email] = smtp_server.messages
    assert "<p>Hello in <strong>HTML</strong></p>" in email.get_body(("html",)).get_content()
    assert email.get_body(("plain",)).get_content().strip() == "Hello in text"


def test_an_automatic_message_says_it_is_auto_submitted(
    smtp_settings, smtp_server, ticket, django_capture_on_commit_callbacks
):
    colleague = services.customer_create(identities=[("email", "cc@mail.example")])
    TicketParticipant.objects.create(ticket=ticket, customer=colleague)
    with django_capture_on_commit_callbacks(execute=True):
        message = services.message_add(
            ticket=ticket,
            channel=Channel.EMAIL,
            direction=Message.Direction.OUTBOUND,
            is_automatic=True,
            body_text=f"We received your message. Your ticket number is {ticket.pk}.",
        )

    [email] = smtp_server.messages
    assert email["Auto-Submitted"] == "auto-replied"
    assert email["X-Auto-Response-Suppress"] == "All"
    # Only the customer: an acknowledgement must not go to whoever a (forged) mail put in Cc.
    assert email["Cc"] is None
    assert smtp_server.received[0].rcpt_tos == ["sara@mail.example"]
    assert email["Subject"] == f"Re: [#{ticket.pk}] Invoice is wrong"
    message.refresh_from_db()
    assert message.delivery_status == Status.SENT


def test_persian_and_arabic_text_arrive_intact(
    smtp_settings, smtp_server, customer, team, mailbox, agent, django_capture_on_commit_callbacks
):
    mailbox.from_name = "پشتیبانی آکمه"
    mailbox.save()
    ticket = services.ticket_create(customer=customer, subject="فاکتور اشتباه است", channel=Channel.EMAIL, team=team)
    body = "سلام سارا،\nفاکتور شما اصلاح شد. شكراً لصبرك."

    _reply(django_capture_on_commit_callbacks, ticket, agent, text=body)

    [email] = smtp_server.messages
    assert email["Subject"] == f"[#{ticket.pk}] فاکتور اشتباه است"
    assert email["From"].addresses[0].display_name == "پشتیبانی آکمه"
    assert email.get_body(("plain",)).get_content() == body
    assert "فاکتور شما اصلاح شد" in email.get_body(("html",)).get_content()


# --- exactly once, retries, failures ---------------------------------------------------------------


def test_a_second_run_sends_nothing_more(smtp_settings, smtp_server, ticket, agent, django_capture_on_commit_callbacks):
    reply = _reply(django_capture_on_commit_callbacks, ticket, agent)

    assert send_email_message.delay(reply.pk).get() == "skipped"
    assert len(smtp_server.received) == 1


def test_a_server_that_is_down_is_retried_then_the_message_fails_with_the_error(
    eager_like_a_worker, smtp_settings, ticket, agent, django_capture_on_commit_callbacks
):
    smtp_settings.EMAIL_PORT = unused_port()

    with mock.patch.object(outbound, "_deliver", wraps=outbound._deliver) as deliver:
        reply = _reply(django_capture_on_commit_callbacks, ticket, agent)

    assert deliver.call_count == send_email_message.max_retries + 1
    reply.refresh_from_db()
    assert reply.delivery_status == Status.FAILED
    assert "ConnectionRefusedError" in reply.delivery_error


def test_a_temporary_refusal_is_retried_until_the_server_takes_it(
    eager_like_a_worker, smtp_settings, smtp_server, ticket, agent, django_capture_on_commit_callbacks
):
    smtp_server.fail_data("451 4.3.0 Mailbox busy, try again", times=2)

    reply = _reply(django_capture_on_commit_callbacks, ticket, agent)

    assert smtp_server.data_attempts == 3
    [first] = smtp_server.messages
    reply.refresh_from_db()
    assert reply.delivery_status == Status.SENT
    assert reply.delivery_error == ""
    assert first["Message-ID"] == f"<{reply.email_message_id}>"


def test_while_retrying_the_message_stays_queued_with_the_reason(smtp_settings, smtp_server, ticket):
    smtp_server.fail_data("451 4.3.0 Mailbox busy, try again")
    message = _queued(ticket)

    with pytest.raises(outbound.EmailTemporaryFailure):
        email_message_send(message_id=message.pk)

    message.refresh_from_db()
    assert message.delivery_status == Status.QUEUED
    assert "451 4.3.0 Mailbox busy" in message.delivery_error
    first_id = message.email_message_id
    assert first_id

    assert email_message_send(message_id=message.pk) == "sent"
    message.refresh_from_db()
    assert message.email_message_id == first_id  # the retry sent the same Message-ID
    assert smtp_server.messages[0]["Message-ID"] == f"<{first_id}>"


def test_a_refused_recipient_fails_the_message_at_once(
    smtp_settings, smtp_server, ticket, agent, django_capture_on_commit_callbacks
):
    smtp_server.refuse_recipients("550 5.1.1 <sara@mail.example>: no such user here")

    with mock.patch.object(outbound, "_deliver", wraps=outbound._deliver) as deliver:
        reply = _reply(django_capture_on_commit_callbacks, ticket, agent)

    assert deliver.call_count == 1
    assert smtp_server.received == []
    reply.refresh_from_db()
    assert reply.delivery_status == Status.FAILED
    assert "550 5.1.1 <sara@mail.example>: no such user here" in reply.delivery_error


def test_an_unexpected_error_marks_the_message_failed_not_queued_forever(eager_like_a_worker, ticket):
    message = _queued(ticket)

    with mock.patch.object(outbound, "email_build", side_effect=RuntimeError("template exploded")):
        result = send_email_message.delay(message.pk)

    assert result.failed()

    message.refresh_from_db()
    assert message.delivery_status == Status.FAILED
    assert message.delivery_error == "RuntimeError: template exploded"


def test_a_customer_without_an_email_address_fails_clearly(smtp_settings, smtp_server, team, mailbox):
    ticket = services.ticket_create(
        customer=services.customer_create(name="Phone only", identities=[("phone", "+98 912 000 1111")]),
        subject="Call me",
        channel=Channel.EMAIL,
        team=team,
    )
    message = _queued(ticket)

    assert email_message_send(message_id=message.pk) == "failed"

    message.refresh_from_db()
    assert message.delivery_status == Status.FAILED
    assert message.delivery_error == "The customer has no email address."
    assert smtp_server.received == []


def test_the_sweep_sends_a_queued_message_whose_task_was_lost(smtp_settings, smtp_server, ticket):
    now = timezone.now()
    stale = _queued(ticket, created_at=now - timedelta(minutes=20), body_text="Lost in the broker")
    fresh = _queued(ticket, created_at=now - timedelta(minutes=1))
    ancient = _queued(ticket, created_at=now - timedelta(days=3))

    assert send_stuck_email() == 1

    [email] = smtp_server.messages
    assert email.get_body(("plain",)).get_content().strip() == "Lost in the broker"
    stale.refresh_from_db()
    fresh.refresh_from_db()
    ancient.refresh_from_db()
    assert stale.delivery_status == Status.SENT
    assert fresh.delivery_status == Status.QUEUED  # its own task may still be on the way
    assert ancient.delivery_status == Status.FAILED
    assert ancient.delivery_error


def test_the_default_locmem_backend_works_too(ticket, agent, django_capture_on_commit_callbacks):
    reply = _reply(django_capture_on_commit_callbacks, ticket, agent)

    [email] = mail.outbox
    assert email.to == ["Sara Karimi <sara@mail.example>"]
    reply.refresh_from_db()
    assert reply.delivery_status == Status.SENT


# --- which mailbox -------------------------------------------------------------------------------


def test_replies_go_out_from_the_mailbox_the_mail_came_in_on(ticket, mailbox):
    other = Mailbox.objects.create(name="sales", email_address="sales@acme.example", team=ticket.team)
    later = MessageFactory(ticket=ticket, email_message_id="later@mail.example")
    _inbound_email(other, ticket, later)

    assert mailbox_for_ticket(ticket) == other


def test_without_inbound_mail_the_teams_mailbox_then_any_active_one_is_used(customer, team, mailbox):
    Mailbox.objects.create(
        name="aaa-first", email_address="first@acme.example", created_at=timezone.now() - timedelta(days=1)
    )
    ticket = services.ticket_create(customer=customer, subject="Portal question", channel=Channel.EMAIL, team=team)
    assert mailbox_for_ticket(ticket) == mailbox

    ticket.team = TeamFactory()
    assert mailbox_for_ticket(ticket).email_address == "first@acme.example"

    Mailbox.objects.update(is_active=False)
    assert mailbox_for_ticket(ticket) is None


def test_without_any_mailbox_the_default_sender_is_used_and_no_reply_address(settings, customer):
    settings.DEFAULT_FROM_EMAIL = "Help <help@example.org>"
    ticket = services.ticket_create(customer=customer, subject="Hi", channel=Channel.EMAIL)
    message = _queued(ticket)

    email = email_build(message=message)

    assert email.from_email == "Help <help@example.org>"
    assert email.reply_to == []
    assert message.email_message_id.endswith("@example.org")
    assert email.subject == f"[#{ticket.pk}] Hi"


# --- what the agent sees -------------------------------------------------------------------------


def test_the_ticket_page_shows_a_failed_delivery_and_its_error(agent_client, ticket):
    _queued(ticket, delivery_status=Status.FAILED, delivery_error="550 5.1.1 no such user here")

    page = agent_client.get(reverse("tickets:detail", args=[ticket.pk])).text

    assert '<span class="badge delivery delivery-failed problem">Failed</span>' in page
    assert "550 5.1.1 no such user here" in page


# --- two workers ---------------------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_send_the_message_once(smtp_settings, smtp_server, ticket):
    if connection.vendor != "postgresql":
        missing("needs PostgreSQL (set DATABASE_URL): SQLite has no row locks to skip")
    message = _queued(ticket)
    barrier = threading.Barrier(4)
    results: list[str] = []

    def work() -> None:
        try:
            barrier.wait()
            results.append(email_message_send(message_id=message.pk))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(results) == ["sent", "skipped", "skipped", "skipped"]
    assert len(smtp_server.received) == 1


@pytest.mark.django_db(transaction=True)
def test_a_worker_dying_mid_send_leaves_the_message_id_for_the_retry(smtp_settings, smtp_server, ticket):
    message = _queued(ticket, channel=Channel.EMAIL, body_text="Your refund is on its way.")

    class WorkerKilled(BaseException):
        pass

    with mock.patch.object(outbound, "_deliver", side_effect=WorkerKilled), pytest.raises(WorkerKilled):
        email_message_send(message_id=message.pk)
    message.refresh_from_db()
    first_id = message.email_message_id
    assert first_id  # committed before the send began
    assert message.delivery_status == Status.SENDING
    assert email_message_send(message_id=message.pk) == "skipped"  # claimed: nobody else sends it meanwhile

    # The sweep finds the interrupted send later and queues it again, with its Message-ID.
    ids, _gave_up = outbound.email_messages_stuck(now=timezone.now() + timedelta(minutes=20))
    assert message.pk in ids
    assert email_message_send(message_id=message.pk) == "sent"
    [email] = smtp_server.messages
    assert email["Message-ID"] == f"<{first_id}>"


def test_the_ticket_page_follows_a_queued_reply_until_it_is_sent(client, ticket, agent):
    client.force_login(agent)
    message = _queued(ticket, channel=Channel.EMAIL, body_text="On its way")
    url = reverse("tickets:delivery", args=[ticket.pk, message.pk])

    page = client.get(reverse("tickets:detail", args=[ticket.pk])).content.decode()
    assert f'hx-get="{url}"' in page  # the queued badge asks again

    badge = client.get(url).content.decode()
    assert "Queued" in badge and "hx-get" in badge

    Message.objects.filter(pk=message.pk).update(delivery_status=Status.SENT)
    badge = client.get(url).content.decode()
    assert "Sent" in badge and "hx-get" not in badge  # and stops once it went out


def test_the_delivery_badge_of_someone_elses_ticket_is_not_found(client, ticket):
    from tests.factories import AgentFactory

    outsider = AgentFactory()  # in no team of this ticket
    client.force_login(outsider)
    message = _queued(ticket, channel=Channel.EMAIL)
    assert client.get(reverse("tickets:delivery", args=[ticket.pk, message.pk])).status_code == 404
