"""Unit tests for machine-mail classification on hand-made messages (no corpus, no database)."""

from __future__ import annotations

import time
from email import policy
from email.parser import BytesParser

import pytest

from channels_intake.email.classify import classify_message


def _classify(raw: str | bytes):
    data = raw.encode() if isinstance(raw, str) else raw
    return classify_message(BytesParser(policy=policy.default).parsebytes(data))


PERSON = (
    "From: Ann <ann@example.com>\nTo: help@example.org\nSubject: {subject}\n{extra}\nHello, my printer is broken.\n"
)


@pytest.mark.parametrize(
    ("extra", "subject", "kind"),
    [
        ("", "Printer", "none"),
        ("Auto-Submitted: no\n", "Printer", "none"),
        ("X-Auto-Response-Suppress: All\n", "Printer", "none"),  # Exchange adds it to ordinary mail
        ("Auto-Submitted: auto-replied\n", "Printer", "auto-reply"),
        ("Auto-Submitted: auto-generated; owner-email=x@y\n", "Printer", "auto-reply"),
        ("X-Autoreply: yes\n", "Printer", "auto-reply"),
        ("X-Autorespond: Printer\n", "Printer", "auto-reply"),
        ("Precedence: auto_reply\n", "Printer", "auto-reply"),
        ("Precedence: bulk\n", "Printer", "bulk"),
        ("Precedence: junk\n", "Printer", "bulk"),
        ("Precedence: list\n", "Printer", "bulk"),
        ("List-Id: <news.example.com>\n", "Printer", "bulk"),
        ("", "Out of Office: back Monday", "auto-reply"),
        ("", "Automatic reply: Printer", "auto-reply"),
        ("", "Abwesenheitsnotiz: Drucker", "auto-reply"),
        ("", "Réponse automatique : Imprimante", "auto-reply"),
        ("", "Re: out of office hours support?", "none"),  # only a prefix counts
        ("", "Undelivered parcel, please help", "none"),  # a person, not a mail system
    ],
)
def test_header_signals(extra: str, subject: str, kind: str) -> None:
    assert _classify(PERSON.format(extra=extra, subject=subject)).auto == kind


DSN = """From: MAILER-DAEMON@mx.example.org (Mail Delivery System)
To: help@example.org
Subject: Undelivered Mail Returned to Sender
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="B"

--B
Content-Type: text/plain

I'm sorry to have to inform you that your message could not be delivered.

--B
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.org

Final-Recipient: rfc822; gone@example.net
Original-Recipient: rfc822;gone@example.net
Action: {action}
Status: {status}
Diagnostic-Code: smtp; {diag}

--B
Content-Type: message/rfc822

Message-ID: <ticket-42.abc@help.example.org>
From: help@example.org
To: gone@example.net
Subject: [#42] Your printer

Hello
--B--
"""


def test_standard_dsn_bounce() -> None:
    result = _classify(DSN.format(action="failed", status="5.0.0", diag="550 5.1.1 <gone@example.net>: User unknown"))
    assert result.auto == "bounce"
    assert result.bounce is not None
    assert result.bounce.status == "5.1.1"  # the server's own code beats the generic 5.0.0
    assert result.bounce.recipients == ["gone@example.net"]
    assert result.bounce.original_message_id == "ticket-42.abc@help.example.org"
    assert "User unknown" in result.bounce.diagnostic


def test_positive_dsn() -> None:
    result = _classify(DSN.format(action="delivered", status="2.0.0", diag="250 2.0.0 Ok"))
    assert result.auto == "dsn-delivered"


def test_dsn_crlf_same_as_lf() -> None:
    raw = DSN.format(action="failed", status="5.2.2", diag="552 5.2.2 Mailbox full")
    assert _classify(raw) == _classify(raw.replace("\n", "\r\n"))


def test_dsn_with_rfc822_headers_part() -> None:
    raw = DSN.format(action="failed", status="5.1.1", diag="x").replace(
        "Content-Type: message/rfc822", "Content-Type: text/rfc822-headers"
    )
    assert _classify(raw).bounce.original_message_id == "ticket-42.abc@help.example.org"


