"""Walking a parsed MIME tree: which part is the body, and every other leaf as an attachment."""

from __future__ import annotations

import mimetypes
import re
from dataclasses import dataclass, field
from email.message import Message
from email.policy import EmailPolicy

from channels_intake.email.charsets import decode_bytes, decode_header_value, header_to_bytes
from channels_intake.email.parsed import ParsedAttachment

MAX_DEPTH = 128  # nesting levels walked; deeper parts are searched for text only
MAX_NODES = 5000  # parts looked at in one message
MAX_ATTACHMENTS = 500

# Report parts that mail programs show as a named text file.
_REPORT_TYPES = {
    "message/delivery-status": "delivery-status",
    "message/global-delivery-status": "delivery-status",
    "message/disposition-notification": "disposition-notification",
    "message/feedback-report": "feedback-report",
    "text/rfc822-headers": "headers",
    "text/global-headers": "headers",
}
_EMBEDDED_MAIL = {"message/rfc822", "message/global"}
_EXTENSIONS = {"image/jpeg": ".jpg", "text/plain": ".txt", "application/octet-stream": ".bin", "image/pjpeg": ".jpg"}

# Serialising an attached message: no refolding, so its headers stay as they came.
_AS_SENT = EmailPolicy(refold_source="none", max_line_length=None, linesep="\n")
_META_CHARSET = re.compile(rb"<meta[^>]{0,200}?charset\s*=\s*[\"']?\s*([\w.:-]{1,40})", re.I)
_UNSAFE_NAME = re.compile(r"[\x00-\x1f\x7f/\\]+")


@dataclass
class CollectedParts:
    body_text: str = ""
    body_html: str = ""
    attachments: list[ParsedAttachment] = field(default_factory=list)
    defects: list[str] = field(default_factory=list)


@dataclass
class _Leaf:
    part: Message
    view: Message  # the part's MIME headers, read the compat32 way (parameters as sent)
    content_type: str
    alternative: tuple[int, int]  # (id of the nearest multipart/alternative ancestor, branch index); (0, 0): none
    top: bool  # the message itself is the leaf


def _view(part: Message) -> Message:
    view = Message()
    for key, value in part.raw_items():
        if key.lower() in ("content-type", "content-disposition", "content-id", "content-description"):
            # Raw 8-bit bytes as latin-1 characters: compat32 would turn surrogate escapes into U+FFFD.
            view[key] = header_to_bytes(str(value)).decode("latin-1")
    view.set_default_type(part.get_default_type())  # message/rfc822 inside multipart/digest
    return view


def _param(view: Message, name: str, header: str, hint: str | None) -> str:
    try:
        value = view.get_param(name, None, header)
    except Exception:
        return ""
    if value is None:
        return ""
    if isinstance(value, tuple):  # RFC 2231: (charset, language, %-decoded text as latin-1)
        charset, _lang, text = value
        try:
            data = str(text).encode("latin-1")
        except UnicodeEncodeError:
            data = str(text).encode("utf-8", "replace")
        return decode_bytes(data, charset or None, hint).strip()
    # Plain parameters still carry RFC 2047 words or raw 8-bit text in practice.
    return decode_header_value(str(value).encode("latin-1", "replace"), hint).strip()


def _defect_names(part: Message) -> list[str]:
    return [type(d).__name__ for d in getattr(part, "defects", [])]


def _content_type(view: Message, hint: str | None) -> str:
    declared = str(view.get("content-type") or "").split(";", 1)[0].strip()
    ctype = view.get_content_type()
    if "/" not in declared and declared != "text":
        # Missing or broken type (`Content-Type: ; name="face.jpg"`): the file name tells more.
        name = _param(view, "filename", "content-disposition", hint) or _param(view, "name", "content-type", hint)
        guessed = mimetypes.guess_type(name, strict=False)[0] if name else None
        if guessed:
            return guessed
    return ctype


