"""An integrator's first steps on the API documentation page, in a real browser and nothing else:
create a token, authorize with it, open a ticket and change it."""

from __future__ import annotations

import json

import pytest

from api.models import ApiToken
from tests.browser.conftest import SCREENSHOTS
from tests.factories import PASSWORD, AdminFactory, CustomerFactory
from tickets.models import Ticket

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _log_in(page, username: str) -> None:
    page.goto("/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit].primary")


def _execute(page, operation_id: str, body: dict | None = None, **params: object) -> dict:
    """Open an operation, fill its parameters and request body, press Execute, and return the JSON answer."""
    block = page.locator(f"[id$='-{operation_id}']")
    block.locator(".opblock-summary").first.click()
    for name, value in params.items():
        row = block.locator(f"tr[data-param-name='{name}']")
        if row.locator("select").count():  # an enum is a drop-down
            row.locator("select").select_option(str(value))
        else:
            row.locator("input").fill(str(value))
    if body is not None:
        block.locator("textarea.body-param__text").fill(json.dumps(body))
    block.locator("button.execute").click()
    answer = block.locator(".live-responses-table .response-col_description pre").first
    answer.wait_for()
    return json.loads(answer.inner_text())


def test_from_the_docs_page_an_admin_makes_a_token_and_opens_a_ticket_with_it(page):
    admin = AdminFactory(username="integrator")
    customer = CustomerFactory(name="Sara Karimi")
    _log_in(page, admin.username)

    page.goto("/api/docs/")
    page.wait_for_selector("text=Helpdesk API")
    made = _execute(page, "tokens_create", {"name": "Shop integration", "scopes": ["read", "write", "admin"]})
    token = made["token"]
    assert token.startswith("hd_")
    assert ApiToken.objects.get().name == "Shop integration"

    # Authorize the page with the token: the next calls carry it instead of the session.
    page.click("button.authorize")
    page.locator(".auth-container input").first.fill(token)
    page.click(".auth-btn-wrapper button.authorize")
    page.click("button.btn-done")
    opened = _execute(page, "tickets_create", {"subject": "Order 7 never came", "body": "Hi", "customer": customer.pk})

    assert f"Bearer {token}" in page.locator("[id$='-tickets_create'] .curl-command").first.inner_text()
    assert opened["subject"] == "Order 7 never came"
    ticket = Ticket.objects.get(pk=opened["id"])
    assert ticket.customer == customer
    assert ticket.events.get(kind="created").actor == admin
    assert ApiToken.objects.get().last_used_at is not None

    changed = _execute(page, "tickets_partial_update", {"status": "pending", "priority": "high"}, id=ticket.pk)
    assert (changed["status"], changed["priority"]) == ("pending", "high")

    # A subscription for webhooks, and a first export that the next sync continues from.
    hooked = _execute(
        page, "webhooks_create", {"name": "Shop", "url": "https://shop.example.com/hooks", "events": ["*"]}
    )
    assert hooked["secret"].startswith("whsec_")
    exported = _execute(page, "export_retrieve", None, start="beginning")
    assert {(item["type"], item["id"]) for item in exported["items"]} == {("customer", customer.pk)}
    assert exported["has_more"] is True and exported["next_cursor"]
    page.screenshot(path=str(SCREENSHOTS / "api-docs.png"), full_page=False)
