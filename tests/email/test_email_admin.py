"""The admin for mailboxes and inbound mail: passwords never shown, quarantined mail visible and re-processable."""

from __future__ import annotations

import pytest
from django.urls import reverse

from channels_intake.email.processing import inbound_email_process
from channels_intake.email.store import inbound_email_store
from channels_intake.models import InboundEmail, Mailbox
from tests.email.mails import raw_mail
from tests.factories import AdminFactory, MailboxFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(AdminFactory())
    return client


def test_the_imap_password_is_never_sent_back_to_the_browser(admin_client):
    mailbox = MailboxFactory(imap_host="imap.example.com", imap_username="support", imap_password="s3cret-Passw0rd")

    page = admin_client.get(reverse("admin:channels_intake_mailbox_change", args=[mailbox.pk]))

    assert page.status_code == 200
    assert "s3cret-Passw0rd" not in page.content.decode()
    assert "s3cret-Passw0rd" not in repr(mailbox)


def test_saving_a_mailbox_with_an_empty_password_keeps_the_saved_one(admin_client):
    mailbox = MailboxFactory(name="sales", imap_host="imap.example.com", imap_username="sales", imap_password="old-one")
    form = {
        "name": "sales",
        "email_address": mailbox.email_address,
        "from_name": "Sales",
        "is_active": "on",
        "imap_host": "imap.example.com",
        "imap_port": "993",
        "imap_security": "ssl",
        "imap_username": "sales",
        "imap_password": "",
        "imap_folder": "INBOX",
        "after_import": "seen",
        "move_to_folder": "Processed",
        "poll_interval_seconds": "60",
        "send_acknowledgement": "on",
        "acknowledgement_text": "",
        "hourly_sender_limit": "30",
    }

    response = admin_client.post(reverse("admin:channels_intake_mailbox_change", args=[mailbox.pk]), form)
    assert response.status_code == 302
    assert Mailbox.objects.get(pk=mailbox.pk).imap_password == "old-one"

    admin_client.post(
        reverse("admin:channels_intake_mailbox_change", args=[mailbox.pk]), {**form, "imap_password": "new-one"}
    )
    assert Mailbox.objects.get(pk=mailbox.pk).imap_password == "new-one"


def test_quarantined_mail_is_listed_downloadable_and_can_be_processed_again(admin_client, monkeypatch):
    from channels_intake.email import processing

    mailbox = MailboxFactory()
    raw = raw_mail(subject="Broken once")
    row, _created = inbound_email_store(mailbox=mailbox, raw=raw, source="pipe")
    monkeypatch.setattr(processing, "_add_customer_message", lambda *a, **k: 1 / 0)
    processing.inbound_email_process(inbound_email=row)
    monkeypatch.undo()

    listing = admin_client.get(reverse("admin:channels_intake_inboundemail_changelist") + "?status__exact=quarantined")
    assert "Broken once" in listing.content.decode()
    detail = admin_client.get(reverse("admin:channels_intake_inboundemail_change", args=[row.pk]))
    assert "ZeroDivisionError" in detail.content.decode()
    download = admin_client.get(reverse("admin:channels_intake_inboundemail_raw", args=[row.pk]))
    assert download.content == raw
    assert download["Content-Disposition"].startswith("attachment")

    admin_client.post(
        reverse("admin:channels_intake_inboundemail_changelist"),
        {"action": "process_again", "_selected_action": [row.pk]},
    )
    row.refresh_from_db()
    assert row.status == InboundEmail.Status.PROCESSED
    assert row.ticket.subject == "Broken once"


def test_stored_mail_cannot_be_edited_or_deleted_in_the_admin(admin_client):
    row, _created = inbound_email_store(mailbox=MailboxFactory(), raw=raw_mail(), source="pipe")
    delete = admin_client.post(reverse("admin:channels_intake_inboundemail_delete", args=[row.pk]), {"post": "yes"})
    assert delete.status_code == 403
    assert InboundEmail.objects.filter(pk=row.pk).exists()


@pytest.mark.django_db(transaction=True)
def test_poll_now_in_the_admin_reads_the_mailbox(client, imap_server, imap_mailbox):
    client.force_login(AdminFactory())
    imap_server.append(raw_mail(to=imap_mailbox.email_address, subject="Polled by hand"))

    client.post(
        reverse("admin:channels_intake_mailbox_changelist"),
        {"action": "poll_now", "_selected_action": [imap_mailbox.pk]},
    )

    row = InboundEmail.objects.get()
    assert row.subject == "Polled by hand"
    assert row.status == InboundEmail.Status.PROCESSED
    assert imap_server.count(criteria="UNSEEN") == 0


def test_held_mail_can_be_dismissed_without_making_a_ticket(admin_client):
    row, _created = inbound_email_store(mailbox=MailboxFactory(), raw=raw_mail(), source="pipe", is_spam=True)
    inbound_email_process(inbound_email=row)
    row.refresh_from_db()
    assert row.status == InboundEmail.Status.HELD

    admin_client.post(
        reverse("admin:channels_intake_inboundemail_changelist"),
        {"action": "dismiss", "_selected_action": [row.pk]},
    )

    row.refresh_from_db()
    assert row.status == InboundEmail.Status.IGNORED
    assert row.outcome.startswith("Dismissed by")
    assert row.ticket is None
