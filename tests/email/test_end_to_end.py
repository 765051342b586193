"""The whole email loop against real servers: Dovecot IMAP in, an agent's reply out over SMTP, the answer back in."""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import make_msgid

import pytest

from channels_intake.email.imap_tasks import poll_mailbox
from channels_intake.models import InboundEmail
from tests.factories import AgentFactory
from tickets import services
from tickets.models import Message, Ticket

pytestmark = pytest.mark.django_db(transaction=True)


def customer_mail(*, to: str, subject: str, body: str, in_reply_to: str = "", references: str = "") -> bytes:
    message = EmailMessage()
    message["From"] = "Reza Customer <reza@example.org>"
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain="example.org")
    if in_reply_to:
        message["In-Reply-To"] = in_reply_to
        message["References"] = references or in_reply_to
    message.set_content(body)
    return message.as_bytes()


def test_mail_in_reply_out_answer_back_on_the_same_ticket(imap_server, imap_mailbox, smtp_server, smtp_settings):
    imap_mailbox.send_acknowledgement = False
    imap_mailbox.save()
    address = imap_mailbox.email_address

    # 1. The customer writes; the poll turns it into a ticket and marks the mail read.
    imap_server.append(customer_mail(to=address, subject="Kettle broken", body="My kettle stopped working."))
    poll_mailbox.delay(imap_mailbox.pk).get()

    ticket = Ticket.objects.get()
    assert ticket.subject == "Kettle broken"
    assert ticket.customer.identities.get().value == "reza@example.org"
    assert imap_server.flags("INBOX") == [{"\\Seen"}]
    first = ticket.messages.get(direction="inbound")

    # 2. An agent replies in the workspace; it reaches the SMTP server threaded to the customer's mail.
    reply = services.ticket_reply(ticket=ticket, agent=AgentFactory(), body_text="Please send a photo of the plug.")
    reply.refresh_from_db()
    assert reply.delivery_status == Message.DeliveryStatus.SENT
    [sent] = smtp_server.messages
    assert sent["To"].addresses[0].addr_spec == "reza@example.org"
    assert f"[#{ticket.pk}]" in sent["Subject"]
    assert sent["In-Reply-To"] == f"<{first.email_message_id}>"
    assert f"<{first.email_message_id}>" in sent["References"]
    assert sent["Message-ID"] == f"<{reply.email_message_id}>"
    reply_to = sent["Reply-To"].addresses[0].addr_spec
    assert reply_to.startswith(address.split("@")[0] + "+t")

    # 3. The customer answers that mail (their client threads by In-Reply-To); it joins the same ticket.
    services.ticket_change_status(ticket=ticket, status=Ticket.Status.PENDING)
    imap_server.append(
        customer_mail(
            to=reply_to,
            subject=f"Re: {sent['Subject']}",
            body="Here is the photo.\n\nOn Sunday Support wrote:\n> Please send a photo of the plug.",
            in_reply_to=sent["Message-ID"],
            references=f"{sent['References']} {sent['Message-ID']}",
        )
    )
    poll_mailbox.delay(imap_mailbox.pk).get()

    ticket.refresh_from_db()
    assert Ticket.objects.count() == 1
    assert ticket.status == Ticket.Status.OPEN
    answer = ticket.messages.filter(direction="inbound").latest("created_at")
    assert answer.visible_text == "Here is the photo."
    assert InboundEmail.objects.filter(status=InboundEmail.Status.PROCESSED).count() == 2
