"""Reading a mailbox over IMAP: fetch new messages, store each one raw, and only then mark or move it.

The order matters for "nothing is ever lost": a message is flagged \\Seen (or moved away) only after
`inbound_email_receive` has committed its row. A crash between the two leaves the message unread, so the
next poll fetches it again and the store recognises it as a duplicate.
"""

from __future__ import annotations

import base64
import contextlib
import imaplib
import logging
import socket
import ssl
from dataclasses import dataclass, field

from django.db import OperationalError, transaction
from django.utils import timezone

from channels_intake.email.store import inbound_email_receive
from channels_intake.models import InboundEmail, Mailbox

logger = logging.getLogger(__name__)

# Per socket operation; a server that stalls longer is reported, and the next poll tries again.
TIMEOUT_SECONDS = 30


@dataclass
class PollResult:
    fetched: int = 0
    stored: int = 0
    duplicates: int = 0
    failed: int = 0
    error: str = ""
    failed_uids: list[int] = field(default_factory=list)

    def __str__(self) -> str:
        text = f"fetched={self.fetched} stored={self.stored} duplicates={self.duplicates} failed={self.failed}"
        return f"{text} error={self.error}" if self.error else text


class ImapPollError(Exception):
    """A failure worth showing to whoever configured the mailbox, already phrased for them."""


def imap_folder_name(name: str) -> str:
    """A folder name as an IMAP quoted string in modified UTF-7 (RFC 3501 5.1.3), e.g. for Persian names.

    The result is plain ASCII, which is all imaplib sends.
    """
    out: list[str] = []
    pending: list[str] = []

    def flush() -> None:
        if pending:
            encoded = base64.b64encode("".join(pending).encode("utf-16-be")).rstrip(b"=").replace(b"/", b",")
            out.append("&" + encoded.decode("ascii") + "-")
            pending.clear()

    for char in name:
        if 0x20 <= ord(char) <= 0x7E:
            flush()
            out.append("&-" if char == "&" else char)
        else:
            pending.append(char)
    flush()
    text = "".join(out)
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _scrub(text: str, mailbox: Mailbox) -> str:
    # Servers and libraries sometimes echo what they were sent; the password must never reach a log or page.
    if mailbox.imap_password:
        text = text.replace(mailbox.imap_password, "***")
    return text


def _server_text(data: list) -> str:
    parts = [item.decode("utf-8", "replace") if isinstance(item, bytes) else str(item) for item in data if item]
    return " ".join(parts).strip() or "no reason given"


def _exc_text(exc: Exception) -> str:
    # imaplib raises with the server's bytes as the argument; show them as text, not as b'...'.
    return _server_text(list(exc.args)) if exc.args else type(exc).__name__


def _check(response: tuple[str, list], what: str) -> list:
    typ, data = response
    if typ != "OK":
        raise ImapPollError(f"{what} failed: {_server_text(data)}")
    return data


def _connect(mailbox: Mailbox) -> imaplib.IMAP4:
    host, port = mailbox.imap_host, mailbox.imap_port
    where = f"{host}:{port}"
    try:
        if mailbox.imap_security == Mailbox.Security.SSL:
            return imaplib.IMAP4_SSL(host, port, ssl_context=ssl.create_default_context(), timeout=TIMEOUT_SECONDS)
        conn = imaplib.IMAP4(host, port, timeout=TIMEOUT_SECONDS)
    except socket.gaierror as exc:
        raise ImapPollError(f"Cannot find the IMAP host {host!r}: {exc.strerror}") from exc
    except ConnectionRefusedError as exc:
        raise ImapPollError(f"Connection refused by {where}: is the port right and the server up?") from exc
    except TimeoutError as exc:
        raise ImapPollError(f"No answer from {where} within {TIMEOUT_SECONDS} seconds") from exc
    except ssl.SSLCertVerificationError as exc:
        raise ImapPollError(f"The TLS certificate of {where} is not valid: {exc.verify_message}") from exc
    except ssl.SSLError as exc:
        raise ImapPollError(f"TLS with {where} failed ({exc.reason}); is this port for TLS from the start?") from exc
    if mailbox.imap_security == Mailbox.Security.STARTTLS:
        if "STARTTLS" not in conn.capabilities:
            conn.shutdown()
            raise ImapPollError(f"{where} does not offer STARTTLS; choose another security setting")
        try:
            conn.starttls(ssl_context=ssl.create_default_context())
        except ssl.SSLCertVerificationError as exc:
            conn.shutdown()
            raise ImapPollError(f"The TLS certificate of {where} is not valid: {exc.verify_message}") from exc
    return conn


