"""Who may call what: every role and token scope against every endpoint, with the answer each must get.

Rows are endpoints, columns are callers. 2xx means the call did what it asks; 401 no credentials;
403 the role or the token's scope forbids it; 404 the object is not the caller's to see (someone
else's ticket is never confirmed to exist); 400 where the caller may act but not on that object.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client

from integrations.models import WebhookDelivery
from integrations.webhooks import webhook_subscription_create
from tests.api.conftest import TokenClient, client_for
from tests.factories import (
    AdminFactory,
    AgentFactory,
    ArticleFactory,
    AttachmentFactory,
    CustomerFactory,
    CustomerIdentityFactory,
    ManagerFactory,
    MessageFactory,
    OrganizationFactory,
    PortalCustomerFactory,
    SurveyAnswerFactory,
    TeamFactory,
    TicketFactory,
    TimeEntryFactory,
)

pytestmark = pytest.mark.django_db

CALLERS = ["anonymous", "customer", "other_agent", "agent", "manager", "admin", "read", "write", "admin_scope"]
OK = 200  # any 2xx


@dataclass
class World:
    ticket: Any
    merge_target: Any
    message: Any
    attachment: Any
    customer: Any
    other_customer: Any
    portal_customer: Any
    delivery: Any
    users: dict[str, Any]


@pytest.fixture
def world() -> World:
    agent, other_agent = AgentFactory(), AgentFactory()
    team = TeamFactory(members=[agent])
    TeamFactory(members=[other_agent])
    customer = CustomerIdentityFactory(value="owner@example.com").customer
    ticket = TicketFactory(team=team, customer=customer)
    message = MessageFactory(ticket=ticket)
    SurveyAnswerFactory(invitation__ticket=TicketFactory(team=team, status="solved"))
    TimeEntryFactory(ticket=ticket, agent=agent)
    ArticleFactory()
    OrganizationFactory()
    portal = PortalCustomerFactory()
    TicketFactory(customer=portal)
    subscription, _secret = webhook_subscription_create(name="CRM", url="https://crm.example.com/hooks", events=["*"])
    delivery = WebhookDelivery.objects.create(
        subscription=subscription, event="ticket.created", ordering_key=f"ticket:{ticket.pk}", payload={"id": "evt_1"}
    )
    return World(
        delivery=delivery,
        ticket=ticket,
        merge_target=TicketFactory(team=team),
        message=message,
        attachment=AttachmentFactory(message=message),
        customer=customer,
        other_customer=CustomerFactory(),
        portal_customer=portal,
        users={
            "customer": portal.user,
            "other_agent": other_agent,
            "agent": agent,
            "manager": ManagerFactory(),
            "admin": AdminFactory(),
        },
    )


class SessionClient(TokenClient):
    """The browser session of our own pages (no token)."""

    def __init__(self, user: Any) -> None:
        super().__init__()
        self.client = Client()
        self.client.force_login(user)


def _caller(name: str, world: World) -> TokenClient:
    if name == "anonymous":
        return TokenClient()
    if name in world.users:
        return SessionClient(world.users[name])
    scopes = {"read": ("read",), "write": ("write",), "admin_scope": ("admin",)}[name]
    return client_for(world.users["admin"], scopes)


# (method, path, body) built from the world; then the expected answer per caller, in CALLERS order.
ENDPOINTS: dict[str, tuple] = {
    "list tickets": (
        lambda w: ("get", "/api/v1/tickets/", None),
        [401, OK, OK, OK, OK, OK, OK, 403, 403],
    ),
    "open a ticket": (
        lambda w: ("post", "/api/v1/tickets/", {"subject": "Hi", "body": "x"}),
        # staff must name the customer: 400 proves they got past the permission checks
        [401, 201, 400, 400, 400, 400, 403, 400, 403],
    ),
    "read a ticket": (
        lambda w: ("get", f"/api/v1/tickets/{w.ticket.pk}/", None),
        [401, 404, 404, OK, OK, OK, OK, 403, 403],
    ),
    "change a ticket": (
        lambda w: ("patch", f"/api/v1/tickets/{w.ticket.pk}/", {"priority": "high"}),
        [401, 403, 404, OK, OK, OK, 403, OK, 403],
    ),
    "merge tickets": (
        lambda w: ("post", f"/api/v1/tickets/{w.ticket.pk}/merge/", {"into": w.merge_target.pk}),
        [401, 403, 404, OK, OK, OK, 403, OK, 403],
    ),
    "list messages": (
        lambda w: ("get", f"/api/v1/tickets/{w.ticket.pk}/messages/", None),
        [401, 404, 404, OK, OK, OK, OK, 403, 403],
    ),
    "add a note": (
        lambda w: ("post", f"/api/v1/tickets/{w.ticket.pk}/messages/", {"kind": "note", "body": "x"}),
        [401, 404, 404, 201, 201, 201, 403, 201, 403],
    ),
    "read a message": (
        lambda w: ("get", f"/api/v1/messages/{w.message.pk}/", None),
        [401, 404, 404, OK, OK, OK, OK, 403, 403],
    ),
    "download an attachment": (
        lambda w: ("get", f"/api/v1/attachments/{w.attachment.pk}/", None),
        [401, 404, 404, OK, OK, OK, OK, 403, 403],
    ),
    "list customers": (
        lambda w: ("get", "/api/v1/customers/", None),
        [401, OK, OK, OK, OK, OK, OK, 403, 403],
    ),
    "read someone else's customer record": (
        lambda w: ("get", f"/api/v1/customers/{w.customer.pk}/", None),
        [401, 404, OK, OK, OK, OK, OK, 403, 403],
    ),
    "create a customer": (
        lambda w: ("post", "/api/v1/customers/", {"name": "New"}),
        [401, 403, 201, 201, 201, 201, 403, 201, 403],
    ),
    "change a customer": (
        lambda w: ("patch", f"/api/v1/customers/{w.customer.pk}/", {"attributes": {"plan": "gold"}}),
        [401, 403, OK, OK, OK, OK, 403, OK, 403],
    ),
    "add an identity": (
        lambda w: ("post", f"/api/v1/customers/{w.customer.pk}/identities/", {"kind": "phone", "value": "+15550100"}),
        [401, 403, 201, 201, 201, 201, 403, 201, 403],
    ),
    "mark churned": (
        lambda w: ("post", f"/api/v1/customers/{w.customer.pk}/churn/", {}),
        [401, 403, OK, OK, OK, OK, 403, OK, 403],
    ),
    "merge customers": (
        lambda w: ("post", f"/api/v1/customers/{w.other_customer.pk}/merge/", {"into": w.customer.pk}),
        [401, 403, 403, 403, OK, OK, 403, OK, 403],
    ),
    "list organizations": (
        lambda w: ("get", "/api/v1/organizations/", None),
        [401, 403, OK, OK, OK, OK, OK, 403, 403],
    ),
    "create an organization": (
        lambda w: ("post", "/api/v1/organizations/", {"name": "Acme"}),
        [401, 403, 403, 403, 201, 201, 403, 201, 403],
    ),
    "list teams": (
        lambda w: ("get", "/api/v1/teams/", None),
        [401, 403, OK, OK, OK, OK, OK, 403, 403],
    ),
    "list agents": (
        lambda w: ("get", "/api/v1/agents/", None),
        [401, 403, OK, OK, OK, OK, OK, 403, 403],
    ),
    "list articles": (
        lambda w: ("get", "/api/v1/articles/", None),
        [OK, OK, OK, OK, OK, OK, OK, 403, 403],
    ),
    "write an article": (
        lambda w: ("post", "/api/v1/articles/", {"title": "T", "body_html": "<p>b</p>"}),
        [401, 403, 403, 403, 201, 201, 403, 201, 403],
    ),
    "list survey answers": (
        lambda w: ("get", "/api/v1/survey-answers/", None),
        [401, 403, OK, OK, OK, OK, OK, 403, 403],
    ),
    "list time entries": (
        lambda w: ("get", "/api/v1/time-entries/", None),
        [401, 403, OK, OK, OK, OK, OK, 403, 403],
    ),
    "log time": (
        lambda w: ("post", "/api/v1/time-entries/", {"ticket": w.ticket.pk, "seconds": 60}),
        [401, 403, 400, 201, 201, 201, 403, 201, 403],
    ),
    "read metrics": (
        lambda w: ("get", "/api/v1/metrics/overview/", None),
        [401, 403, 403, 403, OK, OK, OK, 403, 403],
    ),
    "export": (
        lambda w: ("get", "/api/v1/export/", None),
        [401, 403, 403, 403, OK, OK, OK, 403, 403],
    ),
    "list tokens": (
        lambda w: ("get", "/api/v1/tokens/", None),
        [401, 403, 403, 403, 403, OK, 403, 403, OK],
    ),
    "create a token": (
        lambda w: ("post", "/api/v1/tokens/", {"name": "x", "scopes": ["read"]}),
        [401, 403, 403, 403, 403, 201, 403, 403, 201],
    ),
    "list webhook subscriptions": (
        lambda w: ("get", "/api/v1/webhooks/", None),
        [401, 403, 403, 403, 403, OK, 403, 403, OK],
    ),
    "subscribe a webhook": (
        lambda w: ("post", "/api/v1/webhooks/", {"name": "CRM", "url": "https://crm.example.com/h", "events": ["*"]}),
        [401, 403, 403, 403, 403, 201, 403, 403, 201],
    ),
    "read a webhook delivery": (
        lambda w: ("get", f"/api/v1/webhook-deliveries/{w.delivery.pk}/", None),
        [401, 403, 403, 403, 403, OK, 403, 403, OK],
    ),
    "deliver again": (
        lambda w: ("post", f"/api/v1/webhook-deliveries/{w.delivery.pk}/redeliver/", {}),
        [401, 403, 403, 403, 403, 201, 403, 403, 201],
    ),
    "who am I": (
        lambda w: ("get", "/api/v1/me/", None),
        [401, OK, OK, OK, OK, OK, OK, 403, 403],
    ),
}


@pytest.mark.parametrize("endpoint", list(ENDPOINTS))
@pytest.mark.parametrize("caller", CALLERS)
def test_permission_matrix(world, endpoint, caller):
    build, expected = ENDPOINTS[endpoint]
    method, path, body = build(world)
    client = _caller(caller, world)

    response = getattr(client, method)(path, body) if body is not None else getattr(client, method)(path)

    want = expected[CALLERS.index(caller)]
    if want == OK:
        assert 200 <= response.status_code < 300, (response.status_code, _body(response))
    else:
        assert response.status_code == want, (response.status_code, _body(response))
    if response.status_code >= 400:
        assert set(response.json()) == {"code", "message", "field_errors"}


def _body(response) -> Any:
    try:
        return response.json()
    except ValueError:
        return response.content[:200]
