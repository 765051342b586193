"""CloudMailin's inbound webhook, which anymail does not cover: its JSON, multipart and raw-message formats.

Secured like the anymail webhooks (basic auth with ANYMAIL_WEBHOOK_SECRET in the target URL) and handed to the
same `inbound` signal, so webhooks.py stores the mail. CloudMailin has no spam score; its SPF result stands in.
"""

from __future__ import annotations

import json
import re
from typing import Any

from anymail.exceptions import AnymailWebhookValidationFailure
from anymail.inbound import AnymailInboundMessage
from anymail.signals import AnymailInboundEvent, EventType, inbound
from anymail.webhooks.base import AnymailBaseWebhookView
from django.http import HttpRequest, QueryDict
from django.utils.datastructures import MultiValueDict

_FIELD = re.compile(r"^([^\[\]]+)((?:\[[^\[\]]*\])*)$")
_SPAM_BY_SPF = {"fail": True, "pass": False}


def _nested(form: QueryDict) -> dict[str, Any]:
    """Multipart field names like envelope[spf][result] or headers[Received][0] nested as in the JSON format."""
    data: dict[str, Any] = {}
    for name, values in form.lists():
        match = _FIELD.match(name)
        keys = [match.group(1), *re.findall(r"\[([^\[\]]*)\]", match.group(2))] if match else [name]
        node = data
        for key in keys[:-1]:
            if not isinstance(node.get(key), dict):
                node[key] = {}
            node = node[key]
        node[keys[-1]] = values[-1]
    return _listed(data)


def _listed(value: Any) -> Any:
    # {"0": a, "1": b} (numbered form fields) -> [a, b]
    if not isinstance(value, dict):
        return value
    items = {key: _listed(item) for key, item in value.items()}
    if items and all(key.isdigit() for key in items):
        return [items[key] for key in sorted(items, key=int)]
    return items


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def cloudmailin_message(
    data: dict[str, Any], files: MultiValueDict | None = None
) -> tuple[AnymailInboundMessage, str | None]:
    """The message from CloudMailin's fields, and its raw text when the original is to be stored as posted."""
    raw = data.get("message") if isinstance(data.get("message"), str) else None
    attachments = [a for a in _as_list(data.get("attachments")) if isinstance(a, dict)]
    if raw:
        message = AnymailInboundMessage.parse_raw_mime(raw)
    else:
        headers = [
            (name, str(value))
            for name, values in (data.get("headers") or {}).items()
            if not name.lower().startswith(("content-", "mime-version"))  # construct() builds its own MIME
            for value in _as_list(values)
        ]
        parts = [
            AnymailInboundMessage.construct_attachment(
                content_type=a.get("content_type") or "application/octet-stream",
                content=a["content"],
                base64=True,
                filename=a.get("file_name"),
                content_id=a.get("content_id") or None,
            )
            for a in attachments
            if a.get("content")
        ]
        parts += [AnymailInboundMessage.construct_attachment_from_uploaded_file(f) for f in (files or {}).values()]
        message = AnymailInboundMessage.construct(
            headers=headers, text=data.get("plain"), html=data.get("html"), attachments=parts
        )
    # Attachment-store mode posts links instead of files; fetching them is not ours to do, keeping them is.
    for a in attachments:
        if a.get("url") and not a.get("content"):
            message.add_attachment(
                f"{a['url']}\r\n", subtype="uri-list", filename=f"{a.get('file_name') or 'file'}.url"
            )
            raw = None  # the posted raw text lacks these parts
    envelope = data.get("envelope") or {}
    message.envelope_sender = envelope.get("from")
    message.envelope_recipient = envelope.get("to")
    message.spam_detected = _SPAM_BY_SPF.get(str((envelope.get("spf") or {}).get("result", "")).lower())
    return message, raw


class CloudMailinInboundWebhookView(AnymailBaseWebhookView):
    """POST target for CloudMailin (any of its HTTP formats)."""

    esp_name = "CloudMailin"
    signal = inbound

    def parse_events(self, request: HttpRequest) -> list[AnymailInboundEvent]:
        if request.content_type == "application/json":
            try:
                data = json.loads(request.body)
            except ValueError as exc:
                raise AnymailWebhookValidationFailure("CloudMailin webhook posted invalid JSON") from exc
            files = None
        else:
            data, files = _nested(request.POST), request.FILES
        if not isinstance(data, dict):
            raise AnymailWebhookValidationFailure("CloudMailin webhook posted an unexpected payload")
        message, raw = cloudmailin_message(data, files)
        event = AnymailInboundEvent(
            event_type=EventType.INBOUND, timestamp=None, event_id=None, esp_event={"raw_message": raw}, message=message
        )
        return [event]
