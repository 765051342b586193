"""Attachments open for the people who may see their ticket, and never act as a web page."""

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse

from tests.factories import AgentFactory, AttachmentFactory, MessageFactory, PortalCustomerFactory, TeamFactory
from tickets.models import Attachment, Message

pytestmark = pytest.mark.django_db

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
    b"\x00\x00\x00\rIDATx\x9cc\xf8\xff\xff?\x00\x05\xfe\x02\xfe\xa7\x35\x81\x84\x00\x00\x00\x00IEND\xaeB`\x82"
)


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def _attachment(message, name, content_type, data) -> Attachment:
    attachment = AttachmentFactory(
        message=message, filename=name, content_type=content_type, size=len(data), sha256="a" * 64, file=None
    )
    attachment.file.save(name, ContentFile(data))
    return attachment


def test_an_agent_downloads_an_attachment_of_a_ticket_of_their_team(client, media):
    agent = AgentFactory()
    message = MessageFactory(ticket__team=TeamFactory(members=[agent]))
    attachment = _attachment(message, "invoice.pdf", "application/pdf", b"%PDF-1.4 invoice")
    client.force_login(agent)

    response = client.get(reverse("tickets:attachment", args=[attachment.pk]))

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"%PDF-1.4 invoice"
    assert response["Content-Disposition"].startswith("attachment;")
    assert 'filename="invoice.pdf"' in response["Content-Disposition"]


def test_images_are_shown_inline_and_previewed_on_the_ticket_page(client, media):
    agent = AgentFactory()
    message = MessageFactory(ticket__team=TeamFactory(members=[agent]))
    image = _attachment(message, "screenshot.png", "image/png", PNG)
    client.force_login(agent)

    response = client.get(reverse("tickets:attachment", args=[image.pk]))
    page = client.get(reverse("tickets:detail", args=[message.ticket.pk])).content.decode()

    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"].startswith("inline;")
    assert "sandbox" in response["Content-Security-Policy"]
    assert f'<img class="attachment-preview" src="{reverse("tickets:attachment", args=[image.pk])}"' in page


@pytest.mark.parametrize(("name", "content_type"), [("evil.svg", "image/svg+xml"), ("evil.html", "text/html")])
def test_files_that_could_run_script_are_only_downloaded(client, media, name, content_type):
    agent = AgentFactory()
    message = MessageFactory(ticket__team=TeamFactory(members=[agent]))
    attachment = _attachment(message, name, content_type, b"<script>alert(1)</script>")
    client.force_login(agent)

    response = client.get(reverse("tickets:attachment", args=[attachment.pk]))

    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"


def test_an_agent_of_another_team_gets_404(client, media):
    message = MessageFactory(ticket__team=TeamFactory())
    attachment = _attachment(message, "a.txt", "text/plain", b"secret")
    client.force_login(AgentFactory())

    assert client.get(reverse("tickets:attachment", args=[attachment.pk])).status_code == 404


def test_a_customer_downloads_their_own_attachments_but_not_internal_ones_or_others(client, media):
    customer = PortalCustomerFactory()
    own = _attachment(MessageFactory(ticket__customer=customer), "mine.txt", "text/plain", b"mine")
    note = _attachment(
        MessageFactory(ticket__customer=customer, direction=Message.Direction.NOTE), "internal.txt", "text/plain", b"x"
    )
    other = _attachment(MessageFactory(), "theirs.txt", "text/plain", b"theirs")
    client.force_login(customer.user)

    assert client.get(reverse("portal:attachment", args=[own.pk])).status_code == 200
    assert client.get(reverse("portal:attachment", args=[note.pk])).status_code == 404
    assert client.get(reverse("portal:attachment", args=[other.pk])).status_code == 404
    assert client.get(reverse("tickets:attachment", args=[own.pk])).status_code == 403


def test_a_file_missing_from_storage_is_a_404_not_a_crash(client, media):
    agent = AgentFactory()
    message = MessageFactory(ticket__team=TeamFactory(members=[agent]))
    attachment = _attachment(message, "gone.txt", "text/plain", b"x")
    attachment.file.storage.delete(attachment.file.name)
    client.force_login(agent)

    assert client.get(reverse("tickets:attachment", args=[attachment.pk])).status_code == 404


def test_the_timeline_can_fold_events_away(client):
    agent = AgentFactory()
    message = MessageFactory(ticket__team=TeamFactory(members=[agent]))
    client.force_login(agent)

    page = client.get(reverse("tickets:detail", args=[message.ticket.pk])).content.decode()

    assert 'class="show-events"' in page
