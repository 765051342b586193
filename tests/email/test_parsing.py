"""parse_email on small hand-written messages: what an agent sees for each kind of mail."""

from __future__ import annotations

import base64
import hashlib
from datetime import UTC, datetime

import pytest

from channels_intake.email import parsing
from channels_intake.email.charsets import codec_for, decode_bytes, decode_header_value
from channels_intake.email.html_text import html_to_text
from channels_intake.email.parsed import AutoKind, Classification
from channels_intake.email.parsing import NotAnEmail, parse_email


def mail(headers: str, body: bytes | str = b"Hello\n") -> bytes:
    data = body.encode() if isinstance(body, str) else body
    return headers.strip("\n").encode() + b"\n\n" + data


def test_plain_message_fields() -> None:
    parsed = parse_email(
        mail(
            """
From: "Doe, Jane" <Jane@Example.com>
To: a@example.com, B <b@example.com>
Cc: c@example.com
Reply-To: reply@example.com
Subject: Printer broken [#1042]
Date: Mon, 20 Aug 2018 18:21:59 -0400
Message-ID: <abc@mail.example.com>
In-Reply-To: <prev@helpdesk.example>
References: <first@helpdesk.example>
 <prev@helpdesk.example>
Auto-Submitted: no
X-Mailer: Thunderbird
""",
            "It does not print.\n",
        )
    )
    assert (parsed.from_name, parsed.from_email) == ("Doe, Jane", "Jane@Example.com")
    assert parsed.to == ["a@example.com", "b@example.com"]
    assert parsed.cc == ["c@example.com"] and parsed.reply_to == ["reply@example.com"]
    assert parsed.subject == "Printer broken [#1042]"
    assert parsed.date == datetime(2018, 8, 20, 22, 21, 59, tzinfo=UTC)
    assert parsed.message_id == "abc@mail.example.com"
    assert parsed.in_reply_to == "prev@helpdesk.example"
    assert parsed.references == ["first@helpdesk.example", "prev@helpdesk.example"]
    assert parsed.body_text == "It does not print.\n" and parsed.body_html == ""
    assert parsed.headers["auto-submitted"] == "no" and parsed.headers["x-mailer"] == "Thunderbird"
    assert parsed.attachments == [] and parsed.defects == []


def test_crlf_and_lf_give_the_same_result() -> None:
    raw = mail("From: a@example.com\nSubject: x\nContent-Type: text/plain; charset=utf-8", "line 1\nline 2\n")
    assert parse_email(raw) == parse_email(raw.replace(b"\n", b"\r\n"))


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("=?utf-8?B?w6TDtsO8?= =?utf-8?Q?_und_=C3=9F?=", "äöü und ß"),  # space between words is dropped
        ("=?UTF-8?B?6YO9?==?UTF-8?B?55C5?=", "都琹"),  # no space at all
        ("=?utf-8?B?5Lit?= =?utf-8?B?5paH?=", "中文"),
        ("=?GB2312?B?g8iRqg==?=", "內應"),  # GBK characters labelled GB2312
        ("=?shift_jis?B?g2OBW4OL?=", "ツール"),
        ("=?windows-1256?Q?=C7=E1=DA=D1=C8=ED=C9?=", "العربية"),
        ("=?iso-8859-6?Q?=C7=E4=D9=D1=C8=EA=C9?=", "العربية"),
        ("=?x-no-such-charset?Q?caf=C3=A9?=", "café"),
        ("=?utf-8?B?not base64!!?=", "=?utf-8?B?not base64!!?="[0:0] or ""),
        ("plain, no words", "plain, no words"),
    ],
)
def test_encoded_words(header: str, expected: str) -> None:
    decoded = decode_header_value(header)
    if expected:
        assert decoded == expected
    else:
        assert isinstance(decoded, str)


def test_raw_eight_bit_header_uses_the_mails_charset() -> None:
    raw = b"From: a@example.com\nSubject: \x83c\x81[\x83\x8b\nContent-Type: text/plain; charset=shift_jis\n\nx\n"
    assert parse_email(raw).subject == "ツール"


@pytest.mark.parametrize(
    ("charset", "data", "text"),
    [
        ("windows-1256", "مرحبا بالعالم".encode("cp1256"), "مرحبا بالعالم"),
        ("iso-8859-6", "مرحبا".encode("iso8859_6"), "مرحبا"),
        ("utf-16", "Grüße".encode("utf-16"), "Grüße"),
        ("gb2312", "內應力".encode("gb18030"), "內應力"),
        ("ks_c_5601-1987", "안녕하세요".encode("cp949"), "안녕하세요"),
        ("iso-8859-1", "€ 10".encode("cp1252"), "€ 10"),
        ("us-ascii", "naïve".encode(), "naïve"),  # UTF-8 under an ASCII label
        ("bogus-charset", "Grüße".encode(), "Grüße"),
        ("bogus-charset", "Grüße".encode("cp1252"), "Grüße"),
        (None, b"\x81\x8d\x90", "\x81\x8d\x90"),  # bytes windows-1252 leaves undefined: latin-1
        ("utf-8", "lepší ".encode() * 5 + b"\xff", "lepší " * 5 + "\ufffd"),
        ("iso-2022-jp", "①１都".encode("cp932").decode("cp932").encode("iso2022_jp_2004", "replace"), None),
    ],
)
def test_body_charsets(charset: str | None, data: bytes, text: str | None) -> None:
    decoded = decode_bytes(data, charset)
    if text is not None:
        assert decoded == text


