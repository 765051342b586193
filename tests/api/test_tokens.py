"""API tokens: made by admins, shown once, kept as a hash, scoped, expiring, revocable."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from api.models import ApiToken
from api.tokens import token_create
from tests.api.conftest import TokenClient, client_for
from tests.factories import AdminFactory, AgentFactory, ManagerFactory, PortalCustomerFactory

pytestmark = pytest.mark.django_db


def test_only_a_hash_of_the_token_is_kept():
    token, text = token_create(name="CRM", user=AgentFactory(), scopes=["read"])

    assert text.startswith(f"hd_{token.prefix}_")
    secret = text.rsplit("_", 1)[-1]
    assert secret not in token.secret_hash
    assert len(token.secret_hash) == 64


def test_a_token_acts_as_its_user_and_says_so_at_me():
    agent = AgentFactory()
    client = client_for(agent, ("read",))

    body = client.get("/api/v1/me/").json()

    assert (body["id"], body["role"], body["token"]["scopes"]) == (agent.pk, "agent", ["read"])


@pytest.mark.parametrize(
    "header",
    ["Bearer hd_000000000000_nothing", "Bearer not-a-token", "Token hd_", "Bearer " + "x" * 500],
)
def test_an_unknown_or_malformed_token_is_401(header):
    response = TokenClient().get("/api/v1/tickets/", Authorization=header)

    assert response.status_code == 401
    assert response.json()["code"] == "invalid_token"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_a_token_with_a_changed_secret_is_refused():
    _token, text = token_create(name="x", user=AgentFactory(), scopes=["read"])

    assert TokenClient(text[:-1] + ("A" if text[-1] != "A" else "B")).get("/api/v1/me/").status_code == 401


def test_expired_and_revoked_tokens_stop_working_at_once():
    user = AgentFactory()
    expiring, text = token_create(name="x", user=user, scopes=["read"], expires_at=timezone.now() + timedelta(hours=1))
    client = TokenClient(text)
    assert client.get("/api/v1/me/").status_code == 200

    ApiToken.objects.filter(pk=expiring.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert client.get("/api/v1/me/").status_code == 401

    _revoked, other_text = token_create(name="y", user=user, scopes=["read"])
    api_admin = client_for(AdminFactory(), ("read", "admin"))
    assert api_admin.delete(f"/api/v1/tokens/{_revoked.pk}/").status_code == 204
    assert TokenClient(other_text).get("/api/v1/me/").status_code == 401


def test_a_deactivated_user_s_token_is_refused():
    user = AgentFactory()
    client = client_for(user)
    user.is_active = False
    user.save()

    assert client.get("/api/v1/me/").status_code == 401


def test_a_read_token_cannot_write_and_a_write_token_cannot_read():
    agent = AgentFactory()
    reader, writer = client_for(agent, ("read",)), client_for(agent, ("write",))

    refused = reader.post("/api/v1/tickets/", {"subject": "x"})
    assert refused.status_code == 403
    assert refused.json()["code"] == "insufficient_scope"
    assert writer.get("/api/v1/tickets/").json()["code"] == "insufficient_scope"


def test_admins_create_tokens_through_the_api_and_see_the_secret_once():
    admin = client_for(AdminFactory(), ("read", "write", "admin"))
    integration = ManagerFactory(username="crm-sync")

    made = admin.post("/api/v1/tokens/", {"name": "CRM sync", "user": integration.pk, "scopes": ["read", "write"]})

    assert made.status_code == 201, made.json()
    text = made.json()["token"]
    assert TokenClient(text).get("/api/v1/me/").json()["username"] == "crm-sync"
    listed = admin.get("/api/v1/tokens/").json()["results"]
    assert "token" not in listed[0] and "secret_hash" not in listed[0]
    assert "token" not in admin.get(f"/api/v1/tokens/{made.json()['id']}/").json()


def test_token_rules_are_explained_per_field():
    admin = client_for(AdminFactory(), ("read", "write", "admin"))

    agent_admin_scope = admin.post("/api/v1/tokens/", {"name": "x", "user": AgentFactory().pk, "scopes": ["admin"]})
    past = admin.post("/api/v1/tokens/", {"name": "x", "scopes": ["read"], "expires_at": "2000-01-01T00:00:00Z"})

    assert agent_admin_scope.status_code == past.status_code == 400
    assert set(agent_admin_scope.json()["field_errors"]) == {"scopes"}
    assert set(past.json()["field_errors"]) == {"expires_at"}


def test_only_admin_tokens_with_the_admin_scope_manage_tokens():
    admin_without_scope = client_for(AdminFactory(), ("read", "write"))
    manager = client_for(ManagerFactory(), ("read", "write"))

    assert admin_without_scope.get("/api/v1/tokens/").json()["code"] == "insufficient_scope"
    assert manager.get("/api/v1/tokens/").json()["code"] == "forbidden_role"


def test_a_customer_token_reaches_only_that_customer():
    customer = PortalCustomerFactory()
    client = client_for(customer.user)

    assert client.get("/api/v1/me/").json()["customer"] == customer.pk
    assert client.get("/api/v1/teams/").status_code == 403


def test_an_admin_creates_a_token_in_the_admin_and_sees_it_once(client):
    admin = AdminFactory()
    client.force_login(admin)
    agent = AgentFactory()

    response = client.post(
        reverse("admin:api_apitoken_add"),
        {"name": "Telephony", "user": agent.pk, "scopes": ["read", "write"], "expires_at_0": "", "expires_at_1": ""},
        follow=True,
    )

    token = ApiToken.objects.get()
    page = response.content.decode()
    assert f"hd_{token.prefix}_" in page
    shown = page.split(f"hd_{token.prefix}_", 1)[1].split(" ", 1)[0]
    assert TokenClient(f"hd_{token.prefix}_{shown}").get("/api/v1/me/").json()["username"] == agent.username
    assert (
        f"hd_{token.prefix}_" not in client.get(reverse("admin:api_apitoken_change", args=[token.pk])).content.decode()
    )


def test_the_admin_refuses_an_admin_scope_for_an_agent(client):
    client.force_login(AdminFactory())

    response = client.post(
        reverse("admin:api_apitoken_add"),
        {"name": "x", "user": AgentFactory().pk, "scopes": ["admin"], "expires_at_0": "", "expires_at_1": ""},
    )

    assert response.status_code == 200
    assert "administrator" in response.content.decode()
    assert not ApiToken.objects.exists()
