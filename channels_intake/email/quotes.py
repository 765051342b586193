"""Splitting a follow-up into what the person just wrote and the quoted history / signature below it.

The caller keeps the whole body and folds the second half away, so `reply + quoted` always covers the input:
`reply` is a prefix of the text (line endings normalised to "\\n"), `quoted` is the rest. Works line by line with
small anchored regexes only, so odd input stays linear in time.
"""

from __future__ import annotations

import re

from channels_intake.email.html_text import html_to_text

MAX_LINE = 2000  # longer lines are never headers or signatures; skip pattern work on them

# "On <date>, <name> wrote:" in the languages we see, possibly wrapped over up to three lines.
WROTE_RE = re.compile(
    r"\b(?:wrote|writes|schrieb|a écrit|escribió|ha scritto|schreef|skrev|napisał\(a\)|napisał|pisze|escreveu"
    r"|написал\(а\)|написала|написал|пише|написав|kirjoitti|yazdı|写道|寫道)(?:\s*[:：]\s*$|\b.{0,120}[:：]\s*$)",
    re.IGNORECASE,
)
ATTRIBUTION_START_RE = re.compile(
    r"^\s*(?:on|am|le|el|il|op|den|dne|w dniu|em|på|в|у|在|\d|\"|\S+@)|.*<\S+@", re.IGNORECASE
)
# Gmail in other locales: "2016-10-24 15:36 GMT+02:00 Name <a@b>:" (no verb at all).
DATED_ADDRESS_RE = re.compile(r"^\d{1,4}[-./]\d{1,2}[-./]\d{1,4}\b.{0,200}(?:@[^\s>]{1,100}>?|>)\s*[:：]\s*$")
# Yandex / mail.ru style attribution: "26.06.2014, 14:41, "Name" <a@b>:" or "<date> от Name <a@b>:".
ATTRIBUTION_RE = re.compile(r"^.{0,120}\d{1,4}[.:/-]\d{1,2}.{0,200}@[^\s>]{1,100}>?\s*:\s*$")
ORIGINAL_RE = re.compile(
    r"^[\s>*_-]*(?:-{2,}\s*)?(?:original message|ursprüngliche nachricht|message d'origine|mensaje original"
    r"|messaggio originale|oorspronkelijk bericht|opprinnelig melding|originalmeddelande|ursprungligt meddelande"
    r"|wiadomość oryginalna|oryginalna wiadomość|mensagem original|исходное сообщение|оригинальное сообщение"
    r"|вихідне повідомлення|原始邮件|原始郵件|forwarded message|weitergeleitete nachricht|message transféré"
    r"|mensaje reenviado|messaggio inoltrato|doorgestuurd bericht|videresendt melding|vidarebefordrat meddelande"
    r"|wiadomość przekazana|mensagem encaminhada|пересланное сообщение|переслане повідомлення"
    r"|begin forwarded message|anfang der weitergeleiteten nachricht|début du message réexpédié)\s*:?\s*(?:-{2,})?\s*$",
    re.IGNORECASE,
)
FROM_FIELD_RE = re.compile(
    r"^\s*[*>\s]*(?:from|von|de|da|van|fra|från|od|от|від|发件人|寄件者|寄件人)\s*\*?\s*[:：]", re.IGNORECASE
)
OTHER_FIELD_RE = re.compile(
    r"^\s*[*>\s]*(?:sent|date|to|subject|cc|gesendet|datum|an|betreff|envoyé|à|objet|enviado|fecha|para|asunto"
    r"|inviato|data|a|oggetto|verzonden|aan|onderwerp|sendt|til|emne|skickat|till|ämne|wysłano|do|temat|enviada"
    r"|assunto|отправлено|дата|кому|тема|надіслано|发送时间|日期|收件人|主题|寄件日期|主旨)\s*\*?\s*[:：]",
    re.IGNORECASE,
)
DELIMITER_RE = re.compile(r"^\s*(?:[-_=*#~+•·—]{2,}|ᐧ)\s*$")
SIG_DASHES_RE = re.compile(r"^--\s?$")
# Phone and app signatures ("Sent from my iPhone" ...), kept short so a sentence that merely starts alike survives.
MOBILE_SIG_RE = re.compile(
    r"^\s*(?:\(|<<)?\s*(?:sent (?:from|with|via|using|by) |get outlook for |envoyé (?:depuis|de) |von meinem "
    r"|gesendet von |enviado (?:desde|de) |inviato da |verzonden (?:met|vanaf) |sendt fra |skickat från "
    r"|wysłane z |отправлено с "
    r"|diese nachricht wurde von |從我的 |从我的 |from my iphone|someone from mobile)",
    re.IGNORECASE,
)


