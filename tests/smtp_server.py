"""A real SMTP server (aiosmtpd) for tests that send mail, and settings pointing Django's SMTP backend at it.

    def test_it_sends(smtp_settings, smtp_server):
        ...  # send through Django
        assert smtp_server.messages[0]["Subject"] == "..."

The server can refuse recipients (`refuse_recipients`, e.g. 550) or fail the next DATA commands
temporarily (`fail_data`, e.g. 451). Registered in tests/conftest.py through pytest_plugins.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from typing import Any

import pytest


def unused_port() -> int:
    """A local TCP port nothing listens on (the OS picked it free a moment ago)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass(frozen=True)
class Received:
    """One accepted SMTP transaction: the envelope and the message bytes exactly as they arrived."""

    mail_from: str
    rcpt_tos: list[str]
    raw: bytes

    def parsed(self) -> EmailMessage:
        # SMTP carries CRLF line ends; parsed as local text, the parts read like what was sent.
        message = BytesParser(policy=policy.default).parsebytes(self.raw.replace(b"\r\n", b"\n"))
        assert isinstance(message, EmailMessage)
        return message


@dataclass
class _Handler:
    received: list[Received] = field(default_factory=list)
    # address (lower case) or "*" -> the reply to RCPT TO, e.g. "550 5.1.1 No such user"
    rcpt_replies: dict[str, str] = field(default_factory=dict)
    data_failures: list[str] = field(default_factory=list)
    data_attempts: int = 0

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list) -> str:
        reply = self.rcpt_replies.get(address.lower()) or self.rcpt_replies.get("*")
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.data_attempts += 1
        if self.data_failures:
            return self.data_failures.pop(0)
        self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), bytes(envelope.original_content)))
        return "250 Message accepted for delivery"


class SMTPServer:
    """An aiosmtpd server on 127.0.0.1 in a background thread, with what it received."""

    def __init__(self) -> None:
        from aiosmtpd.controller import Controller

        self.host = "127.0.0.1"
        self.port = unused_port()
        self._handler = _Handler()
        self._controller = Controller(self._handler, hostname=self.host, port=self.port)

    def start(self) -> None:
        self._controller.start()

    def stop(self) -> None:
        self._controller.stop()

    @property
    def received(self) -> list[Received]:
        return list(self._handler.received)

    @property
    def messages(self) -> list[EmailMessage]:
        return [item.parsed() for item in self._handler.received]

    @property
    def data_attempts(self) -> int:
        """How many times a client got as far as DATA (accepted or failed)."""
        return self._handler.data_attempts

    def refuse_recipients(self, reply: str = "550 5.1.1 No such user here", addresses: list[str] | None = None) -> None:
        """Answer RCPT TO with `reply` for these addresses (all when None)."""
        for address in addresses or ["*"]:
            self._handler.rcpt_replies[address.lower()] = reply

    def fail_data(self, reply: str = "451 4.3.0 Try again later", times: int = 1) -> None:
        """Answer the next `times` DATA commands with `reply` instead of accepting the message."""
        self._handler.data_failures.extend([reply] * times)


@pytest.fixture
def smtp_server():
    try:
        import aiosmtpd  # noqa: F401
    except ImportError:
        from tests.parts import missing

        missing("aiosmtpd is not installed (pip install -e '.[test]')")
    server = SMTPServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def smtp_settings(settings, smtp_server):
    """Django sends through its SMTP backend to `smtp_server`, in plain text on localhost."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = smtp_server.host
    settings.EMAIL_PORT = smtp_server.port
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 5
    return settings
