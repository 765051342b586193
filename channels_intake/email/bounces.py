"""Reading delivery reports: standard DSNs (RFC 3464) and the many plain-text formats MTAs still send.

Everything here works on an already parsed stdlib message and never raises; `classify.py` decides when to call it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from email.message import Message
from email.parser import HeaderParser
from email.policy import compat32

from channels_intake.email.parsed import Bounce

MAX_TEXT = 200_000  # bounce text we look at; enough for any notification, bounded for speed
MAX_PARTS = 200

MACHINE_LOCALPARTS = frozenset(
    {
        "mailer-daemon",
        "mailerdaemon",
        "mail-daemon",
        "maildaemon",
        "postmaster",
        "post_master",
        "poostmaster",
        "mailer",
        "mail.delivery.system",
        "mdaemon",
        "mail-delivery-system",
        "bounce",
        "bounces",
        "mailer_daemon",
    }
)

# Subject lines MTAs put on failure and delay reports (start or anywhere, case-insensitive).
BOUNCE_SUBJECT_RE = re.compile(
    r"undeliver|undelivered|delivery (?:status notification|failure|failed|has failed|problem|notification)"
    r"|mail delivery|returned mail|returning message|failure notice|failed delivery|failure delivery"
    r"|could not be delivered|non[- ]?delivery|mail system error|delivery failure|message delivery"
    r"|error sending your mail|mail failure|mail failed|delayed mail|delivery delayed|warning: message .{0,80}delayed"
    r"|not delivered|errors from|unzustellbar|nicht zustellbar|non remis|no entregado|non recapitato"
    r"|niet bezorgd|не доставлено|メッセージを配信できません|メールエラー|mail error",
    re.IGNORECASE,
)

# Phrases found in the human-readable part of failure reports.
BOUNCE_BODY_RE = re.compile(
    r"could not be delivered|couldn't be delivered|was not delivered|undeliverable|undelivered"
    r"|permanent(?:ly)? (?:fatal )?error|fatal errors|transcript of session follows"
    r"|this is the mail system at host|wasn't able to deliver|not able to deliver|unable to deliver"
    r"|delivery to the following recipient|did not reach the following recipient|delivery has failed"
    r"|smtp error from remote|error message below|returned to sender|mail delivery failed"
    r"|delivery (?:status notification|failure|failed)|this message was created automatically by mail delivery"
    r"|message could not be|has not been delivered|user unknown|no such user|mailbox (?:is )?(?:full|unavailable)"
    r"|message delivery has failed|failed to deliver|giving up on|could not deliver|delivery to .{0,100} failed"
    r"|your message .{0,120}(?:failed|rejected|bounced)|message will be deleted from queue|still being retried"
    r"|recipient address rejected|host unknown|unknown user|invalid recipient",
    re.IGNORECASE,
)

ADDRESS_RE = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63}){1,8}")
STATUS_RE = re.compile(r"(?<![\d.])([245]\.\d{1,3}\.\d{1,3})(?![\d.])")
SMTP_STATUS_RE = re.compile(r"(?<!\d)([45]\d\d)[ -]['\"#]?([45]\.\d{1,3}\.\d{1,3})(?![\d.])")
FAIL_STATUS_RE = re.compile(r"(?<![\d.])([45]\.\d{1,3}\.\d{1,3})(?![\d.])")
MESSAGE_ID_RE = re.compile(r"^[ \t]*Message-I[dD][ \t]*:[ \t]*(?:\r?\n[ \t]+)?<([^<>\s]{1,250})>", re.MULTILINE)

# Where the returned copy of the original mail starts inside a plain-text bounce.
ORIGINAL_START_RE = re.compile(
    r"^(?:[ \t]*-{2,} ?(?:Below this line is a copy|This is a copy|Original message|Original Message|Returned message"
    r"|The original message|Unsent message|Message header|The header of the original|Returned mail follows"
    r"|Included is a copy)"
    r"|[ \t]*(?:Below this line is a copy|Original message follows|------ This is a copy)"
    r"|(?:Return-Path|Received|Message-I[dD]|DKIM-Signature|X-Original-To|Delivered-To|MIME-Version"
    r"|Content-Type)[ \t]*:)",
    re.MULTILINE | re.IGNORECASE,
)
# Lines that name the sender or the report itself, not the address that failed.
NOT_RECIPIENT_LINE_RE = re.compile(
    r"^\s*(?:from|reply-to|sender|return-path|mail from|envelope-from|x-original-sender|by|for|message-id)\b\s*:",
    re.IGNORECASE,
)


MIME_NOISE_RE = re.compile(
    r"^(?:--[^\s]{1,200}|Content-[\w-]{1,40}:[^\n]*|\s*boundary=[^\n]*)$", re.MULTILINE | re.IGNORECASE
)


@dataclass
class _Report:
    recipients: list[str] = field(default_factory=list)
    statuses: list[str] = field(default_factory=list)  # one per recipient block, "" where absent
    actions: list[str] = field(default_factory=list)
    diagnostics: list[str] = field(default_factory=list)


def localpart(address: str) -> str:
    return address.rsplit("@", 1)[0].strip().strip('"').lower()


def is_machine_sender(address: str) -> bool:
    """mailer-daemon@, postmaster@ and friends, or the null sender."""
    lp = localpart(address)
    return lp == "" or lp in MACHINE_LOCALPARTS or lp.startswith("mailer-daemon")


def part_text(part: Message) -> str:
    """Decoded text of a leaf part, never raising, capped."""
    try:
        payload = part.get_payload(decode=True)
    except Exception:  # broken transfer encodings: fall back to the raw payload
        payload = None
    if payload is None:
        try:
            raw = part.get_payload()
        except Exception:
            return ""
        if isinstance(raw, list):
            return "\n\n".join(_headers_text(sub) for sub in raw if isinstance(sub, Message))[:MAX_TEXT]
        if part.get_content_maintype() == "multipart":  # unparsed multipart: drop its boundary and MIME lines
            return MIME_NOISE_RE.sub("", str(raw)[:MAX_TEXT])
        return str(raw)[:MAX_TEXT]
    try:
        charset = part.get_content_charset() or "utf-8"
    except Exception:  # a malformed Content-Type parameter
        charset = "utf-8"
    data = payload if isinstance(payload, bytes) else str(payload).encode("utf-8", errors="replace")
    try:
        return data[:MAX_TEXT].decode(charset, errors="replace")
    except LookupError:
        return data[:MAX_TEXT].decode("latin-1")


def _headers_text(msg: Message) -> str:
    """A header block as text; used for message/delivery-status, whose payload the parser splits into blocks."""
    try:
        return "\n".join(f"{k}: {v}" for k, v in msg.raw_items())
    except AttributeError:
        return "\n".join(f"{k}: {v}" for k, v in msg._headers)  # type: ignore[attr-defined]  # compat32 messages
    except Exception:
        return ""


def _unfold(text: str) -> str:
    return re.sub(r"\r?\n[ \t]+", " ", text)


def _address(value: str) -> str:
    """The address in a DSN recipient field such as 'rfc822; <a@b>' (type prefix optional)."""
    value = value.split(";", 1)[1] if ";" in value else value
    found = ADDRESS_RE.search(value)
    return found.group(0).lower() if found else ""


def parse_delivery_status(text: str) -> _Report:
    """Per-recipient fields of a message/delivery-status body (or DSN-like fields in plain text)."""
    report = _Report()
    text = _unfold(text.replace("\r\n", "\n"))[:MAX_TEXT]
    for block in re.split(r"\n[ \t]*\n", text):
        fields: dict[str, str] = {}
        for line in block.split("\n"):
            name, sep, value = line.partition(":")
            if sep and len(name) < 40:
                fields.setdefault(name.strip().lower(), value.strip())
        rcpt = _address(fields.get("final-recipient", "")) or _address(fields.get("original-recipient", ""))
        if not rcpt:
            continue
        report.recipients.append(rcpt)
        status = STATUS_RE.search(fields.get("status", ""))
        report.statuses.append(status.group(1) if status else "")
        report.actions.append(fields.get("action", "").lower().split(" ")[0])
        report.diagnostics.append(fields.get("diagnostic-code", "").split(";", 1)[-1].strip())
    return report


def _original_message_id(parts: list[Message], body: str) -> str:
    for part in parts:
        ctype = part.get_content_type()
        if ctype == "message/rfc822":
            payload = part.get_payload()
            inner = payload[0] if isinstance(payload, list) and payload else None
            if isinstance(inner, Message):
                mid = _clean_id(str(inner.get("Message-ID", "") or ""))
                if mid:
                    return mid
            found = MESSAGE_ID_RE.search(part_text(part))
            if found:
                return found.group(1)
        elif ctype == "text/rfc822-headers":
            try:
                headers = HeaderParser(policy=compat32).parsestr(part_text(part).lstrip())
                mid = _clean_id(str(headers.get("Message-ID", "") or ""))
            except Exception:
                mid = ""
            if mid:
                return mid
    found = MESSAGE_ID_RE.search(body)
    return found.group(1) if found else ""


def _clean_id(value: str) -> str:
    found = re.search(r"<([^<>\s]{1,250})>", value)
    return found.group(1) if found else value.strip()


def _text_status(text: str) -> str:
    """The enhanced status code in an SMTP reply or diagnostic, e.g. '550 5.1.1 ...' or '(#5.1.1)'."""
    found = SMTP_STATUS_RE.search(text)
    if found:
        return found.group(2)
    found = FAIL_STATUS_RE.search(text)  # a bare code; success codes in a session transcript are not the cause
    return found.group(1) if found else ""


def _text_recipients(notice: str, exclude: set[str]) -> list[str]:
    # The report's own To is normally the original sender, but people do mail themselves: fall back to it.
    return _scan_recipients(notice, exclude) or _scan_recipients(notice, set())


def _scan_recipients(notice: str, exclude: set[str]) -> list[str]:
    seen: list[str] = []
    for line in notice.split("\n"):
        if NOT_RECIPIENT_LINE_RE.match(line):
            continue
        for found in ADDRESS_RE.finditer(line):
            address = found.group(0).lower().rstrip(".")
            if address in exclude or is_machine_sender(address) or address in seen:
                continue
            seen.append(address)
    return seen[:50]


def notice_text(body: str) -> str:
    """The bounce's own words, before the returned copy of the original mail."""
    cut = ORIGINAL_START_RE.search(body)
    return body[: cut.start()] if cut else body


