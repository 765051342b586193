"""The incremental export: a full walk, then every committed change after it, none lost or skipped."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from django.db import connection, transaction

from tests.api.conftest import client_for
from tests.factories import AgentFactory, CustomerFactory, ManagerFactory, SurveyAnswerFactory
from tickets import services
from tickets.models import Channel

# Committed for real, as in production: on PostgreSQL the log is read up to the oldest running
# transaction, and a test's own open transaction would hide its changes from itself.
pytestmark = pytest.mark.django_db(transaction=True)

URL = "/api/v1/export/"


def _drain(client, cursor=None, limit=100, **params):
    """Follow next_cursor until up to date; returns the items and the last cursor."""
    items = []
    while True:
        query = {"limit": limit, **params}
        if cursor:
            query["cursor"] = cursor
        response = client.get(URL, query)
        assert response.status_code == 200, response.json()
        body = response.json()
        items += body["items"]
        cursor = body["next_cursor"]
        if not body["has_more"]:
            return items, cursor


def _open(customer=None, subject="Late parcel"):
    return services.ticket_create(
        customer=customer or CustomerFactory(), subject=subject, channel=Channel.EMAIL, body_text="Where is it?"
    )


def test_a_first_export_walks_everything_then_reports_only_new_changes(api_manager):
    ticket = _open()
    answer = SurveyAnswerFactory()

    items, cursor = _drain(api_manager, limit=2)

    kinds = {(item["type"], item["id"]) for item in items}
    assert ("customer", ticket.customer_id) in kinds
    assert ("ticket", ticket.pk) in kinds
    assert ("message", ticket.messages.get().pk) in kinds
    assert ("survey_answer", answer.pk) in kinds
    assert next(i for i in items if i["type"] == "ticket" and i["id"] == ticket.pk)["data"]["subject"] == "Late parcel"

    services.ticket_change_status(ticket=ticket, status="pending")
    later, cursor = _drain(api_manager, cursor)

    assert [(i["type"], i["id"]) for i in later] == [("ticket", ticket.pk)]
    assert later[0]["data"]["status"] == "pending"
    assert _drain(api_manager, cursor)[0] == []


def test_a_new_message_brings_its_ticket_along(api_manager):
    ticket = _open()
    _items, cursor = _drain(api_manager, start="now")

    reply = services.ticket_reply(ticket=ticket, agent=AgentFactory(), body_text="On its way")
    items, _cursor = _drain(api_manager, cursor)

    assert {(i["type"], i["id"]) for i in items} == {("message", reply.pk), ("ticket", ticket.pk)}


def test_an_object_changed_many_times_comes_once_per_page(api_manager):
    ticket = _open()
    _items, cursor = _drain(api_manager, start="now")
    for priority in ("low", "high", "urgent"):
        services.ticket_change_priority(ticket=ticket, priority=priority)

    items, _cursor = _drain(api_manager, cursor)

    assert len(items) == 1
    assert items[0]["data"]["priority"] == "urgent"


def test_customer_merges_and_survey_answers_are_exported(api_manager):
    source, target = CustomerFactory(), CustomerFactory()
    ticket = _open(customer=source)
    _items, cursor = _drain(api_manager, start="now")

    services.customer_merge(source=source, target=target)
    items, _cursor = _drain(api_manager, cursor)

    found = {(i["type"], i["id"]): i["data"] for i in items}
    assert found[("customer", source.pk)]["merged_into"] == target.pk
    assert found[("ticket", ticket.pk)]["customer"] == target.pk


def test_only_managers_export(api_agent):
    assert api_agent.get(URL).status_code == 403


def test_a_bad_or_expired_cursor_says_what_to_do(api_manager, settings, monkeypatch):
    assert api_manager.get(URL, {"cursor": "garbage!"}).json()["code"] == "invalid_cursor"
    assert api_manager.get(URL, {"limit": 0}).status_code == 400
    _items, cursor = _drain(api_manager, start="now")

    monkeypatch.setattr(
        time, "time", lambda: timedelta(days=settings.HELPDESK_CHANGES_KEEP_DAYS + 1).total_seconds() + 2e9
    )
    expired = api_manager.get(URL, {"cursor": cursor})

    assert expired.status_code == 410
    assert expired.json()["code"] == "cursor_expired"


@pytest.mark.postgres
def test_a_change_committed_late_by_an_older_transaction_is_not_skipped():
    """Transaction A writes first but commits last; a reader between the two commits must still get A later."""
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: on SQLite writers commit one at a time, in id order")
    manager = client_for(ManagerFactory())
    ticket = _open()
    _items, cursor = _drain(manager, start="now")
    a_wrote, read_between = threading.Event(), threading.Event()

    def slow_writer():
        try:
            with transaction.atomic():
                services.ticket_change_priority(ticket=ticket, priority="urgent")  # change row of A
                a_wrote.set()
                read_between.wait(10)
        finally:
            connection.close()

    writer = threading.Thread(target=slow_writer)
    writer.start()
    a_wrote.wait(10)
    other = _open(subject="Written by B")  # B: a later change row, committed first
    first, cursor_between = _drain(manager, cursor)  # while A is still open: must not move past A
    read_between.set()
    writer.join()
    second, _cursor = _drain(manager, cursor_between)

    seen = [(i["type"], i["id"]) for i in first + second]
    assert ("ticket", ticket.pk) in seen
    assert ("ticket", other.pk) in seen
