"""JSON in: refused whole, with a clear reason, when its text cannot be stored as it came."""

from __future__ import annotations

import re
from typing import Any

from django.utils.translation import gettext as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

# A NUL character, or half of a UTF-16 surrogate pair that JSON's \\u escapes can spell but UTF-8 cannot:
# PostgreSQL refuses both, so they would otherwise fail at the database, as a server error.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def _unstorable(value: Any) -> bool:
    if isinstance(value, str):
        return bool(_UNSTORABLE.search(value))
    if isinstance(value, dict):
        return any(_unstorable(key) or _unstorable(item) for key, item in value.items())
    if isinstance(value, list):
        return any(_unstorable(item) for item in value)
    return False


class StrictJSONParser(JSONParser):
    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        data = super().parse(stream, media_type, parser_context)
        if _unstorable(data):
            raise ParseError(
                _("The JSON holds a NUL character or a lone surrogate (\\ud800–\\udfff), which no text may contain.")
            )
        return data