def extract_bounce(top: Message, parts: list[Message], exclude: set[str]) -> tuple[Bounce, list[str]]:
    """Bounce details from the report's parts; also returns the DSN actions seen (empty for plain-text bounces).

    `parts` are the leaf parts outside any attached message; `exclude` holds the report's own From/To addresses.
    """
    report = _Report()
    texts: list[str] = []
    for part in parts:
        ctype = part.get_content_type()
        if ctype in ("message/delivery-status", "message/global-delivery-status"):
            found = parse_delivery_status(part_text(part))
            for name in ("recipients", "statuses", "actions", "diagnostics"):
                getattr(report, name).extend(getattr(found, name))
        elif ctype.startswith(("text/", "multipart/")) and ctype != "text/rfc822-headers":
            texts.append(part_text(part))
    body = "\n".join(texts)[:MAX_TEXT].replace("\r\n", "\n")
    notice = notice_text(body)
    if not report.recipients:
        # Some MTAs (Exim, Postfix as text) put DSN-like fields straight into the text.
        report = parse_delivery_status(body)

    failed = [i for i, action in enumerate(report.actions) if action not in ("delivered", "relayed", "expanded")]
    chosen = failed or list(range(len(report.recipients)))
    recipients = [report.recipients[i] for i in chosen]
    status = next((report.statuses[i] for i in chosen if report.statuses[i]), "")
    diagnostic = next((report.diagnostics[i] for i in chosen if report.diagnostics[i]), "")

    header_failed = _header_addresses(top, "X-Failed-Recipients")
    if not recipients:
        recipients = header_failed or _text_recipients(notice, exclude)
    # The remote server's own reply is more specific than the reporting MTA's Status: (often x.0.0 or a generic
    # "expired" 4.4.7 wrapping the real cause), so it wins when it carries a code.
    diag_status = _text_status(diagnostic) if diagnostic else ""
    if diag_status:
        status = diag_status
    elif not status or status.endswith(".0.0"):
        status = _text_status(notice) or status
    if not diagnostic:
        diagnostic = _diagnostic_from_text(notice)
    bounce = Bounce(
        status=status,
        recipients=recipients,
        original_message_id=_original_message_id(parts, body),
        diagnostic=diagnostic[:1000],
    )
    return bounce, [report.actions[i] for i in chosen]


