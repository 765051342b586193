"""HTML mail as readable plain text: what we store and search when a sender gives no text/plain part."""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

# Their content is never shown to a reader.
_DROP = {"script", "style", "head", "title", "template", "noscript", "xml"}
# A line ends after these (start or end tag).
_BREAK_AFTER = {"br", "p", "div", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "table", "ul", "ol"}
_BREAK_AFTER |= {"blockquote", "pre", "dt", "dd", "address", "section", "article", "header", "footer", "center"}
_CELL = {"td", "th"}

_SPACES = re.compile(r"[ \t\r\f\v\u00a0\u200b]+")
_MANY_BREAKS = re.compile(r"\n{3,}")


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.dropping: list[str] = []
        self.pre = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _DROP:
            self.dropping.append(tag)
        elif tag == "pre":
            self.pre += 1
        elif tag in ("br", "hr"):
            self.parts.append("\n")
        elif tag in _BREAK_AFTER:
            self._block()
        elif tag in _CELL:
            self.parts.append(" ")

    def _block(self) -> None:
        # A block edge ends the line once; `</p><div>` is one line break, not two (only <br> repeats).
        for part in reversed(self.parts):
            if part.strip(" "):
                if not part.endswith("\n"):
                    self.parts.append("\n")
                return

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("br", "hr", "p", "div"):
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _DROP:
            if tag in self.dropping:
                # Close up to the matching tag: unclosed inner tags must not swallow the rest.
                while self.dropping and self.dropping.pop() != tag:
                    pass
        elif tag == "pre":
            self.pre = max(0, self.pre - 1)
            self._block()
        elif tag in _BREAK_AFTER:
            self._block()
        elif tag in _CELL:
            self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        if self.dropping:
            return
        if self.pre:
            self.parts.append(data.replace("\r\n", "\n").replace("\n", "\x00"))  # kept through whitespace folding
        else:
            self.parts.append(re.sub(r"\s+", " ", data))


_TAG = re.compile(r"<[^>]*>", re.S)
_DROP_BLOCK = re.compile(r"<(script|style|head|title)\b.*?</\1\s*>", re.S | re.I)
_BREAK_TAG = re.compile(r"<\s*(?:br|hr)\b[^>]*>|</\s*(?:p|div|li|tr|h[1-6]|table|blockquote)\s*>", re.I)


def _regex_text(markup: str) -> str:
    """Fallback when the HTML parser gives up: the same rules with regular expressions."""
    markup = _DROP_BLOCK.sub(" ", markup)
    markup = _BREAK_TAG.sub("\n", markup)
    markup = re.sub(r"\s*\n\s*", "\n", markup)
    return html.unescape(_TAG.sub(" ", markup))


def html_to_text(markup: str) -> str:
    """Readable text from an HTML body: no scripts or styles, a line per block, entities decoded. Never raises."""
    if not markup:
        return ""
    try:
        parser = _TextExtractor()
        parser.feed(markup)
        parser.close()
        text = "".join(parser.parts)
    except Exception:
        text = _regex_text(markup)
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    text = "\n".join(lines).replace("\x00", "\n")
    return _MANY_BREAKS.sub("\n\n", text).strip()
