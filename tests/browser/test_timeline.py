"""The ticket timeline in a real browser: events fold away, image attachments preview."""

import pytest
from django.core.files.base import ContentFile

from tests.browser.test_paths import _log_in
from tests.factories import AgentFactory, CustomerFactory, TeamFactory
from tests.test_attachment_views import PNG
from tickets import services
from tickets.models import Attachment, Channel

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_agent_folds_events_away_and_sees_an_image_preview(page, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    agent = AgentFactory(username="ava")
    team = TeamFactory(members=[agent])
    ticket = services.ticket_create(
        customer=CustomerFactory(),
        subject="Screen is black",
        channel=Channel.EMAIL,
        body_text="See the picture",
        team=team,
    )
    services.ticket_change_priority(ticket=ticket, priority="high", actor=agent)
    image = Attachment(
        message=ticket.messages.get(), filename="screen.png", content_type="image/png", size=len(PNG), sha256="b" * 64
    )
    image.file.save("screen.png", ContentFile(PNG))

    _log_in(page, "ava")
    page.goto(f"/tickets/{ticket.pk}/")

    event = page.locator(".event-priority")
    assert event.is_visible()
    preview = page.locator("img.attachment-preview")
    # The PNG really loads (lazily, so give it a moment under a busy CI).
    preview.scroll_into_view_if_needed()
    page.wait_for_function(
        "() => { const img = document.querySelector('img.attachment-preview'); return img && img.complete }"
    )
    assert preview.evaluate("img => img.naturalWidth") == 1

    page.locator(".show-events").uncheck()
    assert not event.is_visible()
    assert page.get_by_text("See the picture").is_visible()

    page.locator(".show-events").check()
    assert event.is_visible()


def test_an_emailed_reply_shows_only_the_new_text_until_the_agent_unfolds_the_quote(page, settings, tmp_path):
    from channels_intake.email.processing import inbound_email_process
    from channels_intake.email.store import inbound_email_store
    from tests.email.mails import raw_mail
    from tests.factories import MailboxFactory

    settings.MEDIA_ROOT = tmp_path
    agent = AgentFactory(username="ava")
    mailbox = MailboxFactory(name="support0", team=TeamFactory(members=[agent]))
    body = (
        "The new kettle works, thank you!\n\n"
        "On Mon, 2 Nov 2026, Support <support0@help.example.com> wrote:\n> Try the reset button."
    )
    html = "<p>The new kettle <b>works</b>, thank you!</p><img src='https://tracker.example/pixel.gif'>"
    row, _created = inbound_email_store(mailbox=mailbox, raw=raw_mail(body=body, html=html), source="pipe")
    inbound_email_process(inbound_email=row)
    row.refresh_from_db()
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))

    _log_in(page, "ava")
    page.goto(f"/tickets/{row.ticket.pk}/")

    assert page.locator(".msg-body > p", has_text="The new kettle works, thank you!").is_visible()
    quoted = page.get_by_text("> Try the reset button.")
    assert not quoted.is_visible()
    page.get_by_text("Show quoted text").click()
    assert quoted.is_visible()

    page.get_by_text("Show the formatted email").click()
    assert page.locator(".email-html b", has_text="works").is_visible()
    assert not any("tracker.example" in url for url in requested)  # remote images never load