def _walk(msg: Message, out: CollectedParts, hint: str | None) -> tuple[list[_Leaf], list[Message]]:
    """Leaves in document order, plus the containers too deep to walk (searched later for text only)."""
    leaves: list[_Leaf] = []
    too_deep: list[Message] = []
    stack: list[tuple[Message, int, tuple[int, int]]] = [(msg, 0, (0, 0))]
    visited = 0
    while stack:
        part, depth, alternative = stack.pop()
        visited += 1
        if visited > MAX_NODES:
            out.defects.append("TooManyParts")
            break
        out.defects.extend(_defect_names(part))
        view = _view(part)
        ctype = _content_type(view, hint)
        payload = part.get_payload()
        if isinstance(payload, list) and ctype.startswith("multipart/"):
            if depth >= MAX_DEPTH:
                out.defects.append("NestingTooDeep")
                too_deep.append(part)
                continue
            children = [child for child in payload if isinstance(child, Message)]
            for index in range(len(children) - 1, -1, -1):
                group = (id(part), index) if ctype == "multipart/alternative" else alternative
                stack.append((children[index], depth + 1, group))
            continue
        if ctype.startswith("multipart/"):
            ctype = "text/plain"  # a multipart without parts (no boundary): its text is all there is
        leaves.append(_Leaf(part, view, ctype, alternative, part is msg))
    return leaves, too_deep


def _text_of(leaf: _Leaf, hint: str | None) -> str:
    data = _payload_bytes(leaf.part)
    charset = _param(leaf.view, "charset", "content-type", None) or None
    if charset is None and leaf.content_type == "text/html":
        match = _META_CHARSET.search(data[:4096])
        charset = match.group(1).decode("ascii", "replace") if match else None
    return decode_bytes(data, charset, hint).replace("\r\n", "\n").replace("\r", "\n")


def _payload_bytes(part: Message) -> bytes:
    try:
        data = part.get_payload(decode=True)
    except Exception:
        payload = part.get_payload()
        data = header_to_bytes(payload) if isinstance(payload, str) else b""
    return data if isinstance(data, bytes) else b""


def _is_body_candidate(leaf: _Leaf, hint: str | None) -> bool:
    if leaf.content_type not in ("text/plain", "text/html"):
        return False
    if leaf.top:
        return True
    disposition = (leaf.view.get_content_disposition() or "").lower()
    if disposition == "attachment":
        return False
    return not (
        _param(leaf.view, "filename", "content-disposition", hint) or _param(leaf.view, "name", "content-type", hint)
    )


def collect_parts(msg: Message, hint: str | None = None) -> CollectedParts:
    """The body (text and HTML) and the attachments of a parsed message."""
    out = CollectedParts()
    leaves, too_deep = _walk(msg, out, hint)
    texts: list[str] = []
    htmls: list[str] = []
    # multipart/alternative id -> the branch that gave us text (or HTML); other branches render the same again.
    branch_used: dict[str, dict[int, int]] = {"text/plain": {}, "text/html": {}}
    others: list[_Leaf] = []
    for leaf in leaves:
        if _is_body_candidate(leaf, hint):
            group, branch = leaf.alternative
            used = branch_used[leaf.content_type]
            if group and used.setdefault(group, branch) != branch:
                continue
            (texts if leaf.content_type == "text/plain" else htmls).append(_text_of(leaf, hint))
        else:
            others.append(leaf)
    out.body_text = "\n".join(t for t in texts if t.strip()) if len(texts) > 1 else "".join(texts)
    out.body_html = "\n".join(htmls)
    if not texts and not htmls and too_deep:
        out.body_text = _deep_text(too_deep, hint)
    if not out.body_text and not out.body_html:
        flattened = [leaf for leaf in others if leaf.content_type.startswith("text/x-too-deep-")]
        out.body_text = _text_in_raw_mime(_text_of(flattened[0], hint)) if flattened else ""
    _attachments(others, out, hint)
    for leaf in leaves:  # decoding found more (bad base64, ...)
        out.defects.extend(_defect_names(leaf.part))
    return out


_LAST_TEXT_PART = re.compile(r"(?im)^content-type:[ \t]*text/plain\b[^\n]*\n(?:[^\n]+\n)*\n")


def _text_in_raw_mime(raw_mime: str) -> str:
    """The innermost text/plain of MIME nested too deep to parse, found by pattern (bounded, best effort)."""
    matches = list(_LAST_TEXT_PART.finditer(raw_mime[:5_000_000]))
    if not matches:
        return ""
    rest = raw_mime[matches[-1].end() :]
    return re.split(r"(?m)^--", rest, maxsplit=1)[0]


def _deep_text(containers: list[Message], hint: str | None) -> str:
    """The first plain text under containers too deep to walk fully (iterative, bounded)."""
    stack = list(reversed(containers))
    visited = 0
    while stack and visited < MAX_NODES:
        part = stack.pop()
        visited += 1
        payload = part.get_payload()
        if isinstance(payload, list):
            stack.extend(child for child in reversed(payload) if isinstance(child, Message))
        elif part.get_content_type() == "text/plain":
            return _text_of(_Leaf(part, _view(part), "text/plain", (0, 0), False), hint)
    return ""


