"""Search on the queue: by number, by a customer's email or phone, by words in the subject or a message.

Runs on whatever DATABASE_URL names: full-text search on PostgreSQL, substring match on SQLite.
"""

import pytest
from django.db import connection
from django.urls import reverse

from tests.factories import TeamFactory
from tickets import services
from tickets.models import Channel, Message, Ticket
from tickets.search import identity_values

pytestmark = pytest.mark.django_db

URL = reverse("tickets:list")


@pytest.fixture
def sara(team):
    customer = services.customer_create(
        name="Sara Karimi", identities=[("email", "Sara@Acme.example"), ("phone", "+98 912 345 6789")]
    )
    return services.ticket_create(
        customer=customer, subject="Invoice shows the wrong amount", channel=Channel.EMAIL, body_text="Hi", team=team
    )


@pytest.fixture
def other(team):
    customer = services.customer_create(name="Omid", identities=[("email", "omid@example.com")])
    return services.ticket_create(
        customer=customer, subject="Where is my parcel?", channel=Channel.CHAT, body_text="Order A-80", team=team
    )


def _shown(response) -> list[int]:
    return [ticket.pk for ticket in response.context["page"].rows]


def test_a_number_jumps_to_the_ticket(agent_client, sara, other):
    assert agent_client.get(URL, {"q": f"#{sara.pk}"}).url == reverse("tickets:detail", args=[sara.pk])


@pytest.mark.parametrize("email", ["sara@acme.example", "SARA@ACME.EXAMPLE", " Sara@acme.Example "])
def test_an_email_in_any_case_finds_the_customers_tickets(agent_client, sara, other, email):
    assert _shown(agent_client.get(URL, {"q": email})) == [sara.pk]


@pytest.mark.parametrize("phone", ["+98 912 345 6789", "+989123456789", "0912 345 6789", "۰۹۱۲۳۴۵۶۷۸۹", "09123456789"])
def test_a_phone_with_or_without_country_code_finds_the_customers_tickets(agent_client, sara, other, phone):
    assert _shown(agent_client.get(URL, {"q": phone})) == [sara.pk]


def test_an_unknown_email_finds_nothing(agent_client, sara):
    assert _shown(agent_client.get(URL, {"q": "nobody@acme.example"})) == []


def test_a_customers_tickets_in_any_status_are_found_only_with_all_statuses(agent_client, sara, agent):
    services.ticket_change_status(ticket=sara, status=Ticket.Status.SOLVED, actor=agent)

    assert _shown(agent_client.get(URL, {"q": "sara@acme.example"})) == []
    assert _shown(agent_client.get(URL, {"q": "sara@acme.example", "status": "all"})) == [sara.pk]


def test_words_find_the_subject_in_any_case_and_order(agent_client, sara, other):
    assert _shown(agent_client.get(URL, {"q": "invoice"})) == [sara.pk]
    assert _shown(agent_client.get(URL, {"q": "AMOUNT wrong"})) == [sara.pk]
    assert _shown(agent_client.get(URL, {"q": "invoice parcel"})) == []


def test_the_start_of_a_word_is_enough(agent_client, sara, other):
    assert _shown(agent_client.get(URL, {"q": "invoi"})) == [sara.pk]


def test_words_find_a_message_body(agent_client, sara, other, agent):
    services.message_add(
        ticket=sara,
        channel=Channel.EMAIL,
        direction=Message.Direction.NOTE,
        body_text="The discount code SPRING24 was not applied.",
        author_agent=agent,
    )

    assert _shown(agent_client.get(URL, {"q": "spring24"})) == [sara.pk]
    assert _shown(agent_client.get(URL, {"q": "A-80"})) == [other.pk]


def test_persian_and_arabic_words_are_found(agent_client, team):
    customer = services.customer_create(name="مریم")
    persian = services.ticket_create(
        customer=customer, subject="سفارش من نرسیده است", channel=Channel.EMAIL, body_text="سلام", team=team
    )
    arabic = services.ticket_create(
        customer=customer, subject="Refund", channel=Channel.EMAIL, body_text="أريد استرداد المبلغ", team=team
    )

    assert _shown(agent_client.get(URL, {"q": "سفارش"})) == [persian.pk]
    assert _shown(agent_client.get(URL, {"q": "استرداد"})) == [arabic.pk]


def test_search_keeps_to_tickets_the_agent_may_see(agent_client, team):
    hidden = services.ticket_create(
        customer=services.customer_create(name="X"),
        subject="Secret invoice",
        channel=Channel.EMAIL,
        body_text="x",
        team=TeamFactory(),
    )

    assert hidden.pk not in _shown(agent_client.get(URL, {"q": "secret"}))


def test_operators_in_the_query_are_plain_text(agent_client, sara):
    for q in ["invoice & !", "'", "a:* | b", "()", "\\"]:
        assert agent_client.get(URL, {"q": q}).status_code == 200


def test_identity_values_reads_email_and_phone_only():
    assert identity_values("A@B.example") == [("email", "a@b.example")]
    assert identity_values("0912 345 6789") == [("phone", "+989123456789")]
    assert identity_values("refund please") == []
    assert identity_values("not@an@email") == []


@pytest.mark.skipif(connection.vendor != "postgresql", reason="full-text search is PostgreSQL only")
def test_on_postgresql_the_search_uses_the_simple_full_text_expression(agent):
    from django.http import QueryDict

    from tickets.selectors import TicketFilters, ticket_list_for_user

    queryset = ticket_list_for_user(user=agent, filters=TicketFilters.from_query(QueryDict("q=invoice")))

    sql = str(queryset.query)
    assert "to_tsvector('simple'::regconfig, " in sql and "COALESCE" not in sql