def _is_mobile_sig(line: str) -> bool:
    # "Sent from my desk, is much easier than my phone." is prose; "Sent from my cell, please excuse typos" is not.
    return bool(MOBILE_SIG_RE.match(line)) and len(line) <= 90 and ("," not in line or "excuse" in line.lower())


def _header_block_at(lines: list[str], i: int) -> bool:
    """An Outlook/Apple style "From: … / Sent: … / To: …" block starts at line i."""
    if not FROM_FIELD_RE.match(lines[i]):
        return False
    others = 0
    for line in lines[i + 1 : i + 7]:
        if OTHER_FIELD_RE.match(line):
            others += 1
        elif line.strip() and others == 0 and len(line) > 200:
            return False
    return others >= 1


def _wrote_at(lines: list[str], i: int) -> int:
    """Number of lines (1-3) of an "On … wrote:" attribution starting at line i, or 0."""
    joined = ""
    for n in range(3):
        if i + n >= len(lines):
            break
        line = lines[i + n].strip()
        if not line or (line.startswith(">") and n):
            break
        joined = f"{joined} {line}".strip()
        if len(joined) > 400:
            break
        if WROTE_RE.search(joined) and (n or _looks_like_attribution(joined)):
            return n + 1
        if DATED_ADDRESS_RE.match(joined):
            return n + 1
        if n == 0 and ATTRIBUTION_RE.match(joined) and _next_is_quote(lines, i + 1):
            return 1
    return 0


def _looks_like_attribution(line: str) -> bool:
    # A bare "wrote:" sentence needs a date, an address or a time to count as a quote header.
    return bool(re.search(r"\d|@", line)) or len(line) < 120


def _next_is_quote(lines: list[str], j: int) -> bool:
    for line in lines[j : j + 3]:
        if line.strip():
            return line.lstrip().startswith(">")
    return True


def _boundary(lines: list[str], start: int = 0) -> int:
    """Index of the first line of quoted history (attribution, original-message marker, header block)."""
    for i in range(start, len(lines)):
        raw = lines[i]
        if len(raw) > MAX_LINE:
            continue
        if ORIGINAL_RE.match(raw) or _header_block_at(lines, i):
            return i
        span = _wrote_at(lines, i)
        # A wrapped attribution may start on a later line: then this line is still the reply.
        if span and (span == 1 or ATTRIBUTION_START_RE.match(lines[i]) or not _wrote_at(lines, i + 1)):
            after = _after_quote(lines, i + span)
            if after is not None and any(not _is_blank(line) for line in lines[:i]):
                # Inline answers below the quote: the reply goes on; look for the real history further down.
                return _boundary(lines, after) if after - start < 10_000 else i
            return i
    return len(lines)


def _after_quote(lines: list[str], j: int) -> int | None:
    """If quoted (">") lines at j are followed by the person's own text, the index of that text; else None."""
    k = j
    quoted = 0
    while k < len(lines) and (_is_blank(lines[k]) or lines[k].lstrip().startswith(">")):
        quoted += not _is_blank(lines[k])
        k += 1
    if not quoted or k >= len(lines):
        return None
    rest = lines[k:]
    # Only a signature / delimiter / footer below the quote is not an inline answer.
    if _signature_start(rest, len(rest)) == 0 or DELIMITER_RE.match(rest[0]) or _is_mobile_sig(rest[0]):
        return None
    return k


def _is_blank(line: str) -> bool:
    return not line.strip()


def _signature_start(lines: list[str], end: int) -> int:
    """First line of a trailing signature ("-- ", phone signature) before `end`, or `end`."""
    first_text = next((i for i in range(end) if not _is_blank(lines[i])), end)
    for i in range(first_text + 1, end):
        line = lines[i]
        if SIG_DASHES_RE.match(line.rstrip("\r")) or (_is_mobile_sig(line) and not lines[i].startswith(">")):
            return i
    return end