SES_TYPE_RE = re.compile(r'"notificationType"\s*:\s*"(Bounce|Complaint|Delivery)"')
SES_FIELD_RE = re.compile(r'"(emailAddress|status|diagnosticCode)"\s*:\s*"((?:[^"\\]|\\.){0,1000})"')


def ses_notification(text: str) -> tuple[str, Bounce] | None:
    """Amazon SES event notifications delivered by SNS email: a JSON body naming the event and recipients.

    The JSON is often wrapped or truncated by the mail path, so fields are read by pattern, not json.loads.
    """
    text = text[:MAX_TEXT].replace('\\"', '"')  # the SNS envelope carries the event as an escaped JSON string
    found = SES_TYPE_RE.search(text)
    if not found:
        return None
    bounce = Bounce()
    for field_match in SES_FIELD_RE.finditer(text):
        name, value = field_match.group(1), field_match.group(2).replace("\\n", " ").replace('\\"', '"')
        if name == "emailAddress":
            address = _address(value)
            if address and address not in bounce.recipients:
                bounce.recipients.append(address)
        elif name == "status" and not bounce.status and STATUS_RE.fullmatch(value.strip()):
            bounce.status = value.strip()
        elif name == "diagnosticCode" and not bounce.diagnostic:
            bounce.diagnostic = value[:1000]
    if not bounce.status and bounce.diagnostic:
        bounce.status = _text_status(bounce.diagnostic)
    return found.group(1).lower(), bounce


def _header_addresses(msg: Message, name: str) -> list[str]:
    out: list[str] = []
    try:
        values = msg.get_all(name) or []
    except Exception:
        return out
    for value in values:
        for found in ADDRESS_RE.finditer(str(value)):
            if found.group(0).lower() not in out:
                out.append(found.group(0).lower())
    return out


def _diagnostic_from_text(notice: str) -> str:
    """The first line that reads like a server reply, for the agent."""
    for line in notice.split("\n"):
        line = line.strip()
        if SMTP_STATUS_RE.search(line) or re.match(r"^[45]\d\d\b", line) or re.search(r"\bsaid:\s", line):
            return line[:1000]
    return ""
