"""Polling IMAP mailboxes against a real Dovecot (tests/imap_server.py): store first, then mark or move."""

from datetime import timedelta

import pytest
from django.utils import timezone

from channels_intake import tasks as intake_tasks
from channels_intake.email import imap
from channels_intake.email.imap import mailbox_poll
from channels_intake.email.imap_tasks import poll_due_mailboxes, poll_mailbox
from channels_intake.models import InboundEmail, Mailbox

# Commit ordering is the point here (acknowledge only committed mail), so the database really commits.
pytestmark = pytest.mark.django_db(transaction=True)


def _mail(n: int = 1, subject: str = "Printer on fire", body: str = "Please help.") -> bytes:
    return (
        f"From: Customer {n} <customer{n}@example.com>\r\n"
        f"To: support@helpdesk.test\r\n"
        f"Subject: {subject}\r\n"
        f"Message-ID: <imap-test-{n}@example.com>\r\n"
        f"Date: Mon, 3 Mar 2025 10:00:00 +0000\r\n"
        f"MIME-Version: 1.0\r\n"
        f"Content-Type: text/plain; charset=utf-8\r\n"
        f"Content-Transfer-Encoding: 8bit\r\n"
        f"\r\n"
        f"{body}\r\n"
    ).encode()


@pytest.fixture
def no_processing(monkeypatch):
    """Only the polling is under test: the stored rows are not turned into tickets."""
    monkeypatch.setattr(intake_tasks.process_inbound_email, "delay", lambda *args, **kwargs: None)


@pytest.mark.usefixtures("no_processing")
class TestMarkSeenMode:
    def test_it_stores_a_new_message_and_marks_it_seen(self, imap_server, imap_mailbox):
        raw = _mail()
        imap_server.append(raw)

        result = mailbox_poll(mailbox=imap_mailbox)

        assert (result.fetched, result.stored, result.duplicates, result.failed) == (1, 1, 0, 0)
        row = InboundEmail.objects.get()
        assert bytes(row.raw) == raw
        assert row.source == InboundEmail.Source.IMAP
        assert row.email_message_id == "imap-test-1@example.com"
        assert imap_server.flags() == [{r"\Seen"}]
        imap_mailbox.refresh_from_db()
        assert imap_mailbox.last_polled_at is not None
        assert imap_mailbox.last_poll_error == ""

    def test_polling_again_stores_nothing_new(self, imap_server, imap_mailbox):
        imap_server.append(_mail())
        mailbox_poll(mailbox=imap_mailbox)

        result = mailbox_poll(mailbox=imap_mailbox)

        assert result.fetched == 0
        assert InboundEmail.objects.count() == 1

    def test_the_same_message_delivered_twice_is_stored_once_and_both_copies_are_marked(
        self, imap_server, imap_mailbox
    ):
        imap_server.append(_mail())
        imap_server.append(_mail())

        result = mailbox_poll(mailbox=imap_mailbox)

        assert (result.stored, result.duplicates) == (1, 1)
        assert InboundEmail.objects.count() == 1
        assert imap_server.count(criteria="UNSEEN") == 0

    def test_messages_already_read_in_the_mailbox_are_left_alone(self, imap_server, imap_mailbox):
        imap_server.append(_mail(1), flags=r"\Seen")
        imap_server.append(_mail(2))

        mailbox_poll(mailbox=imap_mailbox)

        assert list(InboundEmail.objects.values_list("email_message_id", flat=True)) == ["imap-test-2@example.com"]

    def test_a_message_whose_store_fails_stays_unseen_and_the_next_poll_stores_it(
        self, imap_server, imap_mailbox, monkeypatch
    ):
        imap_server.append(_mail(1))
        imap_server.append(_mail(2))
        real_receive = imap.inbound_email_receive

        def flaky_receive(**kwargs):
            if b"imap-test-1@" in kwargs["raw"]:
                raise ValueError("disk full")
            return real_receive(**kwargs)

        monkeypatch.setattr(imap, "inbound_email_receive", flaky_receive)
        result = mailbox_poll(mailbox=imap_mailbox)

        assert (result.stored, result.failed) == (1, 1)
        assert imap_server.flags() == [set(), {r"\Seen"}]
        imap_mailbox.refresh_from_db()
        assert "could not be stored" in imap_mailbox.last_poll_error

        monkeypatch.setattr(imap, "inbound_email_receive", real_receive)
        result = mailbox_poll(mailbox=imap_mailbox)

        assert (result.stored, result.failed) == (1, 0)
        assert InboundEmail.objects.count() == 2
        assert imap_server.count(criteria="UNSEEN") == 0
        imap_mailbox.refresh_from_db()
        assert imap_mailbox.last_poll_error == ""

    def test_the_limit_bounds_one_poll_and_takes_the_oldest_first(self, imap_server, imap_mailbox):
        for n in range(1, 6):
            imap_server.append(_mail(n))

        first = mailbox_poll(mailbox=imap_mailbox, limit=2)

        assert first.stored == 2
        assert set(InboundEmail.objects.values_list("email_message_id", flat=True)) == {
            "imap-test-1@example.com",
            "imap-test-2@example.com",
        }
        assert imap_server.count(criteria="UNSEEN") == 3
        assert mailbox_poll(mailbox=imap_mailbox, limit=2).stored == 2
        assert mailbox_poll(mailbox=imap_mailbox, limit=2).stored == 1
        assert InboundEmail.objects.count() == 5

    def test_persian_mail_survives_byte_for_byte(self, imap_server, imap_mailbox):
        raw = _mail(subject="=?utf-8?b?2obYp9m+2q/YsSDYrtin2YXZiNi0INin2LPYqg==?=", body="سلام، چاپگر کار نمی‌کند.")
        raw_1256 = (
            b"From: =?windows-1256?b?5+HT5Q==?= <a@example.ir>\r\nSubject: test\r\n"
            b"Message-ID: <cp1256@example.ir>\r\nContent-Type: text/plain; charset=windows-1256\r\n"
            b"Content-Transfer-Encoding: 8bit\r\n\r\n" + "سلام دنيا".encode("cp1256") + b"\r\n"
        )
        imap_server.append(raw)
        imap_server.append(raw_1256)

        mailbox_poll(mailbox=imap_mailbox)

        stored = {row.email_message_id: bytes(row.raw) for row in InboundEmail.objects.all()}
        assert stored == {"imap-test-1@example.com": raw, "cp1256@example.ir": raw_1256}