def test_codec_refuses_non_text_codecs() -> None:
    assert codec_for("base64") is None and codec_for("rot13") is None and codec_for("unicode_escape") is None
    assert codec_for("GB2312") == "gb18030" and codec_for("Shift_JIS") == "cp932" and codec_for("latin1") == "cp1252"


def test_body_in_declared_charset() -> None:
    body = "مرحبا، كيف يمكنني المساعدة؟".encode("cp1256")
    raw = mail(
        "From: a@example.com\nContent-Type: text/plain; charset=windows-1256\nContent-Transfer-Encoding: 8bit", body
    )
    assert parse_email(raw).body_text == "مرحبا، كيف يمكنني المساعدة؟"


def test_html_only_mail_gets_a_text_body() -> None:
    html = (
        "<html><head><style>p{}</style><script>x()</script></head>"
        "<body><p>Hi&nbsp;there</p><div>a &amp; b<br>c</div></body></html>"
    )
    parsed = parse_email(mail("From: a@example.com\nContent-Type: text/html; charset=utf-8", html))
    assert parsed.body_html == html
    assert parsed.body_text == "Hi there\na & b\nc"


def test_html_to_text_rules() -> None:
    assert html_to_text("<ul><li>one</li><li>two</li></ul>") == "one\ntwo"
    assert html_to_text("<h1>Title</h1>text &lt;tag&gt; &#8364;") == "Title\ntext <tag> €"
    assert html_to_text("<![if !supportLists]>x<![endif]> <b>bold</b>") == "x bold"
    assert html_to_text("<p>unclosed <script>evil(") == "unclosed"
    assert html_to_text("") == ""


def test_alternative_takes_text_and_html() -> None:
    raw = mail(
        "From: a@example.com\nContent-Type: multipart/alternative; boundary=b",
        "--b\nContent-Type: text/plain\n\nplain\n--b\nContent-Type: text/html\n\n<p>html</p>\n--b--\n",
    )
    parsed = parse_email(raw)
    assert parsed.body_text.strip() == "plain" and "<p>html</p>" in parsed.body_html and parsed.attachments == []


def _multipart(parts: list[str], kind: str = "mixed") -> bytes:
    body = "".join(f"--XX\n{p}\n" for p in parts) + "--XX--\n"
    return mail(f"From: a@example.com\nSubject: att\nContent-Type: multipart/{kind}; boundary=XX", body)


def test_attachments_names_types_and_inline_images() -> None:
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 20
    b64 = base64.b64encode(png).decode()
    raw = _multipart(
        [
            'Content-Type: text/html; charset=utf-8\n\n<p>see <img src="cid:logo@x"></p>',
            f"Content-Type: image/png\nContent-ID: <logo@x>\nContent-Transfer-Encoding: base64\n\n{b64}",
            f"Content-Type: image/png\nContent-Transfer-Encoding: base64\n\n{b64}",
            "Content-Type: application/pdf\n"
            "Content-Disposition: attachment; filename*=utf-8''Gr%C3%BC%C3%9Fe%20Bericht.pdf\n"
            "Content-Transfer-Encoding: base64\n\nJVBERi0=",
            "Content-Type: application/pdf\nContent-Disposition: attachment\n"
            "Content-Transfer-Encoding: base64\n\nJVBERi0=",
            'Content-Type: text/plain; name="=?utf-8?Q?Erkl=C3=A4rung.txt?="\n\nnamed text',
            'Content-Type: application/octet-stream; name="../../etc/passwd"\n\nx',
            "Content-Type: application/ms-tnef; name=winmail.dat\nContent-Transfer-Encoding: base64\n\neJ8+IgAA",
        ],
        "related",
    )
    parsed = parse_email(raw)
    atts = {a.filename: a for a in parsed.attachments}
    assert list(atts) == [
        "image-1.png",
        "image-2.png",
        "Grüße Bericht.pdf",
        "attachment.pdf",
        "Erklärung.txt",
        "passwd",
        "winmail.dat",
    ]
    logo = atts["image-1.png"]
    assert logo.content_id == "logo@x" and logo.inline and logo.data == png and logo.size == len(png)
    assert not atts["image-2.png"].inline
    assert atts["Grüße Bericht.pdf"].data == b"%PDF-" and atts["Grüße Bericht.pdf"].content_type == "application/pdf"
    assert atts["winmail.dat"].content_type == "application/ms-tnef"  # kept whole; see the module docstring
    assert parsed.body_text == "see"