def _attachments(leaves: list[_Leaf], out: CollectedParts, hint: str | None) -> None:
    html = out.body_html.lower()
    used: dict[str, int] = {}
    for leaf in leaves:
        if len(out.attachments) >= MAX_ATTACHMENTS:
            out.defects.append("TooManyAttachments")
            return
        ctype = leaf.content_type
        if ctype in ("message/external-body", "message/partial"):
            continue  # a pointer to content elsewhere, nothing to store
        content_id = decode_header_value(leaf.view.get("content-id", "")).strip().strip("<>").strip()
        data, embedded = _attachment_bytes(leaf, out)
        name = _param(leaf.view, "filename", "content-disposition", hint) or _param(
            leaf.view, "name", "content-type", hint
        )
        name = _safe_name(name) or _generated_name(leaf, embedded, used, hint)
        disposition = (leaf.view.get_content_disposition() or "").lower()
        referenced = bool(content_id) and f"cid:{content_id.lower()}" in html
        out.attachments.append(
            ParsedAttachment(
                filename=name,
                content_type=ctype,
                data=data,
                content_id=content_id,
                inline=disposition == "inline" or referenced,
            )
        )


def _attachment_bytes(leaf: _Leaf, out: CollectedParts) -> tuple[bytes, Message | None]:
    payload = leaf.part.get_payload()
    if not isinstance(payload, list):
        return _payload_bytes(leaf.part), None
    inner = [p for p in payload if isinstance(p, Message)]
    if leaf.content_type in _REPORT_TYPES or leaf.content_type == "message/delivery-status":
        return b"".join(_message_bytes(block, out) for block in inner), None
    embedded = inner[0] if inner else None
    for block in inner:
        out.defects.extend(_defect_names(block))
    return (_message_bytes(embedded, out) if embedded is not None else b""), embedded


def _message_bytes(message: Message, out: CollectedParts) -> bytes:
    try:
        return message.as_bytes(policy=_AS_SENT)
    except RecursionError:
        out.defects.append("NestingTooDeep")
    except Exception as exc:
        out.defects.append(f"AttachedMessageUnwritable: {type(exc).__name__}")
    try:
        return message.as_string(policy=_AS_SENT).encode("utf-8", "surrogateescape")
    except Exception:
        lines = [f"{key}: {value}" for key, value in message.raw_items()]
        return ("\n".join(lines) + "\n").encode("utf-8", "surrogateescape")


def _safe_name(name: str) -> str:
    """A file name without folders or control characters, at most 200 characters (extension kept)."""
    name = re.split(r"[/\\]", name or "")[-1]  # a name, never a path
    name = _UNSAFE_NAME.sub(" ", name).strip().strip(".").strip()
    if len(name) > 200:
        stem, dot, ext = name.rpartition(".")
        name = (stem[: 200 - len(ext) - 1] + dot + ext) if dot and len(ext) <= 10 else name[:200]
    return name


def _generated_name(leaf: _Leaf, embedded: Message | None, used: dict[str, int], hint: str | None) -> str:
    ctype = leaf.content_type
    description = decode_header_value(leaf.view.get("content-description", ""), hint).strip()
    if ctype in _EMBEDDED_MAIL or embedded is not None:
        subject = ""
        if embedded is not None:
            raw = [str(v) for k, v in embedded.raw_items() if k.lower() == "subject"]
            subject = decode_header_value(raw[0], hint).strip() if raw else ""
        stem, ext = (_safe_name(subject) or _safe_name(description)[:80] or "forwarded-message"), ".eml"
    elif ctype in _REPORT_TYPES:
        stem, ext = (_safe_name(description)[:80] or _REPORT_TYPES[ctype]), ".txt"
    else:
        major = ctype.split("/", 1)[0]
        stem = major if major in ("image", "audio", "video") else "attachment"
        guessed = _EXTENSIONS.get(ctype) or mimetypes.guess_extension(ctype, strict=False)
        ext = guessed or (".txt" if major == "text" else ".bin")
    count = used.get(stem + ext, 0) + 1
    used[stem + ext] = count
    if stem in ("image", "audio", "video"):
        return f"{stem}-{count}{ext}"
    return f"{stem}{ext}" if count == 1 else f"{stem}-{count}{ext}"