@pytest.mark.usefixtures("no_processing")
class TestMoveMode:
    @pytest.mark.parametrize("folder", ["Processed", "Done mail/بایگانی"])
    def test_it_moves_stored_messages_to_the_target_folder_creating_it(self, imap_server, imap_mailbox, folder):
        imap_mailbox.after_import = Mailbox.AfterImport.MOVE
        imap_mailbox.move_to_folder = folder
        imap_mailbox.save(update_fields=["after_import", "move_to_folder"])
        # Move mode takes what is in the folder, read or not.
        imap_server.append(_mail(1), flags=r"\Seen")
        imap_server.append(_mail(2))

        result = mailbox_poll(mailbox=imap_mailbox)

        assert result.stored == 2
        assert imap_server.count("INBOX") == 0
        assert len(imap_server.folders()) == (3 if "/" in folder else 2)
        moved_folder = next(name for name in imap_server.folders() if name not in ("INBOX", "Done mail"))
        assert imap_server.count(moved_folder) == 2
        # Polling again finds nothing, and the moved copies are untouched.
        assert mailbox_poll(mailbox=imap_mailbox).fetched == 0
        assert imap_server.count(moved_folder) == 2

    def test_it_moves_without_the_move_extension_too(self, imap_server, imap_mailbox, monkeypatch):
        imap_mailbox.after_import = Mailbox.AfterImport.MOVE
        imap_mailbox.save(update_fields=["after_import"])
        real = imap._capabilities
        monkeypatch.setattr(imap, "_capabilities", lambda conn: real(conn) - {"MOVE"})
        imap_server.append(_mail(1))
        imap_server.append(_mail(2))
        # Someone else's deleted message must survive: UID EXPUNGE only removes ours.
        imap_server.append(_mail(3), flags=r"\Deleted")

        mailbox_poll(mailbox=imap_mailbox)

        assert InboundEmail.objects.count() == 2
        assert imap_server.count("Processed") == 2
        assert imap_server.count("INBOX") == 1