def test_forwarded_message_is_an_eml_attachment() -> None:
    inner = "From: b@example.com\nSubject: Original question\n\nHello there!\n"
    parsed = parse_email(_multipart(["Content-Type: text/plain\n\nFYI", f"Content-Type: message/rfc822\n\n{inner}"]))
    (att,) = parsed.attachments
    assert att.filename == "Original question.eml" and att.content_type == "message/rfc822"
    again = parse_email(att.data)
    assert again.subject == "Original question" and again.body_text.strip() == "Hello there!"


def test_delivery_report_parts_are_named_attachments() -> None:
    parsed = parse_email(
        _multipart(
            [
                "Content-Type: text/plain\n\nYour message could not be delivered.",
                "Content-Description: Delivery report\nContent-Type: message/delivery-status\n\n"
                "Reporting-MTA: dns; mx.example.com\n\nFinal-Recipient: rfc822; x@example.com\nStatus: 5.1.1\n",
                "Content-Type: text/rfc822-headers\n\nSubject: hi\nMessage-ID: <m1@example.com>\n",
            ],
            "report; report-type=delivery-status",
        )
    )
    names = [a.filename for a in parsed.attachments]
    assert names == ["Delivery report.txt", "headers.txt"]
    assert b"Status: 5.1.1" in parsed.attachments[0].data
    assert parsed.body_text.strip() == "Your message could not be delivered."


@pytest.mark.parametrize(
    ("from_header", "name", "address"),
    [
        ("=?UTF-8?B?Rm9vLCBCYXI=?= <foo.bar@example.com>", "Foo, Bar", "foo.bar@example.com"),
        ("=?iso-8859-1?Q?B=FCrling,=20Andreas?= <smith@example.com>", "Bürling, Andreas", "smith@example.com"),
        ('"Broken " <>, "LTD" <ly@example.com>', "LTD", "ly@example.com"),
        ("MAILER-DAEMON (Mail Delivery System)", "Mail Delivery System", "MAILER-DAEMON"),
        ("Test test@example.com", "Test", "test@example.com"),
        ("x@example.com (Comment Name)", "Comment Name", "x@example.com"),
        (
            '"power quadrant system" <power quadrant system@example.com>',
            "power quadrant system",
            '"power quadrant system"@example.com',
        ),
        ("Ingo L\xfctkebohle <ingo@example.com>", "Ingo Lütkebohle", "ingo@example.com"),
    ],
)
def test_sender_from_broken_from_headers(from_header: str, name: str, address: str) -> None:
    raw = b"From: " + from_header.encode("latin-1") + b"\nSubject: s\n\nx\n"
    parsed = parse_email(raw)
    assert (parsed.from_name, parsed.from_email) == (name, address)


def test_sender_falls_back_to_a_second_from_then_reply_to() -> None:
    two = parse_email(b"From: [??????]\nFrom: Real <real@example.com>\n\nx\n")
    assert two.from_email == "real@example.com"
    reply = parse_email(b'From: "=?GB2312?B?ztI=?=" <>\nReply-To: <vip@example.com>\n\nx\n')
    assert reply.from_email == "vip@example.com" and "SenderFrom: reply-to" in reply.defects


def test_ids_and_dates_in_odd_forms() -> None:
    parsed = parse_email(b"From: a@b.example\nMessage-Id: bare@example.com\nDate: not a date\n\nx\n")
    assert parsed.message_id == "bare@example.com" and parsed.date is None and "InvalidDateDefect" in parsed.defects
    utc = parse_email(b"From: a@b.example\nDate: Fri, 4 May 2012 14:01:03 -0000\n\nx\n")
    assert utc.date is not None and utc.date.tzinfo is not None


def test_outlook_msg_is_not_an_email() -> None:
    with pytest.raises(NotAnEmail, match="Outlook"):
        parse_email(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512)
    assert issubclass(NotAnEmail, ValueError)


def test_classifier_result_is_stored(monkeypatch: pytest.MonkeyPatch) -> None:
    bounce = Classification(auto=AutoKind.BOUNCE, reason="test")
    monkeypatch.setattr(parsing, "classify_message", lambda message: bounce)
    assert parse_email(b"From: a@example.com\n\nx\n").classification is bounce


def test_a_classifier_crash_does_not_break_parsing(monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(message: object) -> Classification:
        raise RuntimeError("classifier bug")

    monkeypatch.setattr(parsing, "classify_message", boom)
    parsed = parse_email(b"From: a@example.com\nSubject: still here\n\nx\n")
    assert parsed.subject == "still here" and parsed.classification == Classification()


def test_attachment_bytes_are_decoded_exactly() -> None:
    payload = bytes(range(256)) * 4
    raw = _multipart(
        [
            "Content-Type: text/plain\n\nbody",
            "Content-Type: application/octet-stream; name=blob.bin\nContent-Transfer-Encoding: base64\n\n"
            + base64.encodebytes(payload).decode(),
        ]
    )
    (att,) = parse_email(raw).attachments
    assert hashlib.sha256(att.data).digest() == hashlib.sha256(payload).digest()
