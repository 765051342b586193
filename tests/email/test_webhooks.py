"""Provider inbound webhooks, replayed from the captured requests in the corpus (multi_mail, expectations.md §6).

Each capture is the provider's HTTP request: a status line, headers, a blank line, the body. We post the body with
its content type and X- headers to our endpoint for that provider and look at the stored InboundEmail, re-parsed
with the standard library. Processing into tickets is switched off (its own tests cover it).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from urllib.parse import parse_qsl, urlencode

import pytest
from django.db import OperationalError
from django.test import Client

from channels_intake.models import InboundEmail, Mailbox
from tests.email.corpus import CORPUS_DIR, corpus_or_skip, load_expected

pytestmark = [
    pytest.mark.django_db,
    # anymail warns on every SendGrid request that it no longer tests SendGrid; the webhook still works.
    pytest.mark.filterwarnings("ignore::anymail.exceptions.AnymailNotSupportedWarning"),
]

MULTI_MAIL = CORPUS_DIR / "multi_mail"

# Keys the captures were signed with, from multi_mail's specs (spec/mailgun and spec/mandrill receiver_spec.rb).
MAILGUN_KEY = "foo"
MANDRILL_KEY = "rth_rywL9CWIIZBuwPQIWw"
MANDRILL_URL = "http://rackbin.herokuapp.com/"
SECRET = "provider:s3cret"
AUTH = {"HTTP_AUTHORIZATION": "Basic " + base64.b64encode(SECRET.encode()).decode()}

# The captures' folder -> our endpoint. Mailgun's raw-MIME route posts to a URL containing "mime".
ROUTES = {
    "cloudmailin": "/inbound/email/cloudmailin/",
    "mailgun/parsed": "/inbound/email/mailgun/inbound/",
    "mailgun/raw": "/inbound/email/mailgun/inbound_mime/",
    "mandrill": "/inbound/email/mandrill/",
    "postmark": "/inbound/email/postmark/inbound/",
    "sendgrid": "/inbound/email/sendgrid/inbound/",
}

# Files expected to fail, and why. Strict: when one starts passing, take it off this list.
XFAIL = {
    # multi_mail's own generic form post ("simple" provider): no email provider sends it, so no endpoint.
    "simple/valid.txt": "multi_mail's own 'simple' format is not a provider; unsupported",
    "simple/invalid.txt": "multi_mail's own 'simple' format is not a provider; unsupported",
    "simple/missing.txt": "multi_mail's own 'simple' format is not a provider; unsupported",
}

# Captures whose signature upstream never checks (its specs only read their content), made with a key we do not
# have or not signed at all: the test signs them with the test key, so they reach the content checks.
RESIGNED = {
    "mailgun/parsed/spam.txt": "signed with another key",
    "mailgun/raw/spam.txt": "signed with another key",
    "mandrill/spam.txt": "captured without X-Mandrill-Signature",
    "mandrill/multiple.txt": "signed for another webhook key or URL",
}

# Not a captured request: the raw message several upstream specs share.
NOT_REQUESTS = {"multipart.txt"}

FOO = "Lorem ipsum dolor sit amet, consectetur adipiscing elit.\n"
BAR = "Nam accumsan euismod eros et rhoncus.\n"


def _capture_names() -> list[str]:
    if not MULTI_MAIL.is_dir():
        return ["(corpus missing)"]
    names = sorted(p.relative_to(MULTI_MAIL).as_posix() for p in MULTI_MAIL.rglob("*.txt"))
    return [name for name in names if name not in NOT_REQUESTS]


def _params() -> list:
    return [
        pytest.param(name, marks=pytest.mark.xfail(strict=True, reason=XFAIL[name])) if name in XFAIL else name
        for name in _capture_names()
    ]


# --- replaying a capture ---------------------------------------------------------------------------------------


def _read_capture(name: str) -> tuple[dict[str, str], bytes]:
    data = (MULTI_MAIL / name).read_bytes()
    ends = [i for i in (data.find(b"\r\n\r\n"), data.find(b"\n\n")) if i >= 0]
    end = min(ends)
    body = data[end + (4 if data[end : end + 4] == b"\r\n\r\n" else 2) :]
    lines = data[:end].decode("latin-1").splitlines()[1:]  # skip the status line
    headers = dict(line.split(": ", 1) for line in lines if ": " in line)
    if "urlencoded" in headers.get("Content-Type", ""):
        # A form body has no raw newlines; the trailing one is the file's, not the request's.
        body = body.rstrip(b"\r\n")
    return headers, body


def _route(name: str) -> str:
    for prefix, path in sorted(ROUTES.items(), key=lambda item: -len(item[0])):
        if name.startswith(prefix + "/"):
            return path
    raise LookupError(f"no endpoint for {name}")


def _mailgun_signed(body: bytes) -> bytes:
    fields = [(k, v) for k, v in parse_qsl(body.decode(), keep_blank_values=True) if k != "signature"]
    values = dict(fields)
    signature = hmac.new(
        MAILGUN_KEY.encode(), f"{values['timestamp']}{values['token']}".encode(), hashlib.sha256
    ).hexdigest()
    return urlencode([*fields, ("signature", signature)]).encode()


def _mandrill_signature(body: bytes) -> str:
    params = dict(parse_qsl(body.decode(), keep_blank_values=True))
    signed = MANDRILL_URL + "".join(key + params[key] for key in sorted(params))
    return base64.b64encode(hmac.new(MANDRILL_KEY.encode(), signed.encode(), hashlib.sha1).digest()).decode()


def _replay(client: Client, name: str, *, auth: bool = True):
    headers, body = _read_capture(name)
    if name in RESIGNED and name.startswith("mailgun/"):
        body = _mailgun_signed(body)
    extra = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items() if k.lower().startswith("x-")}
    if name in RESIGNED and name.startswith("mandrill/"):
        extra["HTTP_X_MANDRILL_SIGNATURE"] = _mandrill_signature(body)
    if auth:
        extra.update(AUTH)
    return client.generic("POST", _route(name), data=body, content_type=headers["Content-Type"], **extra)


def _record_receives(monkeypatch) -> list[tuple[InboundEmail, bool]]:
    """Every (row, created) the webhook receiver got from the store, in order."""
    from channels_intake.email import webhooks

    results: list[tuple[InboundEmail, bool]] = []
    real = webhooks.inbound_email_receive

    def recording(**kwargs):
        results.append(real(**kwargs))
        return results[-1]

    monkeypatch.setattr(webhooks, "inbound_email_receive", recording)
    return results


def _parsed(row: InboundEmail) -> EmailMessage:
    message = BytesParser(policy=policy.default).parsebytes(bytes(row.raw))
    assert isinstance(message, EmailMessage)
    return message


def _text(message: EmailMessage) -> str:
    body = message.get_body(preferencelist=("plain",))
    assert body is not None
    return body.get_content().replace("\r\n", "\n")


def _attachments(message: EmailMessage) -> dict[str, str]:
    found = {}
    for part in message.walk():
        if part.get_filename():
            content = part.get_content()
            text = content if isinstance(content, str) else content.decode()
            found[part.get_filename()] = text.replace("\r\n", "\n")  # raw MIME posted with CRLF lines
    return found


@pytest.fixture(autouse=True)
def _webhook_settings(settings, monkeypatch):
    settings.ANYMAIL = {
        "WEBHOOK_SECRET": SECRET,
        "MAILGUN_WEBHOOK_SIGNING_KEY": MAILGUN_KEY,
        "MANDRILL_WEBHOOK_KEY": MANDRILL_KEY,
        "MANDRILL_WEBHOOK_URL": MANDRILL_URL,
    }
    # Processing (parse, thread, ticket) is not this file's concern.
    monkeypatch.setattr("channels_intake.tasks.process_inbound_email.delay", lambda *args, **kwargs: None)


@pytest.fixture
def corpus() -> Path:
    return corpus_or_skip("multi_mail")


# --- every capture ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", _params())
def test_each_capture_gives_what_the_corpus_expects(client, corpus, monkeypatch, name):
    kind = Path(name).stem
    expected = load_expected("multi_mail")
    received = _record_receives(monkeypatch)
    response = _replay(client, name)

    if kind in ("invalid", "missing"):
        # A bad or absent signature: refused, nothing kept, so a forger cannot plant mail.
        assert 400 <= response.status_code < 500
        assert InboundEmail.objects.count() == 0
        return

    assert response.status_code == 200, response.content[:300]
    rows = list(InboundEmail.objects.order_by("pk"))
    # Mandrill's multiple.txt is its "send test" batch: the same example message twice, so one row.
    assert len(received) == (2 if kind == "multiple" else 1)
    assert len(rows) == 1
    assert rows[0].source == InboundEmail.Source.WEBHOOK
    assert rows[0].source_detail == name.split("/")[0]
    message = _parsed(rows[0])

    if kind == "valid":
        wanted = next(value for key, value in expected.items() if _matches(key, name))
        assert message["From"].addresses[0].addr_spec == "james@opennorth.ca"
        assert rows[0].from_address == "james@opennorth.ca"
        assert str(message["Subject"]) == "Test"
        assert _text(message).rstrip() == wanted["text_body"].rstrip()
        # Providers differ in the attachments' trailing newlines (expected.json notes Mandrill and CloudMailin).
        attachments = {filename: content.rstrip("\n") for filename, content in _attachments(message).items()}
        if name.startswith("sendgrid/"):
            # SendGrid posts the message's second and third HTML alternatives as files too; they are kept.
            attachments = {k: v for k, v in attachments.items() if not (k.endswith(".html") and "<html" in v)}
        assert attachments == {"foo.txt": FOO.rstrip("\n"), "bar.txt": BAR.rstrip("\n")}
        assert rows[0].is_spam is False
    elif kind == "spam":
        assert rows[0].is_spam is (not name.startswith("mailgun/raw/"))  # Mailgun's raw MIME has no verdict
    elif kind == "multiple":
        assert [created for _, created in received] == [True, False]
        assert rows[0].subject == "This is an example webhook message"
    elif kind == "encoding":
        assert _text(message).strip() == "World €"
    elif kind == "attachment_store":
        # Attachments left at CloudMailin's store arrive as links, which we keep as .url parts.
        links = _attachments(message)
        assert set(links) == {"foo.txt.url", "bar.txt.url"}
        assert all(re.match(r"https?://\S+\s*$", link) for link in links.values())
        assert message["From"].addresses[0].addr_spec == "james@opennorth.ca"
    else:
        pytest.fail(f"no expectation for {name}")


def _matches(pattern: str, name: str) -> bool:
    # expected.json keys like "mailgun/{parsed,raw}/valid.txt"
    regex = re.sub(r"\\\{([^}]*)\\\}", lambda m: "(" + m.group(1).replace(",", "|") + ")", re.escape(pattern))
    return re.fullmatch(regex, name) is not None


def test_every_capture_in_the_corpus_is_replayed_or_listed(corpus):
    names = set(_capture_names())
    assert {"mandrill/multiple.txt", "sendgrid/encoding.txt", "cloudmailin/raw/valid.txt"} <= names
    assert len(names) + len(NOT_REQUESTS) == 31
    assert all(name in XFAIL or _route(name) for name in names)


# --- delivery behaviour ----------------------------------------------------------------------------------------


def test_a_retried_delivery_is_stored_once(client, corpus):
    first = _replay(client, "mailgun/raw/valid.txt")
    second = _replay(client, "mailgun/raw/valid.txt")

    assert (first.status_code, second.status_code) == (200, 200)
    assert InboundEmail.objects.count() == 1


def test_a_raw_mime_delivery_is_stored_byte_for_byte(client, corpus):
    _, body = _read_capture("mailgun/raw/valid.txt")
    posted = dict(parse_qsl(body.decode(), keep_blank_values=True))["body-mime"]

    assert _replay(client, "mailgun/raw/valid.txt").status_code == 200
    assert bytes(InboundEmail.objects.get().raw) == posted.encode()


@pytest.mark.parametrize("name", ["postmark/valid.txt", "sendgrid/valid.txt", "cloudmailin/json/valid.txt"])
def test_without_basic_auth_a_delivery_is_refused(client, corpus, name):
    response = _replay(client, name, auth=False)

    assert response.status_code == 400
    assert InboundEmail.objects.count() == 0


def test_a_wrong_basic_auth_password_is_refused(client, corpus):
    _, body = _read_capture("postmark/valid.txt")
    wrong = "Basic " + base64.b64encode(b"provider:guess").decode()

    response = client.post(
        _route("postmark/valid.txt"), body, content_type="application/json", HTTP_AUTHORIZATION=wrong
    )

    assert response.status_code == 400
    assert InboundEmail.objects.count() == 0


def test_when_storing_fails_the_provider_gets_an_error_and_retries(corpus, monkeypatch):
    def database_down(**kwargs):
        raise OperationalError("database is down")

    monkeypatch.setattr("channels_intake.email.webhooks.inbound_email_receive", database_down)

    response = _replay(Client(raise_request_exception=False), "postmark/valid.txt")

    assert response.status_code == 500
    assert InboundEmail.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_processing_is_enqueued_once_the_mail_is_committed(client, corpus, monkeypatch):
    enqueued = []
    monkeypatch.setattr("channels_intake.tasks.process_inbound_email.delay", lambda pk: enqueued.append(pk))

    response = _replay(client, "mandrill/valid.txt")

    assert response.status_code == 200
    assert enqueued == [InboundEmail.objects.get().pk]


def test_a_mandrill_post_without_a_configured_key_fails_instead_of_being_trusted(client, corpus, settings):
    settings.ANYMAIL = {"WEBHOOK_SECRET": SECRET}

    response = Client(raise_request_exception=False).generic(
        "POST", _route("mandrill/valid.txt"), data=_read_capture("mandrill/valid.txt")[1], **AUTH
    )

    assert response.status_code >= 400
    assert InboundEmail.objects.count() == 0


# --- which mailbox ---------------------------------------------------------------------------------------------


def _mailbox(name: str, address: str, **kwargs) -> Mailbox:
    return Mailbox.objects.create(name=name, email_address=address, **kwargs)


def test_the_mailbox_is_the_active_one_for_the_envelope_recipient(client, corpus):
    _mailbox("first", "first@example.com")
    wanted = _mailbox("support", "FOO+bar@multimail.mailgun.org")  # case does not matter

    _replay(client, "mailgun/raw/valid.txt")

    assert InboundEmail.objects.get().mailbox == wanted


def test_a_plus_tagged_recipient_belongs_to_its_base_address(client, corpus):
    _mailbox("first", "first@example.com")
    wanted = _mailbox("support", "foo@multimail.mailgun.org")

    _replay(client, "mailgun/raw/valid.txt")

    assert InboundEmail.objects.get().mailbox == wanted


def test_the_to_header_finds_the_mailbox_when_the_provider_gives_no_envelope(client, corpus):
    _mailbox("first", "first@example.com")
    wanted = _mailbox("postmark", "4354473e2e6ab001fa836f627a54004e+bar@inbound.postmarkapp.com")

    _replay(client, "postmark/valid.txt")

    assert InboundEmail.objects.get().mailbox == wanted


def test_an_inactive_mailbox_is_passed_over_for_the_oldest_active_one(client, corpus):
    _mailbox("old", "old@example.com", is_active=False)
    oldest_active = _mailbox("general", "general@example.com")
    _mailbox("newer", "newer@example.com")
    _mailbox("retired", "foo+bar@multimail.mailgun.org", is_active=False)

    _replay(client, "mailgun/raw/valid.txt")

    assert InboundEmail.objects.get().mailbox == oldest_active


def test_with_no_mailbox_at_all_one_is_made_so_the_mail_is_kept(client, corpus):
    _replay(client, "mailgun/raw/valid.txt")

    row = InboundEmail.objects.get()
    assert (row.mailbox.name, row.mailbox.email_address) == ("inbound", "foo+bar@multimail.mailgun.org")


# --- the whole way -----------------------------------------------------------------------------------------------


def test_a_webhook_mail_becomes_a_ticket(client, corpus, monkeypatch, django_capture_on_commit_callbacks):
    from channels_intake.tasks import process_inbound_email

    monkeypatch.setattr(
        "channels_intake.tasks.process_inbound_email.delay", lambda pk: process_inbound_email.apply(args=[pk])
    )
    _mailbox("support", "foo@multimail.mailgun.org")

    with django_capture_on_commit_callbacks(execute=True):
        response = _replay(client, "mailgun/raw/valid.txt")

    assert response.status_code == 200
    row = InboundEmail.objects.get()
    assert row.status == InboundEmail.Status.PROCESSED, row.outcome
    assert row.ticket is not None
    assert "Test" in row.ticket.subject


def test_without_a_configured_secret_every_webhook_is_closed(client, settings):
    settings.ANYMAIL = {"MAILGUN_WEBHOOK_SIGNING_KEY": "foo"}

    for url in ("/inbound/email/postmark/inbound/", "/inbound/email/mailgun/inbound/", "/inbound/email/cloudmailin/"):
        response = client.post(url, data="{}", content_type="application/json")
        assert response.status_code == 403, url
        assert b"ANYMAIL_WEBHOOK_SECRET" in response.content
    assert not InboundEmail.objects.exists()
