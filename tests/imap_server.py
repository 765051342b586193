"""A real Dovecot IMAP server for the tests (pytest plugin, registered in tests/conftest.py).

`imap_server` (session): a private Dovecot with its own generated config, one user and a maildir in a temp
directory, plain IMAP on 127.0.0.1 at a free port. Nothing of the system's Dovecot config or service is used.
`imap_mailbox` (function): empties the server and returns a saved Mailbox row that reads it (security none).
"""

from __future__ import annotations

import contextlib
import grp
import imaplib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from channels_intake.models import Mailbox

DOVECOT = Path("/usr/sbin/dovecot")
INSTALL_HINT = "install the Debian package dovecot-imapd"

_CONFIG = """\
# Generated for one test session; reads nothing from /etc/dovecot.
protocols = imap
listen = 127.0.0.1
base_dir = {base}/run
state_dir = {base}/state
instance_name = helpdesk-tests-{port}
log_path = {base}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
default_internal_user = {internal_user}
default_internal_group = {internal_group}
default_login_user = {login_user}
first_valid_uid = 1
mail_location = maildir:~/Maildir
mail_fsync = never
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {base}/passwd
}}
userdb {{
  driver = passwd-file
  args = username_format=%u {base}/passwd
}}
namespace inbox {{
  inbox = yes
  separator = /
}}
# No chroot: it needs root, and the login processes have nothing to hide here.
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service imap-urlauth-login {{
  chroot =
}}
service anvil {{
  chroot =
}}
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _accounts() -> tuple[str, str, str, int, int]:
    """(internal user, its group, login user, mail uid, mail gid) for the user running the tests.

    Dovecot refuses to run its login processes or mail access as root, so under root (CI) it uses the
    unprivileged users the Debian package creates; an ordinary user runs every process as itself.
    """
    if os.geteuid() != 0:
        me = pwd.getpwuid(os.geteuid())
        return me.pw_name, grp.getgrgid(os.getegid()).gr_name, me.pw_name, me.pw_uid, me.pw_gid
    try:
        internal = pwd.getpwnam("dovecot")
    except KeyError:
        internal = pwd.getpwnam("nobody")
    try:
        login = pwd.getpwnam("dovenull").pw_name
    except KeyError:
        login = internal.pw_name
    return internal.pw_name, grp.getgrgid(internal.pw_gid).gr_name, login, internal.pw_uid, internal.pw_gid


@dataclass
class ImapServer:
    host: str
    port: int
    user: str
    password: str
    base_dir: Path

    @contextlib.contextmanager
    def session(self) -> Iterator[imaplib.IMAP4]:
        """A logged-in connection as the test user."""
        conn = imaplib.IMAP4(self.host, self.port, timeout=10)
        try:
            conn.login(self.user, self.password)
            yield conn
        finally:
            with contextlib.suppress(imaplib.IMAP4.error, OSError):
                conn.logout()

    def append(self, raw: bytes, folder: str = "INBOX", flags: str = "") -> None:
        """Deliver `raw` into `folder` as a mail client would; flags like "\\Seen" (without parentheses)."""
        with self.session() as conn:
            typ, data = conn.append(_quoted(folder), f"({flags})" if flags else None, None, raw)
            assert typ == "OK", data

    def folders(self) -> list[str]:
        with self.session() as conn:
            typ, data = conn.list()
            assert typ == "OK", data
        # Lines look like: (\HasNoChildren) "/" Processed  (names may be quoted)
        return [line.decode().split(' "/" ', 1)[1].strip('"') for line in data if line]

    def count(self, folder: str = "INBOX", criteria: str = "ALL") -> int:
        """How many messages in `folder` match the SEARCH `criteria`; 0 when the folder does not exist."""
        return len(self._search(folder, criteria))

    def flags(self, folder: str = "INBOX") -> list[set[str]]:
        """The flags of each message in `folder` (without \\Recent), oldest first; [] when the folder does not exist."""
        with self.session() as conn:
            typ, _data = conn.select(_quoted(folder), readonly=True)
            if typ != "OK":
                return []
            typ, data = conn.uid("FETCH", "1:*", "(FLAGS)")
            assert typ == "OK", data
        result = []
        for line in data:
            if not isinstance(line, bytes) or b"FLAGS (" not in line:
                continue
            inner = line.split(b"FLAGS (", 1)[1].split(b")", 1)[0].decode()
            # \Recent only says which session saw the message first: noise for a test.
            result.append(set(inner.split()) - {r"\Recent"})
        return result

    def messages(self, folder: str = "INBOX") -> list[bytes]:
        """The exact bytes of each message in `folder`, oldest first."""
        with self.session() as conn:
            typ, _data = conn.select(_quoted(folder), readonly=True)
            if typ != "OK":
                return []
            uids = self._uids(conn, "ALL")
            result = []
            for uid in uids:
                typ, data = conn.uid("FETCH", str(uid), "(BODY.PEEK[])")
                assert typ == "OK", data
                result.extend(item[1] for item in data if isinstance(item, tuple))
        return result

    def reset(self) -> None:
        """Empty INBOX and delete every other folder, so a test starts from a clean account."""
        with self.session() as conn:
            _typ, data = conn.list()
            others = [line.decode().split(' "/" ', 1)[1] for line in data if line]
            # Children before parents.
            for name in sorted((n for n in others if n.strip('"') != "INBOX"), key=len, reverse=True):
                conn.unsubscribe(name)
                conn.delete(name)
            _typ, data = conn.select("INBOX")
            if int(data[0] or 0):  # STORE 1:* is an error on an empty folder
                conn.store("1:*", "+FLAGS.SILENT", r"(\Deleted)")
                conn.expunge()

    def log(self) -> str:
        path = self.base_dir / "dovecot.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def _search(self, folder: str, criteria: str) -> list[int]:
        with self.session() as conn:
            typ, _data = conn.select(_quoted(folder), readonly=True)
            if typ != "OK":
                return []
            return self._uids(conn, criteria)

    @staticmethod
    def _uids(conn: imaplib.IMAP4, criteria: str) -> list[int]:
        typ, data = conn.uid("SEARCH", criteria)
        assert typ == "OK", data
        return sorted(int(uid) for uid in (data[0] or b"").split())


def _quoted(folder: str) -> str:
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _wait_for_greeting(port: int, process: subprocess.Popen, seconds: float = 15) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
                if sock.recv(100).startswith(b"* OK"):
                    return True
        except OSError:
            time.sleep(0.1)
    return False


@pytest.fixture(scope="session")
def imap_server() -> Iterator[ImapServer]:
    from tests.parts import missing

    if not DOVECOT.exists():
        missing(f"Dovecot is not installed at {DOVECOT}: {INSTALL_HINT}")
    # mkdtemp, not tmp_path: Dovecot's unix sockets live under base_dir, and their paths must stay short.
    base = Path(tempfile.mkdtemp(prefix="helpdesk-dovecot-"))
    internal_user, internal_group, login_user, mail_uid, mail_gid = _accounts()
    server = ImapServer(host="127.0.0.1", port=_free_port(), user="support", password="imap-test-secret", base_dir=base)
    home = base / "mail" / server.user
    home.mkdir(parents=True)
    (base / "run").mkdir()
    (base / "state").mkdir()
    if os.geteuid() == 0:
        # The unprivileged Dovecot processes must reach their sockets and the mail owner its maildir.
        base.chmod(0o755)
        for path in (base / "mail", home):
            os.chown(path, mail_uid, mail_gid)
    (base / "passwd").write_text(f"{server.user}:{{PLAIN}}{server.password}:{mail_uid}:{mail_gid}::{home}\n")
    (base / "passwd").chmod(0o644)
    config = base / "dovecot.conf"
    config.write_text(
        _CONFIG.format(
            base=base,
            port=server.port,
            internal_user=internal_user,
            internal_group=internal_group,
            login_user=login_user,
        )
    )
    output = (base / "dovecot.out").open("wb")
    # -F: stays in the foreground, so this fixture owns the master process and can stop it.
    process = subprocess.Popen(  # noqa: S603 - fixed binary, generated config
        [str(DOVECOT), "-F", "-c", str(config)], stdout=output, stderr=subprocess.STDOUT
    )
    try:
        if not _wait_for_greeting(server.port, process):
            details = (base / "dovecot.out").read_text(errors="replace") + server.log()
            missing(f"Dovecot did not start ({INSTALL_HINT} if it is incomplete): {details.strip()[-2000:]}")
        try:
            with server.session():
                pass
        except imaplib.IMAP4.error as exc:
            missing(f"Dovecot started but refused the test login ({exc}): {server.log()[-2000:]}")
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        output.close()
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def imap_mailbox(imap_server: ImapServer, db: None) -> Mailbox:
    """A saved Mailbox reading the test server's INBOX (mark-as-read mode), on an emptied account."""
    from channels_intake.models import Mailbox

    imap_server.reset()
    return Mailbox.objects.create(
        name="imap-test",
        email_address="support@helpdesk.test",
        imap_host=imap_server.host,
        imap_port=imap_server.port,
        imap_security=Mailbox.Security.NONE,
        imap_username=imap_server.user,
        imap_password=imap_server.password,
        imap_folder="INBOX",
        after_import=Mailbox.AfterImport.MARK_SEEN,
        move_to_folder="Processed",
        poll_interval_seconds=60,
    )
