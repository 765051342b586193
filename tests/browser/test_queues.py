"""An agent works the queue in a real browser: built-in views, a filter, a search, a bulk assign."""

import pytest

from tests.browser.conftest import SCREENSHOTS
from tests.factories import PASSWORD, AgentFactory, TeamFactory
from tickets import services
from tickets.models import Channel, Ticket

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def queue():
    agent = AgentFactory(username="ava", first_name="Ava", last_name="Rahimi")
    team = TeamFactory(name="Billing", members=[agent])
    sara = services.customer_create(name="Sara Karimi", identities=[("email", "sara@acme.example")])
    omid = services.customer_create(name="Omid", identities=[("email", "omid@example.com")])

    def ticket(customer, subject, **kwargs):
        return services.ticket_create(
            customer=customer, subject=subject, channel=Channel.EMAIL, body_text="Hello", team=team, **kwargs
        )

    mine = ticket(omid, "Password reset does not arrive", assignee=agent)
    invoice = ticket(sara, "Invoice shows the wrong amount")
    receipt = ticket(sara, "Receipt missing")
    parcel = ticket(omid, "Where is my parcel?")
    services.ticket_change_status(ticket=parcel, status="open", actor=agent)
    return {"agent": agent, "mine": mine, "invoice": invoice, "receipt": receipt, "parcel": parcel}


def _subjects(page) -> list[str]:
    return page.locator("table.tickets tbody tr.ticket-row .ticket-link").all_inner_texts()


def test_an_agent_opens_views_filters_searches_and_assigns_in_bulk(page, queue):
    page.goto("/")
    page.fill("input[name=username]", "ava")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit].primary")
    page.wait_for_url("**/tickets/")

    # "Mine": the one ticket assigned to Ava; the sidebar counts every view.
    page.click(".queue-views a[data-view=mine]")
    page.wait_for_url("**/tickets/?view=mine")
    assert _subjects(page) == ["Password reset does not arrive"]
    assert page.inner_text(".queue-views a[data-view=unassigned] .count") == "3"

    page.click(".queue-views a[data-view=unassigned]")
    page.wait_for_url("**/tickets/?view=unassigned")
    assert sorted(_subjects(page)) == ["Invoice shows the wrong amount", "Receipt missing", "Where is my parcel?"]

    # Within "unassigned", only the new ones.
    page.check("input[name=status][value=new]")
    page.click("form.filters button[type=submit]")
    page.wait_for_url("**/tickets/?*status=new*")
    assert sorted(_subjects(page)) == ["Invoice shows the wrong amount", "Receipt missing"]

    page.click("text=Reset")
    page.fill("input[name=q]", "SARA@acme.example")
    page.press("input[name=q]", "Enter")
    page.wait_for_url("**/tickets/?*q=SARA*")
    assert sorted(_subjects(page)) == ["Invoice shows the wrong amount", "Receipt missing"]

    page.check(".select-all")
    assert page.locator("input[name=ids]:checked").count() == 2
    page.click("button[name=action][value=assign_me]")
    page.wait_for_selector(".messages")
    assert "2 updated" in page.inner_text(".messages")
    assert page.inner_text(".queue-views a[data-view=mine] .count") == "3"
    page.screenshot(path=str(SCREENSHOTS / "helpdesk-queues-en.png"), full_page=True)

    assignees = Ticket.objects.filter(pk__in=[queue["invoice"].pk, queue["receipt"].pk]).values_list(
        "assignee_id", flat=True
    )
    assert set(assignees) == {queue["agent"].pk}
