"""Display helpers for the ticket page and the portal: a stored email's HTML, the people in copy."""

from __future__ import annotations

from django import template
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe

from tickets.html import html_for_display
from tickets.models import Message, Ticket, TicketParticipant
from tickets.selectors import ticket_participants as participants_of

register = template.Library()


@register.simple_tag
def message_html(message: Message, portal: bool = False) -> SafeString:
    """The message's HTML with cid: images pointing at our attachment URLs for this viewer."""
    url_name = "portal:attachment" if portal else "tickets:attachment"
    # message.attachments is prefetched by the timeline selector: no query per message.
    urls = {
        attachment.content_id: reverse(url_name, args=[attachment.pk])
        for attachment in message.attachments.all()
        if attachment.content_id
    }
    return mark_safe(html_for_display(message.body_html, inline_image_urls=urls))  # noqa: S308 - sanitized by nh3


@register.simple_tag
def ticket_participants(ticket: Ticket) -> list[TicketParticipant]:
    """The ticket's Cc'd people with their address; one query, only where the facts panel renders."""
    return list(participants_of(ticket))
