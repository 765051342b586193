"""A manager reads the dashboard in a real browser: changes the period, drills into a number, downloads a CSV."""

from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from tests.browser.conftest import SCREENSHOTS
from tests.factories import PASSWORD, AgentFactory, ManagerFactory, TeamFactory
from tickets import services
from tickets.models import Channel, Message, Ticket

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _answered_and_solved(customer, subject, *, agent, team, days_ago, channel=Channel.EMAIL):
    created = timezone.now() - timedelta(days=days_ago)
    ticket = services.ticket_create(
        customer=customer,
        subject=subject,
        channel=channel,
        body_text="Hello",
        team=team,
        assignee=agent,
        created_at=created,
    )
    services.message_add(
        ticket=ticket,
        channel=channel,
        direction=Message.Direction.OUTBOUND,
        body_text="Done",
        author_agent=agent,
        created_at=created + timedelta(minutes=20),
    )
    services.ticket_change_status(ticket=ticket, status=Ticket.Status.SOLVED, at=created + timedelta(hours=1))
    return ticket


@pytest.fixture
def support_month():
    ManagerFactory(username="mina", first_name="Mina", last_name="Karimi")
    agent = AgentFactory(username="ava", first_name="Ava", last_name="Rahimi")
    team = TeamFactory(name="Billing", members=[agent])
    sara = services.customer_create(name="Sara Karimi", identities=[("email", "sara@acme.example")])
    return {
        # Solved in the last 7 days, each at first contact.
        "recent": [
            _answered_and_solved(sara, "Invoice shows the wrong amount", agent=agent, team=team, days_ago=2),
            _answered_and_solved(sara, "Receipt missing", agent=agent, team=team, days_ago=3, channel=Channel.CHAT),
        ],
        # Solved three weeks ago: in the 30-day view, not in the 7-day one.
        "older": _answered_and_solved(sara, "Where is my parcel?", agent=agent, team=team, days_ago=20),
    }


def test_a_manager_changes_the_period_drills_into_a_number_and_downloads_a_csv(page, support_month):
    page.goto("/")
    page.fill("input[name=username]", "mina")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit].primary")
    page.wait_for_url("**/tickets/")

    page.click("nav.mainnav >> text=Dashboard")
    page.wait_for_url("**/dashboard/")
    fcr = page.locator("[data-figure=fcr]")
    assert fcr.locator(".figure").inner_text() == "100.0%"
    assert "beats the benchmark" in fcr.inner_text()
    assert fcr.locator("table.details a").first.inner_text() == "3"

    page.click(".periods a[data-period='7d']")
    page.wait_for_url("**/dashboard/?period=7d")
    assert page.locator(".periods a[data-period='7d']").get_attribute("aria-current") == "true"
    assert fcr.locator("table.details a").first.inner_text() == "2"
    page.screenshot(path=str(SCREENSHOTS / "helpdesk-dashboard-en.png"), full_page=True)

    fcr.locator(".figure a").click()
    page.wait_for_url("**/dashboard/tickets/?period=7d&figure=fcr")
    subjects = page.locator("table.drill .ticket-link").all_inner_texts()
    assert sorted(subjects) == ["Invoice shows the wrong amount", "Receipt missing"]

    with page.expect_download() as download_info:
        page.click("text=Download CSV")
    download = download_info.value
    assert download.suggested_filename.startswith("tickets-")
    content = Path(download.path()).read_text(encoding="utf-8")
    assert content.startswith("\ufeffnumber,subject,status")
    assert "Receipt missing" in content
    assert "Where is my parcel?" not in content

    page.click("table.drill .ticket-link >> text=Receipt missing")
    page.wait_for_url(f"**/tickets/{support_month['recent'][1].pk}/")
