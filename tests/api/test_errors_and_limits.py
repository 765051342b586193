"""Every failure answers in one shape, {"code", "message", "field_errors"}, with the right status."""

from __future__ import annotations

import pytest

from tests.api.conftest import TokenClient, client_for
from tests.factories import AgentFactory

pytestmark = pytest.mark.django_db


def _shape(response) -> dict:
    body = response.json()
    assert set(body) == {"code", "message", "field_errors"}
    assert body["message"]
    return body


def test_no_credentials_is_401_with_a_bearer_challenge():
    response = TokenClient().get("/api/v1/tickets/")

    assert response.status_code == 401
    assert _shape(response)["code"] == "not_authenticated"
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="api"'


def test_unknown_addresses_under_the_api_answer_in_json(api_agent, settings):
    settings.DEBUG = False

    response = api_agent.get("/api/v1/no-such-thing/")

    assert response.status_code == 404
    assert _shape(response)["code"] == "not_found"


def test_a_method_the_endpoint_lacks_is_405(api_agent):
    response = api_agent.delete("/api/v1/tickets/")

    assert response.status_code == 405
    assert _shape(response)["code"] == "method_not_allowed"


def test_malformed_json_is_a_400_parse_error(api_agent):
    response = api_agent.client.post(
        "/api/v1/tickets/", "{not json", content_type="application/json", headers=api_agent._headers({})
    )

    assert response.status_code == 400
    assert _shape(response)["code"] == "parse_error"


def test_an_unsupported_content_type_is_415(api_agent):
    response = api_agent.client.post(
        "/api/v1/customers/", "name=x", content_type="text/plain", headers=api_agent._headers({})
    )

    assert response.status_code == 415
    assert _shape(response)["code"] == "unsupported_media_type"


def test_a_body_over_the_limit_is_413_before_it_is_read(api_agent, settings):
    settings.HELPDESK_API_MAX_ATTACHMENT_BYTES = 1024

    response = api_agent.client.post(
        "/api/v1/tickets/", "x" * (5 * 1024 * 1024), content_type="application/json", headers=api_agent._headers({})
    )

    assert response.status_code == 413
    assert _shape(response)["code"] == "request_too_large"


def test_a_token_over_its_rate_gets_429_with_retry_after(settings):
    settings.HELPDESK_API_REQUESTS_PER_MINUTE = 3
    client = client_for(AgentFactory(), ("read",))

    answers = [client.get("/api/v1/me/") for _ in range(4)]

    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert [a.headers["X-RateLimit-Remaining"] for a in answers[:3]] == ["2", "1", "0"]
    assert _shape(answers[3])["code"] == "throttled"
    assert 1 <= int(answers[3].headers["Retry-After"]) <= 60


def test_each_token_has_its_own_rate():
    agent = AgentFactory()
    slow = client_for(agent, ("read",))
    slow_token = slow.token
    from api.models import ApiToken

    ApiToken.objects.filter(prefix=slow_token.split("_")[1]).update(requests_per_minute=1)
    fast = client_for(agent, ("read",))

    assert [slow.get("/api/v1/me/").status_code for _ in range(2)] == [200, 429]
    assert fast.get("/api/v1/me/").status_code == 200


def test_anonymous_callers_of_public_endpoints_are_limited_by_address(settings):
    settings.HELPDESK_API_ANONYMOUS_REQUESTS_PER_MINUTE = 2

    answers = [TokenClient().get("/api/v1/tickets/") for _ in range(3)]

    assert [a.status_code for a in answers] == [401, 401, 429]


@pytest.mark.parametrize("text", ["nul \\u0000 inside", "half a pair \\ud83d"])
def test_json_text_no_database_can_store_is_refused_with_the_reason(api_agent, text):
    body = '{"name": "x", "attributes": {"note": "' + text + '"}}'

    response = api_agent.client.post(
        "/api/v1/customers/", body, content_type="application/json", headers=api_agent._headers({})
    )

    assert response.status_code == 400
    assert _shape(response)["code"] == "parse_error"
    assert "NUL" in response.json()["message"]
