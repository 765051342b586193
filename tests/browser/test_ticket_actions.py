"""Acting on a ticket in a real browser: reply, note, assign, solve, a double click, a stale reply."""

import pytest

from tests.browser.conftest import SCREENSHOTS
from tests.factories import PASSWORD, AgentFactory, TeamFactory
from tickets import services
from tickets.models import Channel, Message, Ticket

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

Direction = Message.Direction


@pytest.fixture
def ticket():
    agent = AgentFactory(username="ava", first_name="Ava", last_name="Rahimi")
    team = TeamFactory(name="Billing", members=[agent])
    return services.ticket_create(
        customer=services.customer_create(name="Sara Karimi", identities=[("email", "sara@acme.example")]),
        subject="Invoice shows the wrong amount",
        channel=Channel.EMAIL,
        body_text="My invoice says 120 EUR but I paid 100 EUR.",
        team=team,
    )


def _open_ticket(page, ticket) -> None:
    page.goto("/")
    page.fill("input[name=username]", "ava")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit].primary")
    page.wait_for_url("**/tickets/")
    page.goto(f"/tickets/{ticket.pk}/")
    # htmx is loaded with defer; wait until it has processed the page.
    page.wait_for_function("window.htmx !== undefined && document.readyState === 'complete'")


def _replies(ticket) -> int:
    # People's replies: solving also sends the automatic survey invitation.
    return ticket.messages.filter(direction=Direction.OUTBOUND, is_automatic=False).count()


def test_an_agent_replies_notes_assigns_to_self_and_solves_without_reloading(page, ticket):
    _open_ticket(page, ticket)
    # A marker on the window survives htmx swaps but not a page load.
    page.evaluate("window.notReloaded = true")

    page.fill("#reply-body", "Sorry, Sara: I corrected the invoice.")
    page.click("#reply-send")
    page.wait_for_selector("#reply-composer .notice")

    timeline = page.locator("section.timeline")
    assert "Sorry, Sara: I corrected the invoice." in timeline.inner_text()
    assert page.input_value("#reply-body") == ""

    page.fill("#note-body", "Discount was missing on the Business plan.")
    page.click("#note-add")
    page.locator("section.timeline .msg-note", has_text="Discount was missing").wait_for()

    page.click("#assign-me")
    page.wait_for_function("document.querySelector('#ticket-facts').innerText.includes('Ava Rahimi')")

    page.click("#solve")
    page.wait_for_function("document.querySelector('#ticket-facts .badge').innerText.includes('Solved')")

    assert page.evaluate("window.notReloaded") is True
    ticket.refresh_from_db()
    assert (ticket.status, ticket.assignee.username) == (Ticket.Status.SOLVED, "ava")
    assert _replies(ticket) == 1
    assert ticket.messages.filter(direction=Direction.NOTE).count() == 1
    page.screenshot(path=str(SCREENSHOTS / "helpdesk-ticket-actions.png"), full_page=True)


def test_double_clicking_send_stores_one_reply(page, ticket):
    _open_ticket(page, ticket)

    page.fill("#reply-body", "Only once.")
    page.dblclick("#reply-send")
    page.wait_for_selector("#reply-composer .notice")
    page.wait_for_timeout(300)  # let a second request, if any was sent, land

    assert _replies(ticket) == 1
    assert page.locator("section.timeline .msg-outbound").count() == 1


def test_a_customer_message_that_arrives_while_writing_holds_the_reply_back(page, ticket):
    _open_ticket(page, ticket)
    page.fill("#reply-body", "We refunded 20 EUR.")

    services.message_add(
        ticket=ticket,
        channel=Channel.EMAIL,
        direction=Direction.INBOUND,
        body_text="Never mind, it was my mistake!",
        author_customer=ticket.customer,
    )
    page.click("#reply-send")

    warning = page.locator(".stale-warning")
    warning.wait_for()
    assert "A new message arrived while you were writing" in warning.inner_text()
    assert "Never mind, it was my mistake!" in warning.inner_text()
    assert page.input_value("#reply-body") == "We refunded 20 EUR."
    assert _replies(ticket) == 0

    page.click("#reply-send-anyway")
    page.wait_for_selector("#reply-composer .notice")

    assert _replies(ticket) == 1
    assert "We refunded 20 EUR." in page.locator("section.timeline").inner_text()


def test_merging_into_a_ticket_the_agent_cannot_open_says_so_in_place(page, ticket):
    _open_ticket(page, ticket)
    page.on("dialog", lambda dialog: dialog.accept())

    page.fill("#ticket-controls input[name=number] >> nth=1", "999999")
    page.click("#ticket-controls button:text-is('Merge')")

    status = page.locator(".controls-status")
    status.filter(has_text="may not open it").wait_for()
    ticket.refresh_from_db()
    assert ticket.merged_into_id is None
