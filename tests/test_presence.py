"""Collision detection: agents on the same ticket see each other, through the cache only."""

import os
import time
import uuid

import pytest
import redis
from django.core.cache import cache
from django.urls import reverse

from tests.factories import AgentFactory, CustomerFactory, TeamFactory
from tests.parts import missing
from tickets import presence, services
from tickets.models import Channel

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _empty_cache():
    # locmem keeps its data across tests in one process; presence lives only there.
    cache.clear()


@pytest.fixture
def sam():
    return AgentFactory(username="sam", first_name="Sam", last_name="Lee")


@pytest.fixture
def ava():
    return AgentFactory(username="ava", first_name="Ava", last_name="Rahimi")


@pytest.fixture
def ticket(sam, ava):
    team = TeamFactory(name="Billing", members=[sam, ava])
    return services.ticket_create(customer=CustomerFactory(), subject="Refund", channel=Channel.EMAIL, team=team)


def test_two_agents_see_each_other_but_not_themselves(ticket, sam, ava):
    presence.presence_ping(ticket_id=ticket.pk, user=sam, state="viewing")
    presence.presence_ping(ticket_id=ticket.pk, user=ava, state="replying")

    assert [p.text for p in presence.presence_others(ticket_id=ticket.pk, user=sam)] == ["Ava Rahimi is replying"]
    assert [p.text for p in presence.presence_others(ticket_id=ticket.pk, user=ava)] == [
        "Sam Lee is also viewing this ticket"
    ]


def test_presence_is_per_ticket(ticket, sam, ava):
    presence.presence_ping(ticket_id=ticket.pk, user=sam, state="viewing")

    assert presence.presence_others(ticket_id=ticket.pk + 1, user=ava) == []


def test_entries_expire_after_the_ttl(ticket, sam, ava):
    start = time.time()
    presence.presence_ping(ticket_id=ticket.pk, user=sam, state="viewing", now=start)

    assert presence.presence_others(ticket_id=ticket.pk, user=ava, now=start + presence.PRESENCE_TTL - 1)
    assert presence.presence_others(ticket_id=ticket.pk, user=ava, now=start + presence.PRESENCE_TTL + 1) == []


def test_a_new_ping_replaces_the_state_and_leaving_removes_it(ticket, sam, ava):
    presence.presence_ping(ticket_id=ticket.pk, user=sam, state="replying")
    presence.presence_ping(ticket_id=ticket.pk, user=sam, state="viewing")
    assert [p.state for p in presence.presence_others(ticket_id=ticket.pk, user=ava)] == ["viewing"]

    presence.presence_leave(ticket_id=ticket.pk, user=sam)

    assert presence.presence_others(ticket_id=ticket.pk, user=ava) == []


def test_an_unknown_state_counts_as_viewing(ticket, sam, ava):
    presence.presence_ping(ticket_id=ticket.pk, user=sam, state="<script>")

    assert [p.state for p in presence.presence_others(ticket_id=ticket.pk, user=ava)] == ["viewing"]


def test_the_service_touches_no_database(ticket, sam, ava, django_assert_num_queries):
    with django_assert_num_queries(0):
        presence.presence_ping(ticket_id=ticket.pk, user=sam, state="viewing")
        presence.presence_others(ticket_id=ticket.pk, user=ava)


def test_the_ping_answers_with_the_banner_of_the_others(client, ticket, sam, ava, django_assert_max_num_queries):
    presence.presence_ping(ticket_id=ticket.pk, user=sam, state="replying")
    client.force_login(ava)
    client.get("/")  # warm the session

    # session, user, role, and one EXISTS for access: nothing per other agent
    with django_assert_max_num_queries(4):
        response = client.post(reverse("tickets:presence", args=[ticket.pk]), {"state": "viewing"})

    assert response.status_code == 200
    assert "Sam Lee is replying" in response.text
    assert [p.name for p in presence.presence_others(ticket_id=ticket.pk, user=sam)] == ["Ava Rahimi"]


def test_the_banner_escapes_names(client, ticket, ava):
    mallory = AgentFactory(username="mallory", first_name="<b>Mal</b>", last_name="")
    ticket.team.members.add(mallory)
    presence.presence_ping(ticket_id=ticket.pk, user=mallory, state="viewing")
    client.force_login(ava)

    response = client.post(reverse("tickets:presence", args=[ticket.pk]), {"state": "viewing"})

    assert "<b>Mal</b>" not in response.text
    assert "&lt;b&gt;Mal&lt;/b&gt;" in response.text


def test_a_ticket_of_another_team_is_not_found_and_leaves_no_trace(client, ticket, sam):
    outsider = AgentFactory(username="omid")
    TeamFactory(name="Shipping", members=[outsider])
    client.force_login(outsider)

    response = client.post(reverse("tickets:presence", args=[ticket.pk]), {"state": "viewing"})

    assert response.status_code == 404
    assert presence.presence_others(ticket_id=ticket.pk, user=sam) == []


def test_presence_works_the_same_on_redis(settings, ticket, sam, ava):
    redis_url = os.environ.get("REDIS_URL", "")
    if not redis_url:
        missing("needs Redis (set REDIS_URL)")
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": redis_url,
            "KEY_PREFIX": f"test-{uuid.uuid4()}",  # never meet another run's keys
        }
    }
    presence.presence_ping(ticket_id=ticket.pk, user=sam, state="replying")
    presence.presence_ping(ticket_id=ticket.pk, user=ava, state="viewing")

    assert [p.text for p in presence.presence_others(ticket_id=ticket.pk, user=ava)] == ["Sam Lee is replying"]
    raw = redis.Redis.from_url(redis_url)
    assert 0 < raw.ttl(cache.make_key(presence._entry_key(ticket.pk, sam.pk))) <= presence.PRESENCE_TTL
    presence.presence_leave(ticket_id=ticket.pk, user=sam)
    assert presence.presence_others(ticket_id=ticket.pk, user=ava) == []


def test_visitors_who_are_not_logged_in_are_sent_to_log_in(client, ticket):
    response = client.post(reverse("tickets:presence", args=[ticket.pk]), {"state": "viewing"})

    assert response.status_code == 302
    assert "/login" in response.url or "next=" in response.url
