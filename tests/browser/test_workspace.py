"""The workspace aids in a real browser: two agents on one ticket, the keyboard, macros, time tracking."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import leave_quietly
from tests.factories import PASSWORD, AgentFactory, CustomerFactory, MacroFactory, TeamFactory
from tickets import services
from tickets.models import Channel, Message, TimeEntry

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _fast_pings(settings):
    # Seconds instead of the production 10/30 s, so the tests see pings quickly.
    settings.HELPDESK_PRESENCE_PING_SECONDS = 0.5
    settings.HELPDESK_TIME_PING_SECONDS = 1


@pytest.fixture
def desk():
    ava = AgentFactory(username="ava", first_name="Ava", last_name="Rahimi")
    sam = AgentFactory(username="sam", first_name="Sam", last_name="Lee")
    team = TeamFactory(name="Billing", members=[ava, sam])
    customer = CustomerFactory(name="Sara Karimi")
    older = services.ticket_create(
        customer=customer, subject="Receipt missing", channel=Channel.EMAIL, body_text="Hi", team=team
    )
    ticket = services.ticket_create(
        customer=customer, subject="Invoice shows the wrong amount", channel=Channel.EMAIL, body_text="Hi", team=team
    )
    return {"ava": ava, "sam": sam, "ticket": ticket, "older": older}


def _log_in(page, username: str) -> None:
    page.goto("/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit].primary")
    page.wait_for_url("**/tickets/**")


def _leave(page) -> None:
    # Unload the page (its last time ping goes out) and let the server finish before reading rows.
    page.goto("about:blank")
    page.wait_for_timeout(400)


def test_two_agents_on_one_ticket_see_each_other_and_who_is_replying(browser, live_server, desk, settings):
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = False
    contexts = [browser.new_context(base_url=live_server.url, locale="en-US") for _ in range(2)]
    try:
        ava, sam = (context.new_page() for context in contexts)
        url = f"/tickets/{desk['ticket'].pk}/"
        for page, username in ((ava, "ava"), (sam, "sam")):
            _log_in(page, username)
            page.goto(url)

        expect(ava.locator("#presence")).to_contain_text("Sam Lee is also viewing this ticket")
        expect(sam.locator("#presence")).to_contain_text("Ava Rahimi is also viewing this ticket")

        sam.focus("#reply-body")

        expect(ava.locator("#presence")).to_contain_text("Sam Lee is replying")
        expect(sam.locator("#presence")).not_to_contain_text("Sam Lee")
    finally:
        for context in contexts:
            leave_quietly(context)


def test_the_keyboard_opens_a_ticket_from_the_list_and_drives_the_ticket_page(page, desk):
    MacroFactory(owner=None, name="Ask for the invoice", body="Hello {customer_name}, please send the invoice.")
    MacroFactory(owner=None, name="Refund issued", body="Refunded.", set_priority="high")
    _log_in(page, "ava")
    page.goto("/tickets/")
    page.locator("body").click(position={"x": 5, "y": 5})

    page.keyboard.press("j")
    expect(page.locator(".ticket-row.is-current")).to_have_count(1)
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/tickets/{desk['ticket'].pk}/")

    page.keyboard.press("?")
    expect(page.locator("#shortcuts-help")).to_be_visible()
    expect(page.locator("#shortcuts-help")).to_contain_text("Open the macro picker")
    page.keyboard.press("Escape")
    expect(page.locator("#shortcuts-help")).to_be_hidden()

    page.keyboard.press("m")
    expect(page.locator("#macro-picker")).to_be_visible()
    page.keyboard.type("refund")
    expect(page.locator("#macro-list li:visible")).to_have_count(1)
    page.keyboard.press("Backspace")
    page.keyboard.press("Backspace")
    page.keyboard.press("Backspace")
    page.keyboard.press("Backspace")
    page.keyboard.press("Backspace")
    page.keyboard.press("Backspace")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowUp")
    page.keyboard.press("Enter")

    expect(page.locator("#macro-picker")).to_be_hidden()
    expect(page.locator("#reply-body")).to_have_value("Hello Sara Karimi, please send the invoice.")
    expect(page.locator("#reply-body")).to_be_focused()

    page.keyboard.press("Escape")
    page.keyboard.press("n")
    expect(page.locator("#note-body")).to_be_focused()
    page.keyboard.press("Escape")

    # The queue the agent came from is remembered: J goes to the next (older) ticket.
    expect(page.locator("#next-ticket")).to_have_count(1)
    page.keyboard.press("J")
    page.wait_for_url(f"**/tickets/{desk['older'].pk}/")


def test_a_macro_with_actions_updates_the_ticket_and_the_facts(page, desk):
    MacroFactory(owner=None, name="Escalate", body="Escalated, {agent_name}.", set_priority="urgent")
    _log_in(page, "ava")
    page.goto(f"/tickets/{desk['ticket'].pk}/")

    page.keyboard.press("m")
    page.keyboard.press("Enter")

    expect(page.locator("#reply-body")).to_have_value("Escalated, Ava Rahimi.")
    expect(page.locator(".ticket-head .facts")).to_contain_text("Urgent")
    _leave(page)
    desk["ticket"].refresh_from_db()
    assert desk["ticket"].priority == "urgent"


def test_ctrl_enter_sends_the_note_being_written(page, desk):
    _log_in(page, "ava")
    page.goto(f"/tickets/{desk['ticket'].pk}/")

    page.keyboard.press("n")
    page.keyboard.type("Checked with finance.")
    page.keyboard.press("Control+Enter")

    expect(page.locator("#note-body")).to_have_value("")  # the composer came back empty
    _leave(page)
    assert Message.objects.filter(body_text="Checked with finance.", direction="note").exists()


def test_time_on_an_open_active_page_is_recorded_in_one_entry(page, desk):
    _log_in(page, "ava")
    page.goto(f"/tickets/{desk['ticket'].pk}/")
    for step in range(6):
        page.mouse.move(100 + step * 10, 100)
        page.wait_for_timeout(500)
    _leave(page)

    entry = TimeEntry.objects.get(ticket=desk["ticket"])
    assert (entry.agent, entry.source) == (desk["ava"], "auto")
    assert entry.tracking_key is not None
    assert 2 <= entry.seconds <= 10


def test_an_idle_page_stops_counting(page, desk, settings):
    settings.HELPDESK_IDLE_SECONDS = 1
    _log_in(page, "ava")
    page.goto(f"/tickets/{desk['ticket'].pk}/")

    page.wait_for_timeout(4000)  # idle after the first second: the rest is not counted
    _leave(page)

    assert sum(TimeEntry.objects.filter(ticket=desk["ticket"]).values_list("seconds", flat=True)) <= 2
