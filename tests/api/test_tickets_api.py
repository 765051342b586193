"""Tickets through the API: list with filters and cursors, read with ETags, open, change, merge."""

from __future__ import annotations

import base64
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from tests.api.conftest import client_for
from tests.factories import (
    AgentFactory,
    CustomerFactory,
    CustomerIdentityFactory,
    OrganizationFactory,
    TeamFactory,
    TicketFactory,
)
from tickets import services
from tickets.models import Channel, Customer, CustomerIdentity, Message, Ticket, TicketEvent

pytestmark = pytest.mark.django_db

URL = "/api/v1/tickets/"


def _ids(response) -> list[int]:
    assert response.status_code == 200, response.json()
    return [row["id"] for row in response.json()["results"]]


def _open(team=None, **kwargs) -> Ticket:
    customer = kwargs.pop("customer", None) or CustomerFactory()
    return services.ticket_create(
        customer=customer, subject=kwargs.pop("subject", "Order 1042 is late"), channel=Channel.EMAIL,
        body_text=kwargs.pop("body_text", "Where is my parcel?"), team=team, **kwargs,
    )  # fmt: skip


# --- list ----------------------------------------------------------------------------------


def test_an_agent_lists_their_teams_tickets_and_unowned_ones_but_not_another_teams(api_agent, team):
    mine = _open(team=team)
    unowned = _open()
    elsewhere = _open(team=TeamFactory())

    listed = _ids(api_agent.get(URL))

    assert sorted(listed) == sorted([mine.pk, unowned.pk])
    assert elsewhere.pk not in listed
    assert api_agent.get(f"{URL}{elsewhere.pk}/").status_code == 404


def test_filters_narrow_the_list(api_agent, team, agent):
    org = OrganizationFactory()
    by_org = _open(team=team, customer=CustomerFactory(organization=org))
    urgent = _open(team=team, priority=Ticket.Priority.URGENT, tags=["vip"])
    assigned = _open(team=team, assignee=agent)
    services.ticket_change_status(ticket=assigned, status=Ticket.Status.PENDING)

    assert _ids(api_agent.get(URL, {"priority": "urgent"})) == [urgent.pk]
    assert _ids(api_agent.get(URL, {"tag": "vip"})) == [urgent.pk]
    assert _ids(api_agent.get(URL, {"organization": org.pk})) == [by_org.pk]
    assert _ids(api_agent.get(URL, {"assignee": "me"})) == [assigned.pk]
    assert _ids(api_agent.get(URL, {"status": ["pending"]})) == [assigned.pk]
    assert sorted(_ids(api_agent.get(URL, {"status": ["new", "pending"]}))) == sorted(
        [by_org.pk, urgent.pk, assigned.pk]
    )
    assert _ids(api_agent.get(URL, {"customer": by_org.customer_id})) == [by_org.pk]
    assert _ids(api_agent.get(URL, {"team": "none"})) == []


def test_date_ranges_filter_on_created_and_updated(api_agent, team):
    old = TicketFactory(team=team, created_at=timezone.now() - timedelta(days=10))
    new = _open(team=team)
    since = (timezone.now() - timedelta(days=1)).isoformat()

    assert _ids(api_agent.get(URL, {"created_after": since})) == [new.pk]
    assert _ids(api_agent.get(URL, {"created_before": since})) == [old.pk]
    assert _ids(api_agent.get(URL, {"updated_before": since})) == [old.pk]


def test_search_finds_words_of_messages_and_a_customers_email(api_agent, team):
    printer = _open(team=team, subject="Printer", body_text="The toner is empty")
    _open(team=team, subject="Invoice", body_text="Wrong amount")
    CustomerIdentityFactory(customer=printer.customer, value="ann@example.com")

    assert _ids(api_agent.get(URL, {"q": "toner"})) == [printer.pk]
    assert _ids(api_agent.get(URL, {"q": "ann@example.com"})) == [printer.pk]


def test_a_bad_filter_value_is_a_400_naming_the_parameter(api_agent):
    response = api_agent.get(URL, {"status": "sleeping", "created_after": "yesterday", "team": "x"})

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert set(body["field_errors"]) == {"status", "created_after", "team"}


def test_cursor_pages_visit_every_ticket_once_even_while_tickets_are_added(api_agent, team):
    tickets = [_open(team=team) for _ in range(5)]
    seen: list[int] = []
    response = api_agent.get(URL, {"ordering": "id", "page_size": 2})
    while True:
        seen += _ids(response)
        if len(seen) == 2:
            _open(team=team)  # arrives after the first page: comes last, once
        cursor = response.json()["next_cursor"]
        if cursor is None:
            break
        assert response.json()["next"].startswith("http")
        response = api_agent.get(URL, {"ordering": "id", "page_size": 2, "cursor": cursor})

    assert seen[:5] == [t.pk for t in tickets]
    assert len(seen) == 6 == len(set(seen))


