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
    assert preview.evaluate("img => img.complete && img.naturalWidth") == 1  # the PNG really loaded

    page.locator(".show-events").uncheck()
    assert not event.is_visible()
    assert page.get_by_text("See the picture").is_visible()

    page.locator(".show-events").check()
    assert event.is_visible()
