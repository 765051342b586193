"""Pipe delivery from a mail server: `manage.py ingest_email --mailbox NAME < message.eml`.

Exit codes follow sysexits.h, which mail servers understand: 0 delivered, 75 (EX_TEMPFAIL) try
again later (the database is unreachable, the mailbox is unknown or not active yet), 65 (EX_DATAERR)
no input at all. A message that cannot be parsed is still delivered (exit 0): it is kept in
quarantine for an admin, so the mail server does not keep retrying it.
"""

from __future__ import annotations

import sys

from django.core.management.base import BaseCommand, CommandParser
from django.db import DatabaseError, InterfaceError, OperationalError

from channels_intake.email.processing import inbound_email_process
from channels_intake.email.store import inbound_email_receive, inbound_email_store
from channels_intake.models import InboundEmail, Mailbox

EX_DATAERR = 65
EX_TEMPFAIL = 75
# A mail server pipes one message; anything far beyond this is not an email.
MAX_INPUT_BYTES = 200 * 1024 * 1024


class Command(BaseCommand):
    help = "Read one email from standard input and add it to the helpdesk (for a mail server's pipe delivery)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--mailbox", required=True, help="The mailbox's name (see the admin: Mailboxes).")
        parser.add_argument(
            "--background",
            action="store_true",
            help="Only store the message and leave the processing to a worker (default: process now).",
        )

    def handle(self, *args: object, **options: object) -> None:
        raw = sys.stdin.buffer.read(MAX_INPUT_BYTES + 1)
        if not raw.strip():
            self.stderr.write("ingest_email: no message on standard input")
            sys.exit(EX_DATAERR)
        if len(raw) > MAX_INPUT_BYTES:
            self.stderr.write(f"ingest_email: the message is larger than {MAX_INPUT_BYTES} bytes")
            sys.exit(EX_DATAERR)
        name = str(options["mailbox"])
        try:
            mailbox = Mailbox.objects.filter(name=name, is_active=True).first()
            if mailbox is None:
                # Temporary on purpose: the mail server keeps the message until the admin adds the mailbox.
                self.stderr.write(f"ingest_email: no active mailbox named {name!r}")
                sys.exit(EX_TEMPFAIL)
            if options["background"]:
                row, created = inbound_email_receive(mailbox=mailbox, raw=raw, source=InboundEmail.Source.PIPE)
            else:
                row, created = inbound_email_store(mailbox=mailbox, raw=raw, source=InboundEmail.Source.PIPE)
        except (OperationalError, InterfaceError) as error:
            self.stderr.write(f"ingest_email: database unreachable, try again later: {error}")
            sys.exit(EX_TEMPFAIL)
        if not created:
            self.stdout.write(f"duplicate of inbound email {row.pk}: {row.get_status_display()}")
            return
        if options["background"]:
            self.stdout.write(f"stored as inbound email {row.pk}; a worker will process it")
            return
        try:
            status = inbound_email_process(inbound_email=row)
        except DatabaseError as error:
            # Stored safely; a worker's sweep processes it when the database is back.
            self.stderr.write(f"ingest_email: stored as inbound email {row.pk}, processing deferred: {error}")
            return
        row.refresh_from_db()
        self.stdout.write(f"inbound email {row.pk}: {status}: {row.outcome.splitlines()[0] if row.outcome else ''}")
