"""`make demo` runs background work with no broker: a real worker reads the folder queue."""

import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _run(args: list[str], env: dict, timeout: int = 120) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603 - our own interpreter and manage.py
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout
    )


def test_a_task_enqueued_by_the_web_side_is_done_by_the_demo_worker(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL"}}
    env.update({"DEBUG": "true", "HELPDESK_VAR_DIR": str(tmp_path), "HELPDESK_AUTO_CLOSE_DAYS": "1"})
    assert _run(["manage.py", "migrate", "--noinput", "-v0"], env).returncode == 0

    # A ticket solved three days ago: the close task must close it.
    make_ticket = (
        "from datetime import timedelta; from django.utils import timezone; from tickets import services; "
        "c = services.customer_create(name='A'); "
        "t = services.ticket_create(customer=c, subject='s', channel='email', body_text='b'); "
        "services.ticket_change_status(ticket=t, status='solved', at=timezone.now() - timedelta(days=3)); print(t.pk)"
    )
    created = _run(["manage.py", "shell", "-c", make_ticket], env)
    assert created.returncode == 0, created.stderr
    ticket_id = created.stdout.strip().splitlines()[-1]

    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "helpdesk", "worker", "--concurrency", "1", "--loglevel", "INFO"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        enqueue = _run(
            ["manage.py", "shell", "-c", "from tickets.tasks import close_solved_tickets as t; t.delay()"], env
        )
        assert enqueue.returncode == 0, enqueue.stderr
        status = ""
        deadline = time.monotonic() + 60
        read_status = f"from tickets.models import Ticket; print(Ticket.objects.get(pk={ticket_id}).status)"
        while time.monotonic() < deadline:
            status = _run(["manage.py", "shell", "-c", read_status], env).stdout.strip().splitlines()[-1]
            if status == "closed":
                break
            time.sleep(1)
        assert status == "closed"
        assert not (ROOT / "control").exists(), "the folder queue must keep its files under HELPDESK_VAR_DIR"
    finally:
        worker.terminate()
        worker.wait(timeout=30)


def test_mail_piped_in_the_background_is_processed_and_answered_by_the_demo_worker(tmp_path):
    outbox = tmp_path / "sent-mail"
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL"}}
    env.update(
        {"DEBUG": "true", "HELPDESK_VAR_DIR": str(tmp_path), "EMAIL_URL": f"filemail:///{outbox}"}
    )  # the path is absolute
    assert _run(["manage.py", "migrate", "--noinput", "-v0"], env).returncode == 0
    make_mailbox = (
        "from channels_intake.models import Mailbox; "
        "Mailbox.objects.create(name='support', email_address='support@helpdesk.example')"
    )
    assert _run(["manage.py", "shell", "-c", make_mailbox], env).returncode == 0

    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "helpdesk", "worker", "--concurrency", "1", "--loglevel", "INFO"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        piped = subprocess.run(
            [sys.executable, "manage.py", "ingest_email", "--mailbox", "support", "--background"],
            cwd=ROOT,
            env=env,
            input=(ROOT / "channels_intake" / "demo" / "first-mail.eml").read_bytes(),
            capture_output=True,
            timeout=120,
        )
        assert piped.returncode == 0, piped.stderr
        assert b"a worker will process it" in piped.stdout

        sent: list[Path] = []
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not sent:
            sent = list(outbox.glob("*.log")) if outbox.exists() else []
            time.sleep(1)
        assert sent, "the worker sent no acknowledgement"
        mail = sent[0].read_text()
        assert "Auto-Submitted: auto-replied" in mail
        assert "Subject: Re: [#1] My order 4711 has not arrived" in mail
        assert "In-Reply-To: <demo-first-mail-4711@example.com>" in mail
    finally:
        worker.terminate()
        worker.wait(timeout=30)
