"""Idempotency-Key on POST: a retried request returns the first answer and does the work once."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from api.models import IdempotencyRecord
from tests.api.conftest import TokenClient, client_for
from tests.factories import AgentFactory, CustomerFactory
from tickets.models import Message, Ticket

pytestmark = pytest.mark.django_db

URL = "/api/v1/tickets/"


def test_a_retried_create_returns_the_first_ticket_and_creates_one(api_agent):
    customer = CustomerFactory()
    request = {"subject": "Refund", "body": "please", "customer": customer.pk}

    first = api_agent.post(URL, request, Idempotency_Key="order-7-refund")
    again = api_agent.post(URL, request, Idempotency_Key="order-7-refund")

    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.headers["Location"] == first.headers["Location"]
    assert Ticket.objects.count() == 1


def test_the_same_key_for_another_request_is_422(api_agent):
    customer = CustomerFactory()
    api_agent.post(URL, {"subject": "A", "customer": customer.pk}, Idempotency_Key="k1")

    response = api_agent.post(URL, {"subject": "B", "customer": customer.pk}, Idempotency_Key="k1")

    assert response.status_code == 422
    assert response.json()["code"] == "idempotency_key_reused"
    assert Ticket.objects.count() == 1


def test_keys_are_private_to_each_caller(api_agent):
    customer = CustomerFactory()
    someone_else = client_for(AgentFactory())

    api_agent.post(URL, {"subject": "A", "customer": customer.pk}, Idempotency_Key="shared")
    theirs = someone_else.post(URL, {"subject": "A", "customer": customer.pk}, Idempotency_Key="shared")

    assert theirs.status_code == 201
    assert "Idempotent-Replayed" not in theirs.headers
    assert Ticket.objects.count() == 2


def test_a_refused_request_is_replayed_as_refused(api_agent):
    first = api_agent.post(URL, {"subject": ""}, Idempotency_Key="bad-one")
    again = api_agent.post(URL, {"subject": ""}, Idempotency_Key="bad-one")

    assert first.status_code == again.status_code == 400
    assert again.json() == first.json()


def test_a_reply_retried_with_its_key_is_sent_once(api_agent, team):
    ticket = Ticket.objects.create(
        subject="x", channel="api", current_channel="api", customer=CustomerFactory(), team=team
    )

    for _ in range(3):
        response = api_agent.post(f"{URL}{ticket.pk}/messages/", {"body": "On it"}, Idempotency_Key="reply-1")
        assert response.status_code == 201

    assert Message.objects.filter(ticket=ticket).count() == 1


def test_a_malformed_key_is_refused(api_agent):
    response = api_agent.post(URL, {"subject": "x"}, Idempotency_Key="x" * 201)

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_idempotency_key"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_identical_requests_at_the_same_moment_create_one_ticket(agent):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: SQLite runs one writer at a time")
    customer = CustomerFactory()
    token = client_for(agent).token
    barrier = threading.Barrier(4)
    answers = []

    def send():
        client = TokenClient(token)
        barrier.wait()
        try:
            answers.append(client.post(URL, {"subject": "Once", "customer": customer.pk}, Idempotency_Key="race"))
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(a.status_code for a in answers) == [201, 201, 201, 201]
    assert len({a.json()["id"] for a in answers}) == 1
    assert Ticket.objects.count() == 1
    assert IdempotencyRecord.objects.count() == 1
