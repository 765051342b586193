"""Customers and organizations through the API: what a CRM keeps in step with us."""

from __future__ import annotations

import pytest

from tests.api.conftest import client_for
from tests.factories import (
    CustomerFactory,
    CustomerIdentityFactory,
    ManagerFactory,
    OrganizationFactory,
    TicketFactory,
)
from tickets.models import Customer, CustomerMerge

pytestmark = pytest.mark.django_db

URL = "/api/v1/customers/"


def test_a_customer_is_created_with_identities_attributes_and_an_organization(api_agent):
    org = OrganizationFactory()

    response = api_agent.post(
        URL,
        {
            "name": " Sara Ahmadi ",
            "organization": org.pk,
            "locale": "fa",
            "external_id": "crm-77",
            "attributes": {"plan": "gold", "orders": [1, 2]},
            "identities": [{"kind": "email", "value": "Sara@Example.com"}, {"kind": "phone", "value": "0912 345 6789"}],
            "churned_at": "2026-11-01T10:00:00Z",
        },
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["name"], body["organization"], body["locale"], body["external_id"]) == (
        "Sara Ahmadi",
        org.pk,
        "fa",
        "crm-77",
    )
    assert body["attributes"] == {"plan": "gold", "orders": [1, 2]}
    assert body["churned_at"] == "2026-11-01T10:00:00Z"
    assert body["identities"] == [
        {"kind": "email", "value": "sara@example.com", "is_primary": True},
        {"kind": "phone", "value": "+989123456789", "is_primary": False},
    ]


def test_an_identity_someone_else_has_is_a_conflict_naming_the_owner(api_agent):
    owner = CustomerIdentityFactory(value="taken@example.com").customer

    response = api_agent.post(URL, {"name": "X", "identities": [{"kind": "email", "value": "TAKEN@example.com"}]})

    assert response.status_code == 409
    assert response.json()["code"] == "identity_taken"
    assert str(owner) in response.json()["message"]
    assert Customer.objects.count() == 1


def test_a_crm_id_is_unique(api_agent):
    CustomerFactory(external_id="crm-1")

    response = api_agent.post(URL, {"name": "Y", "external_id": "crm-1"})

    assert response.status_code == 400
    assert response.json()["code"] == "external_id_taken"


def test_patch_merges_crm_attributes_and_null_removes_one(api_agent):
    customer = CustomerFactory(attributes={"plan": "silver", "newsletter": True})

    response = api_agent.patch(
        f"{URL}{customer.pk}/", {"attributes": {"plan": "gold", "newsletter": None, "ltv": 1200}}
    )

    assert response.status_code == 200
    assert response.json()["attributes"] == {"plan": "gold", "ltv": 1200}


def test_lookups_by_email_phone_and_crm_id(api_agent):
    sara = CustomerIdentityFactory(value="sara@example.com").customer
    CustomerIdentityFactory(customer=sara, kind="phone", value="+989123456789")
    crm = CustomerFactory(external_id="crm-9")
    CustomerFactory(name="Someone else")

    def ids(params):
        return [row["id"] for row in api_agent.get(URL, params).json()["results"]]

    assert ids({"email": "SARA@example.com"}) == [sara.pk]
    assert ids({"phone": "0912 345 6789"}) == [sara.pk]
    assert ids({"external_id": "crm-9"}) == [crm.pk]
    assert ids({"q": "someone"}) != []


def test_identities_are_added_one_at_a_time(api_agent):
    customer = CustomerFactory()

    response = api_agent.post(f"{URL}{customer.pk}/identities/", {"kind": "social", "value": "@Sara_A"})

    assert response.status_code == 201
    assert response.json()["identities"] == [{"kind": "social", "value": "@sara_a", "is_primary": False}]


def test_marking_churned_and_clearing_it(api_agent):
    customer = CustomerFactory()

    churned = api_agent.post(f"{URL}{customer.pk}/churn/", {"at": "2026-11-01T10:00:00Z"})
    cleared = api_agent.patch(f"{URL}{customer.pk}/", {"churned_at": None})

    assert churned.json()["churned_at"] == "2026-11-01T10:00:00Z"
    assert cleared.json()["churned_at"] is None


def test_a_manager_merges_two_customers_and_their_tickets_follow(api_agent):
    manager = client_for(ManagerFactory())
    source = CustomerIdentityFactory(value="old@example.com").customer
    target = CustomerFactory()
    ticket = TicketFactory(customer=source)

    refused = api_agent.post(f"{URL}{source.pk}/merge/", {"into": target.pk})
    response = manager.post(f"{URL}{source.pk}/merge/", {"into": target.pk})

    assert refused.status_code == 403
    assert response.status_code == 200
    assert {"kind": "email", "value": "old@example.com", "is_primary": False} in response.json()["identities"]
    ticket.refresh_from_db()
    assert ticket.customer_id == target.pk
    assert CustomerMerge.objects.get().source_id == source.pk
    again = manager.post(f"{URL}{source.pk}/merge/", {"into": target.pk})
    assert (again.status_code, again.json()["code"]) == (409, "already_merged")
    assert manager.patch(f"{URL}{source.pk}/", {"name": "x"}).json()["code"] == "customer_merged"


def test_a_customer_reads_only_their_own_record(api_customer, portal_customer):
    other = CustomerFactory()

    assert [row["id"] for row in api_customer.get(URL).json()["results"]] == [portal_customer.pk]
    assert api_customer.get(f"{URL}{other.pk}/").status_code == 404
    assert api_customer.patch(f"{URL}{portal_customer.pk}/", {"name": "Me"}).status_code == 403


@pytest.mark.parametrize("count", [3, 40])
def test_customers_list_in_a_fixed_number_of_queries(api_agent, count, django_assert_max_num_queries):
    for _ in range(count):
        CustomerIdentityFactory(customer=CustomerFactory(organization=OrganizationFactory()))

    with django_assert_max_num_queries(5):
        response = api_agent.get(URL, {"page_size": 100})

    assert len(response.json()["results"]) == count


def test_organizations_are_read_by_agents_and_written_by_managers(api_agent, api_manager):
    made = api_manager.post("/api/v1/organizations/", {"name": "Acme Ltd", "domain": "@ACME.example"})
    refused = api_agent.post("/api/v1/organizations/", {"name": "Other"})
    duplicate = api_manager.post("/api/v1/organizations/", {"name": "acme ltd"})

    assert made.status_code == 201
    assert made.json()["domain"] == "acme.example"
    assert refused.status_code == 403
    assert duplicate.status_code in (400, 409)
    listed = api_agent.get("/api/v1/organizations/", {"name": "acme"}).json()["results"]
    assert [row["name"] for row in listed] == ["Acme Ltd"]
    renamed = api_manager.patch(f"/api/v1/organizations/{made.json()['id']}/", {"name": "Acme"})
    assert renamed.json()["name"] == "Acme"
