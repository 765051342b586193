"""Turning mail bytes into text whatever the sender declared: superset codecs, fallbacks, RFC 2047 words.

Nothing here raises on bad input: a wrong, unknown or missing charset falls back to UTF-8, then the
sender's likely charset (a hint), then windows-1252 and finally latin-1, which decodes any byte.
"""

from __future__ import annotations

import binascii
import codecs
import re
from collections.abc import Callable

# Declared charset -> the codec that decodes it *and* what senders really put under that label.
_SUPERSETS = {
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "euc-cn": "gb18030",
    "cp936": "gb18030",
    "gb_2312-80": "gb18030",
    "csgb2312": "gb18030",
    "chinese": "gb18030",
    "big5": "big5hkscs",
    "x-big5": "big5hkscs",
    "cn-big5": "big5hkscs",
    "shift_jis": "cp932",
    "shift-jis": "cp932",
    "sjis": "cp932",
    "x-sjis": "cp932",
    "ms_kanji": "cp932",
    "csshiftjis": "cp932",
    "windows-31j": "cp932",
    "ks_c_5601-1987": "cp949",
    "ks_c_5601": "cp949",
    "ks_c_5601-1989": "cp949",
    "ksc5601": "cp949",
    "ksc_5601": "cp949",
    "euc-kr": "cp949",
    "korean": "cp949",
    "iso-8859-1": "cp1252",
    "iso8859-1": "cp1252",
    "iso_8859-1": "cp1252",
    "latin1": "cp1252",
    "latin-1": "cp1252",
    "l1": "cp1252",
    "us-ascii": "cp1252",
    "ascii": "cp1252",
    "ansi_x3.4-1968": "cp1252",
    "iso-8859-9": "cp1254",
    "latin5": "cp1254",
    "iso-8859-11": "cp874",
    "tis-620": "cp874",
    "iso-8859-8-i": "iso8859_8",
    "iso-8859-6-i": "iso8859_6",
    "macintosh": "mac_roman",
    "x-mac-roman": "mac_roman",
    "unicode-1-1-utf-7": "utf-7",
    "utf8": "utf-8",
}

# Codecs to try next when the declared one fails strictly: the same family's usual mislabels.
_ALTERNATES = {
    "iso8859_6": ["cp1256"],
    "iso8859_8": ["cp1255"],
    "iso8859_7": ["cp1253"],
    "iso8859_2": ["cp1250"],
    "iso8859_5": ["cp1251"],
    "koi8_r": ["koi8_u", "cp1251"],
    "iso2022_jp": ["iso2022_jp_ext", "iso2022_jp_2", "x-iso2022jp-cp932", "cp932", "euc_jp"],
    "euc_jp": ["cp932"],
    "cp932": ["euc_jp"],
    "big5hkscs": ["cp950"],
}

# Labels that mean "we do not know": treated as no charset at all.
_UNKNOWN = {"", "unknown", "unknown-8bit", "x-unknown", "default", "8bit", "charset", "none", "x-user-defined"}

# Text codecs that would turn bytes into something other than the sender's words.
_REFUSED = ("escape", "idna", "punycode", "undefined", "rot", "hex", "base64", "zlib", "bz2", "uu", "quopri")

_WINDOWS_LABEL = re.compile(r"^(?:windows|win|x-cp|cp|ms)[-_]?(\d{3,4})$")


def codec_for(charset: str | None) -> str | None:
    """The Python codec name to decode a declared charset with (superset applied); None if unknown."""
    if not charset or not isinstance(charset, str):
        return None
    label = charset.strip().strip("\"'").strip().lower()
    label = label.split("*", 1)[0]  # RFC 2231 language suffix: utf-8*en
    if label in _UNKNOWN or len(label) > 40:
        return None
    label = _SUPERSETS.get(label, label)
    match = _WINDOWS_LABEL.match(label)
    if match:
        label = "cp" + match.group(1)
    try:
        name = codecs.lookup(label).name
    except (LookupError, ValueError):
        return None
    name = _SUPERSETS.get(name, name)
    if name == "latin-1" or name == "iso8859-1" or name == "ascii":
        name = "cp1252"
    if any(bad in name for bad in _REFUSED):
        return None
    return name


def _candidates(charset: str | None) -> list[str]:
    codec = codec_for(charset)
    if codec is None:
        return []
    return [codec, *_ALTERNATES.get(codec, [])]


def _strict(data: bytes, codec: str) -> str | None:
    if codec == _JIS_VIA_CP932:
        return _iso2022jp_via_cp932(data)
    try:
        return data.decode(codec)
    except (UnicodeError, LookupError, ValueError):
        return None


_JIS_VIA_CP932 = "x-iso2022jp-cp932"
_JIS_ESCAPE = re.compile(rb"\x1b(\$[@B]|\([BJI])")


def _iso2022jp_via_cp932(data: bytes) -> str | None:
    """ISO-2022-JP as Windows writes it (NEC and IBM extensions such as ①): re-encode as Shift_JIS, read as CP932."""
    out = bytearray()
    mode = b"(B"
    pos = 0
    for match in [*_JIS_ESCAPE.finditer(data), None]:
        end = match.start() if match else len(data)
        chunk = data[pos:end]
        if mode in (b"$@", b"$B"):
            i = 0
            while i < len(chunk):
                j1 = chunk[i]
                if j1 in (0x0A, 0x0D, 0x20):  # a line break or space the sender left in two-byte mode
                    out.append(j1)
                    i += 1
                    continue
                if i + 1 >= len(chunk) or not (0x21 <= j1 <= 0x7E and 0x21 <= chunk[i + 1] <= 0x7E):
                    return None
                j2 = chunk[i + 1]
                s1 = ((j1 + 1) >> 1) + (0x70 if j1 <= 0x5E else 0xB0)
                s2 = j2 + (0x1F + (j2 >= 0x60) if j1 % 2 else 0x7E)
                out += bytes((s1, s2))
                i += 2
        elif mode == b"(I":
            out += bytes(b | 0x80 for b in chunk)  # half-width katakana
        else:
            out += chunk
        if match:
            mode = match.group(1)
            pos = match.end()
    return _strict(bytes(out), "cp932")


