"""Unit tests for reply-quote and signature stripping (no corpus, no database)."""

from __future__ import annotations

import time

import pytest

from channels_intake.email.quotes import (
    extract_forwarded,
    extract_signature,
    html_to_text,
    split_reply,
    split_reply_html,
)


@pytest.mark.parametrize(
    ("text", "reply"),
    [
        (
            "Thanks, fixed!\n\nOn Mon, 3 Jun 2024 at 10:00, Bob <bob@example.com> wrote:\n> Is it fixed?\n",
            "Thanks, fixed!",
        ),
        ("Danke!\n\nAm 03.06.2024 um 10:00 schrieb Bob <bob@example.com>:\n> Geht es?\n", "Danke!"),
        ("Merci\n\nLe 3 juin 2024 à 10:00, Bob <bob@example.com> a écrit :\n> Ça marche ?\n", "Merci"),
        ("Yes\n\n-----Original Message-----\nFrom: Bob\nSent: Monday\nTo: Ann\n\nQuestion?\n", "Yes"),
        ("Yes\n\nFrom: Bob <bob@example.com>\nSent: Monday, June 3, 2024\nTo: Ann\nSubject: Q\n\nQuestion?\n", "Yes"),
        ("Yes\n\nVon: Bob\nGesendet: Montag\nAn: Ann\nBetreff: Frage\n\nFrage?\n", "Yes"),
        ("Sure thing.\n\nSent from my iPhone\n\n> old\n", "Sure thing."),
        ("Done.\n\n-- \nAnn Example\nACME Support\n", "Done."),
        ("No quotes at all.\nSecond line.", "No quotes at all.\nSecond line."),
        ("Sent from my desk, which is nicer than my phone.", "Sent from my desk, which is nicer than my phone."),
        ("> quoted only\n", "> quoted only"),
    ],
)
def test_split_reply(text: str, reply: str) -> None:
    got, quoted = split_reply(text)
    assert got == reply
    assert text.startswith(got)  # reply is a prefix, the rest goes to `quoted`
    assert "".join((got + quoted).split()) == "".join(text.split())  # together they cover the whole input


def test_inline_answers_are_kept() -> None:
    text = (
        "Hi,\nOn Tue, 1 Mar 2011, Bob <b@x.org> wrote:\n> question one?\n\n"
        "Answer one.\n\n> question two?\n\nAnswer two.\n"
    )
    reply, _ = split_reply(text)
    assert "Answer one." in reply and "Answer two." in reply


def test_bottom_posting_reply_under_quote() -> None:
    text = "On Tue, 1 Mar 2011, Bob <b@x.org> wrote:\n> question?\n\nMy answer.\n"
    reply, quoted = split_reply(text)
    assert reply == "My answer."
    assert "question?" in quoted


def test_crlf_input() -> None:
    assert split_reply("Ok\r\n\r\nOn Mon, Bob <b@x.org> wrote:\r\n> hi\r\n")[0] == "Ok"


def test_empty() -> None:
    assert split_reply("") == ("", "")
    assert split_reply_html("") == ("", "")


def test_pathological_input_is_fast() -> None:
    text = ("On " + "a, " * 5000 + "\n") * 50 + ("> " + "x" * 3000 + "\n") * 200 + ("From: " + "y" * 5000 + "\n") * 50
    started = time.perf_counter()
    split_reply(text)
    split_reply_html(f"<div>{text}</div>")
    assert time.perf_counter() - started < 1.0


def test_forwarded_extraction() -> None:
    text = (
        "FYI\n\n---------- Forwarded message ---------\n"
        "From: Bob <b@x.org>\nDate: Mon\nSubject: Hi\nTo: <a@x.org>\n\nBody"
    )
    before, embedded = extract_forwarded(text)
    assert before == "FYI"
    assert embedded.startswith("From: Bob") and embedded.endswith("Body")
    assert extract_forwarded("nothing forwarded here") is None


def test_signature_by_sender() -> None:
    body, sig = extract_signature("Please ship it.\n\nThanks,\nJohn Doe\nACME Corp", "John Doe")
    assert body == "Please ship it."
    assert sig == "Thanks,\nJohn Doe\nACME Corp"
    assert extract_signature("Please ship it.", "")[1] == ""


@pytest.mark.parametrize(
    "html",
    [
        '<div>Fine.</div><div class="gmail_quote">On Mon, Bob wrote:<blockquote>hi</blockquote></div>',
        '<p>Fine.</p><div class="moz-cite-prefix">On Mon, Bob wrote:</div><blockquote type="cite">hi</blockquote>',
        '<p>Fine.</p><div id="divRplyFwdMsg"><b>From:</b> Bob</div><div>hi</div>',
        "<p>Fine.</p><p><b>From:</b> Bob<br><b>Sent:</b> Monday<br><b>To:</b> Ann</p><p>hi</p>",
    ],
)
def test_split_reply_html(html: str) -> None:
    reply, quoted = split_reply_html(html)
    assert html_to_text(reply) == "Fine."
    assert reply + quoted == html
