"""manage.py ingest_email: the pipe a mail server delivers into, with exit codes it understands."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command

from channels_intake.models import InboundEmail
from tests.email.mails import raw_mail
from tests.factories import MailboxFactory
from tickets.models import Ticket

ROOT = Path(__file__).resolve().parents[2]


class _Stdin:
    def __init__(self, data: bytes) -> None:
        self.buffer = io.BytesIO(data)


def pipe(monkeypatch, raw: bytes, *args: str) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "stdin", _Stdin(raw))
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("ingest_email", *args, stdout=out, stderr=err)
    except SystemExit as exit_:
        return int(exit_.code or 0), out.getvalue(), err.getvalue()
    return 0, out.getvalue(), err.getvalue()


@pytest.mark.django_db
def test_a_piped_message_becomes_a_ticket(monkeypatch):
    MailboxFactory(name="support0")

    code, out, _err = pipe(monkeypatch, raw_mail(subject="Piped in"), "--mailbox", "support0")

    assert code == 0
    assert "processed" in out
    assert Ticket.objects.get().subject == "Piped in"


@pytest.mark.django_db
def test_piping_the_same_message_again_is_harmless(monkeypatch):
    MailboxFactory(name="support0")
    raw = raw_mail(message_id="<once@example.com>")
    pipe(monkeypatch, raw, "--mailbox", "support0")

    code, out, _err = pipe(monkeypatch, raw, "--mailbox", "support0")

    assert code == 0
    assert "duplicate" in out
    assert InboundEmail.objects.count() == 1


@pytest.mark.django_db
def test_an_unknown_mailbox_is_a_temporary_failure_so_the_mail_server_keeps_the_mail(monkeypatch):
    code, _out, err = pipe(monkeypatch, raw_mail(), "--mailbox", "nope")
    assert code == 75
    assert "no active mailbox named 'nope'" in err
    assert not InboundEmail.objects.exists()


@pytest.mark.django_db
def test_empty_input_is_a_data_error(monkeypatch):
    MailboxFactory(name="support0")
    code, _out, err = pipe(monkeypatch, b"  \n", "--mailbox", "support0")
    assert code == 65
    assert "no message" in err


@pytest.mark.django_db
def test_an_unparseable_message_is_delivered_into_quarantine(monkeypatch):
    MailboxFactory(name="support0")
    code, _out, _err = pipe(monkeypatch, b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600), "--mailbox", "support0")
    assert code == 0
    assert InboundEmail.objects.get().status == InboundEmail.Status.QUARANTINED


def test_an_unreachable_database_exits_75_for_the_mail_server_to_retry(tmp_path):
    # A real process against a PostgreSQL port where nothing listens.
    env = {
        **os.environ,
        "DATABASE_URL": "postgres://postgres@127.0.0.1:9/nowhere",
        "DEBUG": "false",
        "SECRET_KEY": "test-not-secret",
        "HELPDESK_VAR_DIR": str(tmp_path),
    }
    env.pop("REDIS_URL", None)
    result = subprocess.run(
        [sys.executable, "manage.py", "ingest_email", "--mailbox", "support0"],
        input=raw_mail(),
        cwd=ROOT,
        env=env,
        capture_output=True,
        timeout=60,
    )
    assert result.returncode == 75, result.stderr.decode()[-2000:]
    assert b"database unreachable" in result.stderr