def _login(conn: imaplib.IMAP4, mailbox: Mailbox) -> None:
    user, password = mailbox.imap_username, mailbox.imap_password
    try:
        if user.isascii() and password.isascii():
            conn.login(user, password)
        else:
            # LOGIN only carries ASCII through imaplib; SASL PLAIN takes UTF-8 (RFC 4616).
            conn.authenticate("PLAIN", lambda _challenge: f"\0{user}\0{password}".encode())
    except imaplib.IMAP4.abort:
        raise
    except imaplib.IMAP4.error as exc:
        raise ImapPollError(f"The server refused the login of {user!r}: {_exc_text(exc)}") from exc


def _capabilities(conn: imaplib.IMAP4) -> set[str]:
    # Servers often announce more (MOVE, UIDPLUS) after login than in their greeting.
    data = _check(conn.capability(), "CAPABILITY")
    words = b" ".join(item for item in data if isinstance(item, bytes)).decode("ascii", "replace")
    return {word.upper() for word in words.split()}


def _uids_to_import(conn: imaplib.IMAP4, mailbox: Mailbox) -> list[int]:
    # Mark-seen mode takes what nobody has read; move mode takes everything still in the folder.
    criteria = "UNSEEN" if mailbox.after_import == Mailbox.AfterImport.MARK_SEEN else "UNDELETED"
    data = _check(conn.uid("SEARCH", criteria), "SEARCH")
    words = b" ".join(item for item in data if isinstance(item, bytes)).split()
    return sorted(int(word) for word in words if word.isdigit())


def _fetch(conn: imaplib.IMAP4, uid: int) -> bytes | None:
    """The message's exact bytes, without setting \\Seen; None when it vanished meanwhile."""
    data = _check(conn.uid("FETCH", str(uid), "(BODY.PEEK[])"), f"FETCH of UID {uid}")
    for item in data:
        if isinstance(item, tuple) and b"BODY[]" in item[0].upper():
            return item[1]
    return None


class _Acknowledger:
    """Marks or moves one stored message, creating the target folder the first time it is needed."""

    def __init__(self, conn: imaplib.IMAP4, mailbox: Mailbox, capabilities: set[str]) -> None:
        self.conn = conn
        self.mailbox = mailbox
        self.capabilities = capabilities
        self.target = imap_folder_name(mailbox.move_to_folder or "Processed")
        self.target_ready = False

    def __call__(self, uid: int) -> None:
        if self.mailbox.after_import == Mailbox.AfterImport.MARK_SEEN:
            _check(self.conn.uid("STORE", str(uid), "+FLAGS.SILENT", r"(\Seen)"), f"Marking UID {uid} as read")
            return
        self._ensure_target()
        if "MOVE" in self.capabilities:
            _check(self.conn.uid("MOVE", str(uid), self.target), f"Moving UID {uid}")
            return
        _check(self.conn.uid("COPY", str(uid), self.target), f"Copying UID {uid}")
        _check(self.conn.uid("STORE", str(uid), "+FLAGS.SILENT", r"(\Deleted)"), f"Deleting UID {uid}")
        if "UIDPLUS" in self.capabilities:
            # Expunges only this message, not whatever else someone flagged \Deleted in the folder.
            _check(self.conn.uid("EXPUNGE", str(uid)), f"Expunging UID {uid}")
        else:
            _check(self.conn.expunge(), "EXPUNGE")

    def _ensure_target(self) -> None:
        if self.target_ready:
            return
        typ, data = self.conn.list('""', self.target)
        if typ != "OK" or not any(data):
            _check(self.conn.create(self.target), f"Creating folder {self.mailbox.move_to_folder!r}")
            self.conn.subscribe(self.target)  # so mail clients show it
        self.target_ready = True


