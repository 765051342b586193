"""The OpenAPI schema: valid, complete, served with offline docs; and the API keeps to it under fuzzing.

schemathesis generates requests for every operation from the schema (valid and invalid ones) and
checks each answer: never a server error, and status, content type and body as the schema says.
"""

from __future__ import annotations

import json

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from tests.api.conftest import TokenClient, token_for
from tests.factories import (
    AdminFactory,
    AgentFactory,
    ArticleFactory,
    AttachmentFactory,
    CustomerIdentityFactory,
    MessageFactory,
    OrganizationFactory,
    SurveyAnswerFactory,
    TeamFactory,
    TicketFactory,
    TimeEntryFactory,
)

pytestmark = pytest.mark.django_db

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


def test_the_schema_is_served_and_describes_every_endpoint():
    response = TokenClient().get("/api/schema/", HTTP_ACCEPT="application/json", format="json")

    assert response.status_code == 200
    text = response.content.decode()
    for path in ("/api/v1/tickets/", "/api/v1/customers/", "/api/v1/export/", "/api/v1/tokens/", "/api/v1/metrics/"):
        assert path in text
    assert "bearer" in text


def test_the_docs_pages_load_nothing_from_the_internet(client):
    page = client.get("/api/docs/").content.decode()

    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in page
    assert "https://" not in page and "http://" not in page


@pytest.fixture
def _keep_the_test_connection():
    # Requests reach the WSGI app directly, as a server would send them. Like Django's test client,
    # keep the end of a request from closing the connection that holds the test's transaction.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def seeded_world(settings, _keep_the_test_connection):
    """A small helpdesk so generated ids sometimes hit real rows; no rate limit for the fuzzer."""
    settings.HELPDESK_API_REQUESTS_PER_MINUTE = 1_000_000
    agent = AgentFactory()
    team = TeamFactory(members=[agent])
    for index in range(3):
        customer = CustomerIdentityFactory(customer__organization=OrganizationFactory()).customer
        ticket = TicketFactory(team=team, customer=customer, assignee=agent if index else None)
        message = MessageFactory(ticket=ticket)
        AttachmentFactory(message=message)
        TimeEntryFactory(ticket=ticket, agent=agent)
        SurveyAnswerFactory(invitation__ticket=TicketFactory(team=team, status="solved"))
        ArticleFactory()
    return token_for(AdminFactory(), scopes=("read", "write", "admin"))


def _openapi() -> dict:
    """The schema as /api/schema/ serves it, built without a request (no database needed)."""
    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.renderers import OpenApiJsonRenderer

    return json.loads(OpenApiJsonRenderer().render(SchemaGenerator().get_schema(request=None, public=True)))


schema = schemathesis.openapi.from_dict(_openapi())
APP = get_wsgi_application()


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_every_operation_keeps_to_its_schema(case, seeded_world):
    response = case.call(app=APP, headers={"Authorization": f"Bearer {seeded_world}"})

    case.validate_response(response, checks=CHECKS)
