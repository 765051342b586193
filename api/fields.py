"""Input fields the API shares: attachments (base64 in JSON, or files in multipart) and id references."""

from __future__ import annotations

import base64
import binascii
import mimetypes
import re
import unicodedata
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from tickets.attachments import NewAttachment

_CONTENT_TYPE = re.compile(r"^[\w.+-]+/[\w.+-]+$")


def clean_filename(name: str) -> str:
    """The last part of a path, without control characters, at most 255 characters."""
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(c for c in name if unicodedata.category(c)[0] != "C").strip(" .")
    return name[:255] or "attachment"


@extend_schema_field(
    {
        "type": "object",
        "required": ["filename", "content_base64"],
        "properties": {
            "filename": {"type": "string", "maxLength": 255, "minLength": 1},
            "content_type": {"type": "string", "description": "Guessed from the name when left out."},
            "content_base64": {"type": "string", "format": "byte", "description": "The file, base64-encoded."},
        },
        "description": "A file, base64-encoded in JSON (or sent as a file part named `attachments` in multipart).",
    }
)
class AttachmentField(serializers.Field):
    """One attachment: {"filename", "content_type", "content_base64"} in JSON, or an uploaded file in multipart."""

    default_error_messages = {
        "invalid": _("An attachment is an object with filename and content_base64 (or a file in multipart)."),
        "base64": _("content_base64 is not valid base64."),
        "too_large": _("The attachment is larger than %(limit)s."),
        "content_type": _("content_type must look like type/subtype, for example application/pdf."),
    }

    def to_internal_value(self, data: Any) -> NewAttachment:
        limit = settings.HELPDESK_API_MAX_ATTACHMENT_BYTES
        if isinstance(data, UploadedFile):
            if data.size > limit:
                self.fail("too_large", limit=filesizeformat(limit))
            name = clean_filename(data.name or "")
            return NewAttachment(
                filename=name, content_type=self._type(data.content_type or "", name), data=data.read()
            )
        if not isinstance(data, dict) or not isinstance(data.get("filename"), str):
            self.fail("invalid")
        encoded = data.get("content_base64")
        if not isinstance(encoded, str):
            self.fail("invalid")
        # Decoded size is about 3/4 of the text: refuse a huge text before decoding it.
        if len(encoded) > limit * 4 // 3 + 4:
            self.fail("too_large", limit=filesizeformat(limit))
        try:
            content = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError):
            self.fail("base64")
        if len(content) > limit:
            self.fail("too_large", limit=filesizeformat(limit))
        name = clean_filename(data["filename"])
        given = data.get("content_type")
        if given is not None and not isinstance(given, str):
            self.fail("content_type")
        return NewAttachment(filename=name, content_type=self._type(given or "", name), data=content)

    def _type(self, given: str, name: str) -> str:
        given = (given or "").split(";", 1)[0].strip().lower()
        if given and not _CONTENT_TYPE.match(given):
            self.fail("content_type")
        return given or mimetypes.guess_type(name)[0] or "application/octet-stream"

    def to_representation(self, value: Any) -> Any:
        return None


class AttachmentListField(serializers.ListField):
    child = AttachmentField()

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("max_length", 20)
        kwargs.setdefault("help_text", "Up to 20 files.")
        super().__init__(**kwargs)