def _import(conn: imaplib.IMAP4, mailbox: Mailbox, limit: int, result: PollResult) -> None:
    _login(conn, mailbox)
    capabilities = _capabilities(conn)
    typ, data = conn.select(imap_folder_name(mailbox.imap_folder))
    if typ != "OK":
        raise ImapPollError(f"Cannot open the folder {mailbox.imap_folder!r}: {_server_text(data)}")
    acknowledge = _Acknowledger(conn, mailbox, capabilities)
    for uid in _uids_to_import(conn, mailbox)[:limit]:
        raw = _fetch(conn, uid)
        if raw is None:
            continue
        result.fetched += 1
        try:
            _row, created = inbound_email_receive(
                mailbox=mailbox,
                raw=raw,
                source=InboundEmail.Source.IMAP,
                source_detail=f"{mailbox.imap_folder} UID {uid}",
            )
        except OperationalError:
            raise  # the database is away: the task retries later, the message stays where it is
        except Exception:
            # Left unread/unmoved on purpose: the next poll tries it again.
            logger.exception("Storing IMAP UID %s of mailbox %s failed", uid, mailbox.name)
            result.failed += 1
            result.failed_uids.append(uid)
            continue
        if created:
            result.stored += 1
        else:
            result.duplicates += 1
        acknowledge(uid)


def mailbox_poll(*, mailbox: Mailbox, limit: int = 200) -> PollResult:
    """Import up to `limit` new messages of `mailbox` (oldest first) and record how the poll went.

    Must run outside any transaction: each message is acknowledged to the server only once its row is
    committed. IMAP and network failures are recorded in `mailbox.last_poll_error`, never raised;
    database outages (OperationalError) are raised so the task retries.
    """
    if not transaction.get_autocommit():
        raise RuntimeError("mailbox_poll must run outside a transaction: it acknowledges only committed mail")
    started = timezone.now()
    result = PollResult()
    if not mailbox.reads_imap:
        result.error = "No IMAP host or user is configured for this mailbox."
    else:
        conn: imaplib.IMAP4 | None = None
        try:
            conn = _connect(mailbox)
            _import(conn, mailbox, limit, result)
        except OperationalError:
            raise
        except ImapPollError as exc:
            result.error = str(exc)
        except imaplib.IMAP4.abort as exc:
            result.error = f"The connection to {mailbox.imap_host}:{mailbox.imap_port} broke off: {_exc_text(exc)}"
        except imaplib.IMAP4.error as exc:
            result.error = f"The IMAP server answered with an error: {_exc_text(exc)}"
        except TimeoutError:
            result.error = f"{mailbox.imap_host}:{mailbox.imap_port} stopped answering for {TIMEOUT_SECONDS} seconds"
        except OSError as exc:
            result.error = f"Network error with {mailbox.imap_host}:{mailbox.imap_port}: {exc}"
        except Exception as exc:
            # Shown to the admin on the mailbox instead of failing the beat-driven task every interval.
            logger.exception("IMAP poll of mailbox %s failed unexpectedly", mailbox.name)
            result.error = f"Unexpected error: {type(exc).__name__}: {exc}"
        finally:
            if conn is not None:
                _close(conn)
        if result.failed and not result.error:
            result.error = f"{result.failed} message(s) could not be stored and stay on the server for the next poll."
    result.error = _scrub(result.error, mailbox)

    mailbox.last_polled_at = started
    mailbox.last_poll_error = result.error
    Mailbox.objects.filter(pk=mailbox.pk).update(last_polled_at=started, last_poll_error=result.error)
    if result.error:
        logger.warning("IMAP poll of mailbox %s: %s", mailbox.name, result)
    else:
        logger.info("IMAP poll of mailbox %s: %s", mailbox.name, result)
    return result


def _close(conn: imaplib.IMAP4) -> None:
    # Polite LOGOUT when the session still works; a broken socket is simply dropped.
    try:
        conn.logout()
    except (imaplib.IMAP4.error, OSError):
        with contextlib.suppress(OSError):
            conn.shutdown()