def test_plain_text_exim_bounce() -> None:
    raw = """From: Mail Delivery System <Mailer-Daemon@mx.example.org>
To: help@example.org
Subject: Mail delivery failed: returning message to sender
X-Failed-Recipients: gone@example.net

This message was created automatically by mail delivery software.

A message that you sent could not be delivered to one or more of its
recipients. This is a permanent error. The following address(es) failed:

  gone@example.net
    SMTP error from remote mail server after RCPT TO:<gone@example.net>:
    550 5.1.1 User unknown

------ This is a copy of the message, including all the headers. ------

Message-ID: <ticket-7.x@help.example.org>
Subject: [#7] Hello
"""
    result = _classify(raw)
    assert result.auto == "bounce"
    assert result.bounce.recipients == ["gone@example.net"]
    assert result.bounce.status == "5.1.1"
    assert result.bounce.original_message_id == "ticket-7.x@help.example.org"


def test_qmail_bounce_without_headers_signal() -> None:
    raw = """From: MAILER-DAEMON@mx.example.org
To: help@example.org
Subject: failure notice

Hi. This is the qmail-send program at mx.example.org.
I'm afraid I wasn't able to deliver your message to the following addresses.

<gone@example.net>:
Remote host said: 550 no such user (#5.1.1)

--- Below this line is a copy of the message.

Message-ID: <m1@help.example.org>
"""
    result = _classify(raw)
    assert result.auto == "bounce"
    assert result.bounce.recipients == ["gone@example.net"]
    assert result.bounce.status == "5.1.1"


def test_person_forwarding_a_question_about_a_bounce_is_a_person() -> None:
    raw = PERSON.format(extra="", subject="Your mail to me bounced?").replace(
        "Hello, my printer is broken.", "Your message could not be delivered, says my server. User unknown?"
    )
    assert _classify(raw).auto == "none"


def test_arf_and_mdn() -> None:
    arf = DSN.replace("delivery-status", "feedback-report").replace(
        "message/feedback-report", "message/feedback-report"
    )
    assert _classify(arf.format(action="x", status="x", diag="x")).auto == "complaint"
    mdn = DSN.replace("report-type=delivery-status", "report-type=disposition-notification")
    mdn = mdn.replace("message/delivery-status", "message/disposition-notification")
    assert _classify(mdn.format(action="x", status="x", diag="x")).auto == "mdn"


def test_ses_notification() -> None:
    raw = (
        "From: no-reply@sns.amazonaws.com\nTo: help@example.org\nSubject: AWS Notification Message\n\n"
        '{"notificationType":"Bounce","bounce":{"bouncedRecipients":[{"emailAddress":"gone@example.net",'
        '"status":"5.1.1","diagnosticCode":"smtp; 550 5.1.1 user unknown"}]}}\n'
    )
    result = _classify(raw)
    assert result.auto == "bounce" and result.bounce.recipients == ["gone@example.net"]
    assert result.bounce.status == "5.1.1"


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"\x00\xff\xfe garbage \x80\x81",
        b"Content-Type: multipart/report; report-type=delivery-status\n\nno boundary at all",
        b"Content-Type: message/delivery-status\n\n\n\n:::\nFinal-Recipient:\nStatus: 9.9.9.9.9",
        b"From: =?bogus?Q?x?= <>\nSubject: =?utf-8?B?!!!?=\nReturn-Path: <>\n\nundeliverable",
        b"Content-Type: text/plain; charset=no-such-charset\nFrom: MAILER-DAEMON\nSubject: failure\n\n\xff\xfe",
    ],
)
def test_odd_input_never_raises(raw: bytes) -> None:
    _classify(raw)  # must simply return


def test_large_adversarial_body_is_fast() -> None:
    body = ("a" * 60 + "@" + "b." * 30 + " 5.5." * 200 + "\n") * 2000
    raw = f"From: MAILER-DAEMON@x.org\nSubject: Undelivered Mail\nReturn-Path: <>\n\n{body}"
    started = time.perf_counter()
    result = _classify(raw)
    assert time.perf_counter() - started < 2.0
    assert result.auto == "bounce"