def test_a_forged_cursor_or_a_cursor_of_another_order_is_refused(api_agent, team):
    for _ in range(3):
        _open(team=team)
    cursor = api_agent.get(URL, {"ordering": "id", "page_size": 1}).json()["next_cursor"]

    other_order = api_agent.get(URL, {"ordering": "-created_at", "cursor": cursor})
    forged = api_agent.get(URL, {"cursor": "eyJvIjoiLXVwZGF0ZWRfYXQiLCJ2IjpbIm5vdCBhIGRhdGUiLDFdfQ"})

    assert other_order.status_code == forged.status_code == 400
    assert forged.json()["code"] == "invalid_cursor"
    assert api_agent.get(URL, {"page_size": 101}).json()["field_errors"].keys() == {"page_size"}


@pytest.mark.parametrize("size", [5, 50])
def test_a_page_costs_the_same_queries_whatever_its_size(api_agent, team, size, django_assert_max_num_queries):
    for index in range(size):
        _open(team=team, tags=[f"tag-{index % 3}"], customer=CustomerFactory(organization=OrganizationFactory()))

    # token, role, ids, rows, tags
    with django_assert_max_num_queries(6):
        response = api_agent.get(URL, {"page_size": size, "status": ["new", "open"], "priority": "normal"})

    assert len(response.json()["results"]) == size


# --- read ----------------------------------------------------------------------------------


def test_a_ticket_reads_with_an_etag_and_answers_304_while_it_is_unchanged(api_agent, team):
    ticket = _open(team=team, tags=["billing"])

    first = api_agent.get(f"{URL}{ticket.pk}/")
    assert first.status_code == 200
    assert first.json()["tags"] == ["billing"]
    assert first.json()["customer"] == ticket.customer_id
    etag = first.headers["ETag"]

    assert api_agent.get(f"{URL}{ticket.pk}/", If_None_Match=etag).status_code == 304
    services.ticket_change_priority(ticket=ticket, priority=Ticket.Priority.HIGH)
    again = api_agent.get(f"{URL}{ticket.pk}/", If_None_Match=etag)
    assert again.status_code == 200
    assert again.headers["ETag"] != etag


# --- create --------------------------------------------------------------------------------