def _trim_tail(lines: list[str], end: int) -> int:
    """Move `end` back over trailing blank, delimiter and quoted lines, unless that would leave nothing."""
    k = end
    while k > 0 and (
        _is_blank(lines[k - 1]) or DELIMITER_RE.match(lines[k - 1]) or lines[k - 1].lstrip().startswith(">")
    ):
        k -= 1
    if not any(not _is_blank(line) for line in lines[:k]):
        # Only quotes (or nothing) above the cut: the "reply" is the quote itself; keep it visible.
        k = end
        while k > 0 and _is_blank(lines[k - 1]):
            k -= 1
    return k


def _below_leading_quote(lines: list[str], start: int) -> int | None:
    """Line index where new text starts under a leading attribution/header block and its quoted lines."""
    i = start
    if i >= len(lines):
        return None
    span = _wrote_at(lines, i)
    if span:
        i += span
    elif ORIGINAL_RE.match(lines[i]) or _header_block_at(lines, i):
        i += 1
        while (
            i < len(lines)
            and lines[i].strip()
            and (_header_block_at(lines, i) or OTHER_FIELD_RE.match(lines[i]) or not lines[i].startswith(">"))
        ):
            i += 1  # header fields (possibly wrapped) up to the blank line that ends them
    else:
        return None
    while i < len(lines) and (_is_blank(lines[i]) or lines[i].lstrip().startswith(">")):
        i += 1
    return i if i < len(lines) else None


def split_reply(text: str) -> tuple[str, str]:
    """(new text, quoted history and signature). `reply` is a prefix of the "\\n"-normalised text."""
    if not text:
        return "", ""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n")
    end = _boundary(lines)
    if all(_is_blank(line) for line in lines[:end]):
        below = _below_leading_quote(lines, end)
        if below is not None:
            # Bottom-posting: the quote comes first and the new text under it. Here `reply` is that text and
            # `quoted` the block above it (still reply + quoted == the whole input, only in another order).
            reply, _ = split_reply("\n".join(lines[below:]))
            if reply.strip():
                return reply.strip("\n"), "\n".join(lines[:below]).strip("\n")
    end = _signature_start(lines, end)
    end = _trim_tail(lines, end)
    if end <= 0:
        return "", text.strip("\n")
    reply = "\n".join(lines[:end]).rstrip()
    quoted = text[len(reply) :].strip("\n")
    return reply, quoted


def extract_forwarded(text: str) -> tuple[str, str] | None:
    """(text written above a forwarded/embedded mail, the embedded mail from its header block on), or None."""
    text = text.replace("\r\n", "\n")
    lines = text.split("\n")
    for i in range(len(lines)):
        if len(lines[i]) <= MAX_LINE and _header_block_at(lines, i):
            before = lines[:i]
            while before and (_is_blank(before[-1]) or DELIMITER_RE.match(before[-1]) or ORIGINAL_RE.match(before[-1])):
                before.pop()
            return "\n".join(before).strip(), "\n".join(lines[i:]).strip()
    return None


CLOSING_RE = re.compile(
    r"^\s*(?:thanks?(?: you| again| a lot)?|many thanks|best(?: regards| wishes)?|kind regards|regards|cheers|sincerely"
    r"|yours(?: truly| sincerely)?|warm regards|all the best|cordialement|mit freundlichen grüßen|viele grüße|gruß"
    r"|saludos|un saluto|met vriendelijke groet|hälsningar|pozdrawiam|atenciosamente|с уважением)\s*[,.!]?\s*$",
    re.IGNORECASE,
)


def extract_signature(text: str, sender: str = "") -> tuple[str, str]:
    """(body without signature, signature) for a reply, using the sender's name or address as the anchor.

    Looks only at the last lines: a "-- " or dashes delimiter, or a line carrying the sender's name/address (plus
    a closing like "Thanks," right above it) starts the signature. Returns (text, "") when none is found.
    """
    text = text.replace("\r\n", "\n").rstrip()
    lines = text.split("\n")
    window = max(0, len(lines) - 15)
    tokens = _sender_tokens(sender)
    start = -1
    for i in range(window, len(lines)):
        line = lines[i].strip()
        if i > 0 and (SIG_DASHES_RE.match(line) or re.fullmatch(r"-{4,}", line)):
            start = i
            break
        low = line.lower()
        if tokens and line and len(line) < 80 and any(t in low for t in tokens):
            start = i
            break
    if start <= 0:
        return text, ""
    if start > 0 and CLOSING_RE.match(lines[start - 1]):
        start -= 1
    body = "\n".join(lines[:start]).rstrip()
    return body, "\n".join(lines[start:]).strip("\n")