@pytest.mark.usefixtures("no_processing")
class TestFailures:
    def test_a_wrong_password_is_reported_clearly_without_the_password(self, imap_server, imap_mailbox):
        imap_mailbox.imap_password = "wrong-Pa55word"
        imap_mailbox.save(update_fields=["imap_password"])
        imap_server.append(_mail())

        outcome = poll_mailbox.delay(imap_mailbox.pk).get()

        imap_mailbox.refresh_from_db()
        assert "refused the login" in imap_mailbox.last_poll_error
        assert imap_server.user in imap_mailbox.last_poll_error
        assert "wrong-Pa55word" not in imap_mailbox.last_poll_error
        assert "wrong-Pa55word" not in outcome
        assert imap_mailbox.last_polled_at is not None
        assert InboundEmail.objects.count() == 0
        assert imap_server.count(criteria="UNSEEN") == 1

    def test_an_unreachable_server_is_reported(self, imap_mailbox):
        imap_mailbox.imap_port = 1  # nothing listens there
        imap_mailbox.save(update_fields=["imap_port"])

        result = mailbox_poll(mailbox=imap_mailbox)

        assert "Connection refused by 127.0.0.1:1" in result.error

    @pytest.mark.parametrize(
        ("security", "message"),
        [(Mailbox.Security.STARTTLS, "does not offer STARTTLS"), (Mailbox.Security.SSL, "TLS with 127.0.0.1")],
    )
    def test_tls_settings_the_server_cannot_meet_are_reported(self, imap_mailbox, security, message):
        # The test server speaks plain IMAP only, so asking for TLS must fail clearly, never fall back.
        imap_mailbox.imap_security = security
        imap_mailbox.save(update_fields=["imap_security"])

        result = mailbox_poll(mailbox=imap_mailbox)

        assert message in result.error

    def test_a_missing_folder_is_reported(self, imap_mailbox):
        imap_mailbox.imap_folder = "Nope"
        imap_mailbox.save(update_fields=["imap_folder"])

        result = mailbox_poll(mailbox=imap_mailbox)

        assert "Cannot open the folder 'Nope'" in result.error

    def test_it_refuses_to_run_inside_a_transaction(self, imap_mailbox):
        from django.db import transaction

        with transaction.atomic(), pytest.raises(RuntimeError, match="outside a transaction"):
            mailbox_poll(mailbox=imap_mailbox)


@pytest.mark.usefixtures("no_processing")
class TestTasks:
    def test_a_poll_is_skipped_while_another_poll_of_the_mailbox_runs(self, imap_server, imap_mailbox):
        from django.core.cache import cache

        from channels_intake.email.imap_tasks import _lock_key

        imap_server.append(_mail())
        cache.add(_lock_key(imap_mailbox.pk), "someone-else", timeout=60)

        assert poll_mailbox.delay(imap_mailbox.pk).get() == "busy"
        assert InboundEmail.objects.count() == 0

        cache.delete(_lock_key(imap_mailbox.pk))
        assert "stored=1" in poll_mailbox.delay(imap_mailbox.pk).get()
        assert cache.get(_lock_key(imap_mailbox.pk)) is None

    def test_inactive_mailboxes_are_not_polled(self, imap_server, imap_mailbox):
        imap_mailbox.is_active = False
        imap_mailbox.save(update_fields=["is_active"])

        assert poll_mailbox.delay(imap_mailbox.pk).get() == "skipped"

    def test_only_due_mailboxes_are_polled(self, imap_server, imap_mailbox, monkeypatch):
        now = timezone.now()
        imap_mailbox.last_polled_at = now - timedelta(seconds=61)
        imap_mailbox.save(update_fields=["last_polled_at"])
        fresh = Mailbox.objects.create(
            name="fresh",
            email_address="fresh@helpdesk.test",
            imap_host="127.0.0.1",
            imap_username="x",
            last_polled_at=now - timedelta(seconds=10),
        )
        never = Mailbox.objects.create(
            name="never", email_address="never@helpdesk.test", imap_host="127.0.0.1", imap_username="x"
        )
        Mailbox.objects.create(name="webhook-only", email_address="hook@helpdesk.test")
        Mailbox.objects.create(
            name="off", email_address="off@helpdesk.test", imap_host="127.0.0.1", imap_username="x", is_active=False
        )
        polled = []
        monkeypatch.setattr(poll_mailbox, "delay", polled.append)

        assert poll_due_mailboxes.delay().get() == 2

        assert sorted(polled) == sorted([imap_mailbox.pk, never.pk])
        assert fresh.pk not in polled

    def test_the_beat_schedule_runs_the_due_check_often(self):
        from helpdesk.celery import app
        from helpdesk.schedules import BEAT_SCHEDULE

        app.loader.import_default_modules()
        entry = next(e for e in BEAT_SCHEDULE.values() if e["task"].endswith("poll_due_mailboxes"))
        assert entry["task"] in app.tasks
        assert entry["schedule"] <= 15


def test_a_polled_message_becomes_a_ticket(imap_server, imap_mailbox):
    """The full path with the real processing task (eager Celery, run on commit)."""
    from tickets.models import Ticket

    imap_server.append(_mail(subject="Cannot log in", body="My password stopped working."))

    poll_mailbox.delay(imap_mailbox.pk).get()

    row = InboundEmail.objects.get()
    assert imap_server.count(criteria="UNSEEN") == 0
    assert row.status == InboundEmail.Status.PROCESSED, row.outcome
    ticket = Ticket.objects.get()
    assert ticket.subject == "Cannot log in"


@pytest.mark.parametrize(
    ("name", "encoded"),
    [
        ("INBOX", '"INBOX"'),
        ("Entwürfe", '"Entw&APw-rfe"'),
        ("台北", '"&U,BTFw-"'),
        ('R&D "x"', '"R&-D \\"x\\""'),
    ],
)
def test_folder_names_are_sent_in_modified_utf7(name, encoded):
    assert imap.imap_folder_name(name) == encoded