def test_a_ticket_opens_for_a_requester_found_by_email(api_agent, team):
    known = CustomerIdentityFactory(value="ann@example.com").customer

    response = api_agent.post(
        URL,
        {
            "subject": "Refund",
            "body": "Please refund order 7",
            "requester": {"email": "Ann@Example.com", "name": "Ann"},
            "team": team.pk,
            "tags": ["refund"],
            "priority": "high",
        },
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["customer"] == known.pk
    assert (body["team"], body["priority"], body["tags"], body["channel"]) == (team.pk, "high", ["refund"], "api")
    assert response.headers["Location"].endswith(f"{URL}{body['id']}/")
    message = Message.objects.get(ticket_id=body["id"])
    assert (message.direction, message.body_text, message.author_customer_id) == (
        "inbound",
        "Please refund order 7",
        known.pk,
    )


def test_a_new_requester_becomes_a_customer_with_both_addresses(api_agent):
    response = api_agent.post(
        URL, {"subject": "Hi", "body": "x", "requester": {"email": "new@example.com", "phone": "+98 912 345 6789"}}
    )

    customer = Customer.objects.get(pk=response.json()["customer"])
    assert sorted(customer.identities.values_list("kind", "value")) == [
        ("email", "new@example.com"),
        ("phone", "+989123456789"),
    ]


def test_a_requester_whose_email_and_phone_are_two_customers_is_a_conflict(api_agent):
    CustomerIdentityFactory(value="a@example.com")
    CustomerIdentityFactory(kind=CustomerIdentity.Kind.PHONE, value="+989123456789")

    response = api_agent.post(
        URL, {"subject": "Hi", "body": "x", "requester": {"email": "a@example.com", "phone": "09123456789"}}
    )

    assert response.status_code == 409
    assert response.json()["code"] == "identity_taken"
    assert not Ticket.objects.exists()


def test_attachments_arrive_as_base64_and_download_with_the_same_token(api_agent):
    customer = CustomerFactory()
    content = "فاکتور ۱۰۴۲".encode()

    response = api_agent.post(
        URL,
        {
            "subject": "Invoice",
            "body": "attached",
            "customer": customer.pk,
            "attachments": [{"filename": "../../etc/فاکتور.txt", "content_base64": base64.b64encode(content).decode()}],
        },
    )

    assert response.status_code == 201, response.json()
    messages = api_agent.get(f"{URL}{response.json()['id']}/messages/").json()["results"]
    (attachment,) = messages[0]["attachments"]
    assert (attachment["filename"], attachment["content_type"], attachment["size"]) == (
        "فاکتور.txt",
        "text/plain",
        len(content),
    )
    download = api_agent.get(attachment["url"])
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == content


def test_attachments_also_arrive_as_multipart_files(api_agent):
    customer = CustomerFactory()
    upload = SimpleUploadedFile("photo.png", b"\x89PNG fake", content_type="image/png")

    response = api_agent.post_multipart(
        URL,
        {
            "subject": "Broken",
            "body": "see photo",
            "customer": customer.pk,
            "tags": ["a", "b"],
            "attachments": [upload],
        },
    )

    assert response.status_code == 201, response.json()
    assert response.json()["tags"] == ["a", "b"]
    message = Message.objects.get(ticket_id=response.json()["id"])
    assert [(a.filename, a.content_type, a.size) for a in message.attachments.all()] == [("photo.png", "image/png", 9)]


def test_bad_attachments_are_refused_with_the_reason_and_nothing_is_created(api_agent, settings):
    settings.HELPDESK_API_MAX_ATTACHMENT_BYTES = 10
    customer = CustomerFactory()

    response = api_agent.post(
        URL,
        {
            "subject": "x",
            "body": "y",
            "customer": customer.pk,
            "attachments": [
                {"filename": "a.bin", "content_base64": "not base64!"},
                {"filename": "b.bin", "content_base64": base64.b64encode(b"x" * 11).decode()},
            ],
        },
    )

    assert response.status_code == 400
    errors = response.json()["field_errors"]
    assert "base64" in errors["attachments.0"][0]
    assert "larger than" in errors["attachments.1"][0]
    assert not Ticket.objects.exists()


def test_an_unknown_customer_team_or_assignee_is_a_400_on_that_field(api_agent, other_team_agent, team):
    customer = CustomerFactory()

    assert api_agent.post(URL, {"subject": "x", "customer": 999999}).json()["field_errors"].keys() == {"customer"}
    assert api_agent.post(URL, {"subject": "x", "customer": customer.pk, "team": 999999}).json()[
        "field_errors"
    ].keys() == {"team"}
    outsider = api_agent.post(
        URL, {"subject": "x", "customer": customer.pk, "team": team.pk, "assignee": other_team_agent.pk}
    )
    assert outsider.status_code == 400
    assert "not a member" in outsider.json()["field_errors"]["assignee"][0]
    assert api_agent.post(URL, {"subject": "x"}).json()["field_errors"].keys() == {"customer"}


def test_a_customer_opens_a_ticket_for_themselves_only(api_customer, portal_customer):
    response = api_customer.post(URL, {"subject": "My order", "body": "It is late"})

    assert response.status_code == 201
    ticket = Ticket.objects.get(pk=response.json()["id"])
    assert (ticket.customer_id, ticket.channel) == (portal_customer.pk, Channel.API)
    assert ticket.messages.get().author_customer_id == portal_customer.pk

    refused = api_customer.post(URL, {"subject": "x", "customer": CustomerFactory().pk, "priority": "urgent"})
    assert refused.status_code == 403
    assert refused.json()["code"] == "forbidden_fields"
    assert set(refused.json()["field_errors"]) == {"customer", "priority"}


def test_a_customer_sees_only_their_own_tickets(api_customer, portal_customer):
    own = _open(customer=portal_customer)
    other = _open()

    assert _ids(api_customer.get(URL)) == [own.pk]
    assert api_customer.get(f"{URL}{other.pk}/").status_code == 404
    assert api_customer.get(f"{URL}{other.pk}/messages/").status_code == 404


# --- change --------------------------------------------------------------------------------


def test_patch_changes_status_priority_assignee_tags_and_subject_with_events(api_agent, team, agent):
    ticket = _open(team=team)

    response = api_agent.patch(
        f"{URL}{ticket.pk}/",
        {"status": "pending", "priority": "urgent", "assignee": agent.pk, "tags": ["Late", "vip"], "subject": "Late!"},
    )

    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["status"], body["priority"], body["assignee"], body["tags"], body["subject"]) == (
        "pending", "urgent", agent.pk, ["late", "vip"], "Late!",
    )  # fmt: skip
    kinds = set(ticket.events.values_list("kind", flat=True))
    assert {
        TicketEvent.Kind.STATUS,
        TicketEvent.Kind.PRIORITY,
        TicketEvent.Kind.ASSIGNEE,
        TicketEvent.Kind.TAGS,
    } <= kinds
    assert TicketEvent.objects.filter(ticket=ticket, kind=TicketEvent.Kind.STATUS, actor=agent).exists()


