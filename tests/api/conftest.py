"""API test helpers: a client that sends a token and JSON, and a token-holding client per role."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from api.tokens import token_create
from tests.factories import AdminFactory, AgentFactory, ManagerFactory, PortalCustomerFactory, TeamFactory


class TokenClient:
    """Django's test client sending `Authorization: Bearer <token>` (when it has one) and JSON bodies."""

    def __init__(self, token: str | None = None, user: Any = None) -> None:
        self.client = Client()
        self.token = token
        self.user = user

    def _headers(self, headers: dict[str, str]) -> dict[str, str]:
        sent = {name.replace("_", "-"): value for name, value in headers.items()}
        if self.token:
            sent.setdefault("Authorization", f"Bearer {self.token}")
        return sent

    def get(self, path: str, data: Any = None, **headers: str):
        return self.client.get(path, data, headers=self._headers(headers))

    def post(self, path: str, data: Any = None, **headers: str):
        body = json.dumps(data if data is not None else {})
        return self.client.post(path, body, content_type="application/json", headers=self._headers(headers))

    def post_multipart(self, path: str, data: dict, **headers: str):
        return self.client.post(path, data, headers=self._headers(headers))

    def patch(self, path: str, data: Any = None, **headers: str):
        body = json.dumps(data if data is not None else {})
        return self.client.patch(path, body, content_type="application/json", headers=self._headers(headers))

    def delete(self, path: str, **headers: str):
        return self.client.delete(path, headers=self._headers(headers))


def token_for(user: Any, scopes: tuple[str, ...] = ("read", "write")) -> str:
    return token_create(name="test", user=user, scopes=scopes)[1]


def client_for(user: Any, scopes: tuple[str, ...] = ("read", "write")) -> TokenClient:
    return TokenClient(token_for(user, scopes), user=user)


@pytest.fixture
def api_agent(agent, team):
    """The shared `agent` fixture (a member of `team`) with a read-write token."""
    return client_for(agent)


@pytest.fixture
def api_manager(db):
    return client_for(ManagerFactory())


@pytest.fixture
def api_admin(db):
    return client_for(AdminFactory(), ("read", "write", "admin"))


@pytest.fixture
def portal_customer(db):
    return PortalCustomerFactory()


@pytest.fixture
def api_customer(portal_customer):
    return client_for(portal_customer.user)


@pytest.fixture
def other_team_agent(db):
    """An agent of another team than `team`."""
    other = AgentFactory()
    TeamFactory(members=[other])
    return other
