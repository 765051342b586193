"""Email ingestion throughput for `manage.py bench`: raw files in, tickets out, in this one process."""

from __future__ import annotations

import random
import tempfile
import time
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

from django.utils import timezone

from channels_intake.email.processing import inbound_email_process
from channels_intake.email.store import inbound_email_store
from channels_intake.models import InboundEmail, Mailbox
from tickets.models import Attachment, Customer, Ticket

BENCH_MAILBOX = "bench-inbox"
BENCH_DOMAIN = "bench-mail.example"

_SUBJECTS = [
    "Order not delivered",
    "سفارش من هنوز نرسیده است",
    "لم يصل طلبي بعد",
    "Refund request",
    "Cannot log in",
    "Invoice question",
]
_BODIES = [
    "Hello,\n\nmy order {n} has not arrived yet. Could you check?\n\nThanks,\nCustomer {s}",
    "سلام،\nسفارش شماره {n} هنوز به دستم نرسیده. لطفا پیگیری کنید.\nممنون",
    "مرحبا،\nلم يصل طلبي رقم {n} حتى الآن. أرجو المساعدة.\nشكرا",
]


@dataclass
class IngestFigures:
    messages: int
    seconds: float
    tickets: int

    @property
    def per_second(self) -> float:
        return self.messages / self.seconds if self.seconds else 0.0


def _write_corpus(folder: Path, count: int, seed: int) -> list[Path]:
    """`count` .eml files: mostly first mails from a few thousand senders, a quarter replies to them,
    some with HTML and an attachment, in the three interface languages."""
    rng = random.Random(seed)  # noqa: S311 - repeatable test data, not security
    senders = max(1, count // 5)
    sent: list[tuple[int, str]] = []  # (sender, Message-ID) of first mails, for replies
    paths = []
    for n in range(count):
        message = EmailMessage()
        reply_to = sent[rng.randrange(len(sent))] if sent and rng.random() < 0.25 else None
        sender = reply_to[0] if reply_to else rng.randrange(senders)
        message["From"] = f"Customer {sender} <customer{sender}@{BENCH_DOMAIN}>"
        message["To"] = f"{BENCH_MAILBOX}@help.{BENCH_DOMAIN}"
        message["Subject"] = ("Re: " if reply_to else "") + rng.choice(_SUBJECTS)
        message["Date"] = format_datetime(timezone.now())
        message_id = f"bench-{seed}-{n}@{BENCH_DOMAIN}"
        message["Message-ID"] = f"<{message_id}>"
        if reply_to:
            message["In-Reply-To"] = f"<{reply_to[1]}>"
        body = rng.choice(_BODIES).format(n=n, s=sender)
        if reply_to:
            body = "Any news?\n\nOn Monday, Support wrote:\n> We are checking.\n> " + body.replace("\n", "\n> ")
        message.set_content(body)
        if rng.random() < 0.3:
            message.add_alternative(f"<p>{body.replace(chr(10), '<br>')}</p>", subtype="html")
        if rng.random() < 0.1:
            message.add_attachment(rng.randbytes(20_000), maintype="application", subtype="pdf", filename=f"doc{n}.pdf")
        path = folder / f"{n:06d}.eml"
        path.write_bytes(message.as_bytes())
        paths.append(path)
        if not reply_to:
            sent.append((sender, message_id))
    return paths


def email_ingest_bench(*, count: int, seed: int = 7) -> IngestFigures:
    """Store and process `count` generated emails one by one, as one worker does, then remove what they made."""
    mailbox, _created = Mailbox.objects.get_or_create(
        name=BENCH_MAILBOX,
        defaults={
            "email_address": f"{BENCH_MAILBOX}@help.{BENCH_DOMAIN}",
            # No acknowledgements (they would queue real outgoing mail) and no sender limit.
            "send_acknowledgement": False,
            "hourly_sender_limit": 0,
            "is_active": False,
        },
    )
    _remove(mailbox)
    with tempfile.TemporaryDirectory(prefix="helpdesk-bench-mail-") as folder:
        paths = _write_corpus(Path(folder), count, seed)
        started = time.perf_counter()
        for path in paths:
            row, _created = inbound_email_store(mailbox=mailbox, raw=path.read_bytes(), source=InboundEmail.Source.PIPE)
            inbound_email_process(inbound_email=row)
        seconds = time.perf_counter() - started
    tickets = Ticket.objects.filter(customer__identities__value__endswith=f"@{BENCH_DOMAIN}").count()
    _remove(mailbox)
    return IngestFigures(messages=count, seconds=seconds, tickets=tickets)


def _remove(mailbox: Mailbox) -> None:
    bench_customers = Customer.objects.filter(identities__value__endswith=f"@{BENCH_DOMAIN}")
    bench_tickets = Ticket.objects.filter(customer__in=bench_customers)
    for attachment in Attachment.objects.filter(message__ticket__in=bench_tickets).iterator():
        # Files are shared by content; keep one that a real ticket's attachment also uses.
        shared = Attachment.objects.filter(file=attachment.file.name).exclude(message__ticket__in=bench_tickets)
        if not shared.exists():
            attachment.file.delete(save=False)
    bench_tickets.delete()
    InboundEmail.objects.filter(mailbox=mailbox).delete()
    bench_customers.delete()