def test_if_match_with_an_old_etag_is_412_and_changes_nothing(api_agent, team):
    ticket = _open(team=team)
    etag = api_agent.get(f"{URL}{ticket.pk}/").headers["ETag"]
    services.ticket_change_priority(ticket=ticket, priority=Ticket.Priority.LOW)  # someone else, meanwhile

    stale = api_agent.patch(f"{URL}{ticket.pk}/", {"status": "solved"}, If_Match=etag)

    assert stale.status_code == 412
    assert stale.json()["code"] == "precondition_failed"
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.NEW
    fresh = api_agent.get(f"{URL}{ticket.pk}/").headers["ETag"]
    assert api_agent.patch(f"{URL}{ticket.pk}/", {"status": "solved"}, If_Match=fresh).status_code == 200


def test_a_transition_the_rules_forbid_is_a_409(api_agent, team):
    ticket = _open(team=team)
    services.ticket_change_status(ticket=ticket, status=Ticket.Status.SOLVED)
    services.ticket_change_status(ticket=ticket, status=Ticket.Status.CLOSED)

    response = api_agent.patch(f"{URL}{ticket.pk}/", {"status": "open"})

    assert response.status_code == 409
    assert response.json()["code"] == "invalid_transition"


def test_moving_a_ticket_to_another_team_answers_with_it_then_it_is_out_of_reach(api_agent, team):
    ticket = _open(team=team)
    elsewhere = TeamFactory()

    moved = api_agent.patch(f"{URL}{ticket.pk}/", {"team": elsewhere.pk})

    assert moved.status_code == 200
    assert moved.json()["team"] == elsewhere.pk
    assert api_agent.get(f"{URL}{ticket.pk}/").status_code == 404


def test_a_customer_cannot_change_a_ticket(api_customer, portal_customer):
    ticket = _open(customer=portal_customer)

    response = api_customer.patch(f"{URL}{ticket.pk}/", {"status": "solved"})

    assert response.status_code == 403
    assert response.json()["code"] == "forbidden_role"


def test_merge_moves_the_conversation_into_the_other_ticket(api_agent, team):
    source, target = _open(team=team), _open(team=team)

    response = api_agent.post(f"{URL}{source.pk}/merge/", {"into": target.pk})

    assert response.status_code == 200
    assert response.json()["id"] == target.pk
    source.refresh_from_db()
    assert (source.merged_into_id, source.status) == (target.pk, Ticket.Status.CLOSED)
    assert target.messages.count() == 2
    assert api_agent.patch(f"{URL}{source.pk}/", {"priority": "low"}).json()["code"] == "ticket_merged"


def test_merging_into_a_ticket_out_of_reach_is_404(api_agent, team):
    source = _open(team=team)
    hidden = _open(team=TeamFactory())

    assert api_agent.post(f"{URL}{source.pk}/merge/", {"into": hidden.pk}).status_code == 404
    assert Ticket.objects.get(pk=hidden.pk).merged_tickets.count() == 0


def test_an_agent_of_another_team_reaches_nothing_here(team):
    ticket = _open(team=team)
    outsider = client_for(AgentFactory())
    TeamFactory(members=[outsider.user])

    assert outsider.get(f"{URL}{ticket.pk}/").status_code == 404
    assert outsider.patch(f"{URL}{ticket.pk}/", {"status": "solved"}).status_code == 404
    assert outsider.post(f"{URL}{ticket.pk}/messages/", {"body": "hi"}).status_code == 404


def test_a_time_with_any_offset_python_reads_is_understood_or_refused_never_a_crash(api_agent, team):
    ticket = _open(team=team)
    # +19:03 is a valid ISO offset that PostgreSQL itself would refuse; it is turned to UTC first.
    far = (ticket.created_at - timedelta(days=1)).astimezone(timezone.get_fixed_timezone(19 * 60 + 3))

    assert _ids(api_agent.get(URL, {"created_after": far.isoformat()})) == [ticket.pk]
    too_early = api_agent.get(URL, {"created_after": "0001-01-01T00:00:00+10:00"})
    assert too_early.status_code == 400
    assert set(too_early.json()["field_errors"]) == {"created_after"}