def _sender_tokens(sender: str) -> list[str]:
    sender = sender.strip().lower()
    if not sender:
        return []
    if "@" in sender:
        local = sender.split("@", 1)[0]
        return [sender, *(p for p in re.split(r"[._+-]", local) if len(p) > 2)]
    return [sender] + [p for p in sender.split() if len(p) > 2]


# --- HTML -----------------------------------------------------------------------------------------------------------

HTML_MARKERS = [
    re.compile(p, re.IGNORECASE)
    for p in (
        r"<div[^>]{0,300}class=[\"']?[^\"'>]{0,100}\bgmail_quote",
        r"<blockquote[^>]{0,300}class=[\"']?[^\"'>]{0,100}\bgmail_quote",
        r"<div[^>]{0,300}class=[\"']?[^\"'>]{0,100}\bmoz-cite-prefix",
        r"<blockquote[^>]{0,300}type=[\"']?cite",
        r"<div[^>]{0,300}id=[\"']?divRplyFwdMsg",
        r"<[a-z]+[^>]{0,300}id=[\"']?OLK_SRC_BODY_SECTION",
        r"<div[^>]{0,300}class=[\"']?[^\"'>]{0,100}\byahoo_quoted",
        r"<div[^>]{0,300}style=[\"'][^\"'>]{0,200}border-top:\s*solid\s+#(?:B5C4DF|E1E1E1)",
        r"<div[^>]{0,300}style=[\"'][^\"'>]{0,300}border-top-style:\s*solid",
        r"<hr\b",
        r"<blockquote\b",
    )
]


def split_reply_html(html: str) -> tuple[str, str]:
    """(reply HTML fragment, quoted HTML fragment). The cut may leave tags unclosed: sanitise (nh3) before display."""
    if not html:
        return "", ""
    body_at = re.search(r"<body\b[^>]*>", html, re.IGNORECASE)
    start = body_at.end() if body_at else 0
    cut = len(html)
    for marker in HTML_MARKERS:
        found = marker.search(html, start)
        if found and found.start() < cut:
            cut = found.start()
    # Header blocks written as plain HTML text (Outlook 2010 "From: … Sent: …", attributions above a quote):
    # find them in the text of the part before the cut and move the cut to the tag holding their first words.
    head_text = html_to_text(html[start:cut])
    reply_text, quoted_text = split_reply(head_text)
    if quoted_text and reply_text:
        first = quoted_text.split("\n", 1)[0].strip()[:20]
        pos = _find_text(html, first, start, cut)
        if pos >= 0:
            tag = max(html.rfind("<p", start, pos), html.rfind("<div", start, pos), html.rfind("<br", start, pos))
            cut = tag if tag > start else pos
    if not html_to_text(html[start:cut]).strip():
        return html, ""  # nothing above the quote: show everything rather than an empty reply
    return html[:cut], html[cut:]


def _find_text(html: str, words: str, start: int, end: int) -> int:
    """Position in raw HTML of text `words`, allowing tags/entities between characters of the first word."""
    if not words:
        return -1
    first_word = re.escape(words.split(" ", 1)[0][:12])
    pattern = re.compile(first_word.replace(r"\ ", r"(?:\s|&nbsp;)+"), re.IGNORECASE)
    hits = [m.start() for m in pattern.finditer(html, start, end) if not _inside_tag(html, m.start())]
    if not hits:
        return -1
    # The last hit before the cut: the header sits right above the quote.
    return hits[-1] if len(hits) > 1 and not words.lower().startswith(("from", "von", "от", "de")) else hits[0]


def _inside_tag(html: str, pos: int) -> bool:
    return html.rfind("<", 0, pos) > html.rfind(">", 0, pos)
