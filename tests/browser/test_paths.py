"""The paths people take, in a real browser: an agent's day, the language switch, a customer's look."""

import pytest

from tests.browser.conftest import SCREENSHOTS
from tests.factories import PASSWORD, AgentFactory, OrganizationFactory, PortalCustomerFactory, TeamFactory
from tickets import services
from tickets.models import Channel, Message

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _log_in(page, username: str) -> None:
    page.goto("/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit].primary")


@pytest.fixture
def demo():
    """A small helpdesk: one team, an agent, a known customer with history, and a solved ticket."""
    agent = AgentFactory(username="ava", first_name="Ava", last_name="Rahimi")
    team = TeamFactory(name="Billing", members=[agent])
    customer = services.customer_create(
        name="Sara Karimi",
        organization=OrganizationFactory(name="Acme Trading"),
        identities=[("email", "sara@acme.example"), ("phone", "+98 912 345 6789"), ("chat", "visitor-4471")],
        attributes={"plan": "Business", "recent_orders": [{"number": "A-77", "total": "120 EUR"}]},
    )
    ticket = services.ticket_create(
        customer=customer,
        subject="Invoice shows the wrong amount",
        channel=Channel.EMAIL,
        body_text="Hello,\nmy invoice says 120 EUR but I paid 100 EUR.\nThanks, Sara",
        team=team,
        tags=["billing", "invoice"],
    )
    services.ticket_assign(ticket=ticket, assignee=agent, actor=agent)
    services.message_add(
        ticket=ticket,
        channel=Channel.EMAIL,
        direction=Message.Direction.NOTE,
        body_text="She is on the Business plan; the discount was not applied.",
        author_agent=agent,
    )
    services.message_add(
        ticket=ticket,
        channel=Channel.CHAT,
        direction=Message.Direction.OUTBOUND,
        body_text="Sorry about that, Sara. I corrected the invoice and sent you the new one.",
        author_agent=agent,
    )
    solved = services.ticket_create(
        customer=customer, subject="Cannot download my receipt", channel=Channel.PORTAL, body_text="Hi", team=team
    )
    services.ticket_change_status(ticket=solved, status="solved", actor=agent)
    services.ticket_create(
        customer=services.customer_create(name="Omid"),
        subject="Where is my parcel?",
        channel=Channel.CHAT,
        body_text="Order A-80",
        team=team,
    )
    return {"agent": agent, "ticket": ticket, "solved": solved, "customer": customer}


def test_an_agent_logs_in_filters_the_queue_and_reads_a_ticket(page, demo):
    _log_in(page, "ava")

    page.wait_for_url("**/tickets/")
    rows = page.locator("table.tickets tbody tr")
    assert rows.count() == 2
    assert "Invoice shows the wrong amount" in page.inner_text("table.tickets")
    assert "Cannot download my receipt" not in page.inner_text("table.tickets")

    # Only solved tickets: untick the open statuses, tick "Solved".
    for status in ("new", "open", "pending", "on_hold"):
        page.uncheck(f"input[name=status][value={status}]")
    page.check("input[name=status][value=solved]")
    page.click("form.filters button[type=submit]")
    page.wait_for_url("**/tickets/?*status=solved*")
    assert page.locator("table.tickets tbody tr").count() == 1
    assert "Cannot download my receipt" in page.inner_text("table.tickets")

    page.click("text=Reset")
    page.click("text=Invoice shows the wrong amount")
    page.wait_for_url(f"**/tickets/{demo['ticket'].pk}/")
    timeline = page.inner_text(".timeline")
    assert "my invoice says 120 EUR" in timeline
    assert "Internal note" in timeline
    assert "Conversation moved from Email to Chat" in timeline
    panel = page.inner_text(".customer-panel")
    for text in ("Sara Karimi", "Acme Trading", "sara@acme.example", "+989123456789", "Business", "A-77"):
        assert text in panel
    assert "Cannot download my receipt" in panel
    page.screenshot(path=str(SCREENSHOTS / "helpdesk-ticket-en.png"), full_page=True)


def test_switching_to_persian_turns_the_ticket_page_right_to_left(page, demo):
    _log_in(page, "ava")
    page.wait_for_url("**/tickets/")
    page.goto(f"/tickets/{demo['ticket'].pk}/")

    page.click("form.langswitch button[value=fa]")

    page.wait_for_function("document.documentElement.dir === 'rtl'")
    assert page.url.endswith(f"/tickets/{demo['ticket'].pk}/")
    assert page.get_attribute("html", "lang") == "fa"
    assert "تیکت\u200cها" in page.inner_text("nav.mainnav")
    # Logical properties mirror the layout: the customer panel now sits on the left.
    main_box = page.locator(".ticket-main").bounding_box()
    panel_box = page.locator(".customer-panel").bounding_box()
    assert panel_box["x"] < main_box["x"]
    page.screenshot(path=str(SCREENSHOTS / "helpdesk-ticket-fa.png"), full_page=True)


def test_a_customer_logs_in_and_sees_only_their_own_request(page, demo):
    portal_customer = PortalCustomerFactory(name="Nima", user__username="nima")
    own = services.ticket_create(
        customer=portal_customer, subject="My order never came", channel=Channel.PORTAL, body_text="Order A-90"
    )

    _log_in(page, "nima")

    page.wait_for_url("**/portal/")
    listing = page.inner_text("main")
    assert "My order never came" in listing
    assert "Invoice shows the wrong amount" not in listing
    page.click("text=My order never came")
    page.wait_for_url(f"**/portal/tickets/{own.pk}/")
    assert "Order A-90" in page.inner_text(".timeline")

    response = page.goto(f"/portal/tickets/{demo['ticket'].pk}/")
    assert response.status == 404