def _mostly_utf8(data: bytes) -> str | None:
    """UTF-8 with a few broken sequences (a truncated or spliced mail): keep it as UTF-8 with replacements."""
    text = data.decode("utf-8", errors="replace")
    broken = text.count("\ufffd")
    multibyte = sum(1 for ch in text if ord(ch) > 0x7F and ch != "\ufffd")
    if multibyte and broken <= multibyte // 2:
        return text
    return None


def decode_bytes(data: bytes, charset: str | None = None, hint: str | None = None) -> str:
    """Decode bytes declared as `charset`; `hint` is the charset the rest of the mail uses. Never raises."""
    if not data:
        return ""
    if data.isascii() and not _looks_utf16(data):
        # 7-bit charsets (ISO-2022-*, UTF-7) still need their codec.
        for codec in _candidates(charset) if b"\x1b" in data or b"+" in data else []:
            if codec not in ("cp1252", "utf-8") and (text := _strict(data, codec)) is not None:
                return text
        return data.decode("ascii")
    declared = _candidates(charset)
    if declared and declared[0] == "cp1252":
        # ASCII/Latin-1 is the usual default label of mail that is really UTF-8.
        declared.insert(0, "utf-8")
    for codec in declared:
        text = _strict(data, codec)
        if text is not None:
            return text.removeprefix("\ufeff")
    text = _strict(data, "utf-8")
    if text is not None:
        return text.removeprefix("\ufeff")
    if not declared or declared[0] == "utf-8":
        text = _mostly_utf8(data)
        if text is not None:
            return text.removeprefix("\ufeff")
    for codec in [*_candidates(hint), "cp1252"]:
        text = _strict(data, codec)
        if text is not None:
            return text
    return data.decode("latin-1")


def _looks_utf16(data: bytes) -> bool:
    return data[:2] in (b"\xff\xfe", b"\xfe\xff") or (len(data) >= 4 and data.count(b"\x00") * 3 >= len(data))


# RFC 2047 encoded word, read leniently: lower-case B/Q, RFC 2231 language, no spaces inside.
_ENCODED_WORD = re.compile(rb"=\?([^?\s]{1,60})\?([BbQq])\?([^?\r\n]*?)\?=")
_FOLD = re.compile(rb"\r?\n(?=[ \t])")
_LINEBREAK = re.compile(rb"[\r\n]+")


def _word_bytes(encoding: bytes, text: bytes) -> bytes | None:
    try:
        if encoding in (b"B", b"b"):
            cleaned = re.sub(rb"[^A-Za-z0-9+/]", b"", text)
            if len(cleaned) % 4 == 1:  # one stray character cannot be base64
                cleaned = cleaned[:-1]
            cleaned += b"=" * (-len(cleaned) % 4)
            return binascii.a2b_base64(cleaned)
        return binascii.a2b_qp(text, header=True)
    except (binascii.Error, ValueError):
        return None


def header_to_bytes(value: str) -> bytes:
    """The header as the bytes that arrived (the parser keeps 8-bit bytes as surrogate escapes)."""
    try:
        return value.encode("ascii", "surrogateescape")
    except UnicodeEncodeError:
        return value.encode("utf-8", "surrogateescape")


def decode_header_value(
    value: str | bytes | None, hint: str | None = None, wrap: Callable[[str], str] | None = None
) -> str:
    """Decode a raw header value: unfold, RFC 2047 words (adjacent ones joined), raw 8-bit text.

    `wrap`, when given, receives each decoded run of encoded words and returns what stands in its place
    (address parsing uses it to keep a comma inside an encoded name from splitting the address list).
    """
    if value is None:
        return ""
    raw = value if isinstance(value, bytes) else header_to_bytes(str(value))
    raw = _LINEBREAK.sub(b"", _FOLD.sub(b"", raw))
    out: list[str] = []
    pos = 0
    run: list[tuple[str | None, bytes]] = []  # (charset, bytes) of adjacent encoded words

    def flush_run() -> None:
        if not run:
            return
        # Words in the same charset are joined before decoding: senders split multi-byte characters.
        text_parts: list[str] = []
        chunk, chunk_cs = b"", run[0][0]
        for cs, data in run:
            if cs != chunk_cs:
                text_parts.append(decode_bytes(chunk, chunk_cs, hint))
                chunk, chunk_cs = b"", cs
            chunk += data
        text_parts.append(decode_bytes(chunk, chunk_cs, hint))
        decoded = "".join(text_parts)
        out.append(wrap(decoded) if wrap else decoded)
        run.clear()

    for match in _ENCODED_WORD.finditer(raw):
        between = raw[pos : match.start()]
        data = _word_bytes(match.group(2), match.group(3))
        if data is None:
            continue  # not decodable: leave it as literal text
        if between and not (run and between.strip(b" \t") == b""):
            flush_run()
            out.append(decode_bytes(between, None, hint))
        charset = match.group(1).decode("ascii", "replace")
        run.append((charset, data))
        pos = match.end()
    flush_run()
    out.append(decode_bytes(raw[pos:], None, hint))
    return "".join(out).replace("\x00", "")
