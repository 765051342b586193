"""Shared test setup: fast hashing, eager Celery, plain static files, and the role groups."""

import pytest

from helpdesk.celery import app as celery_app
from tests.factories import AgentFactory, TeamFactory

# Real outside parts started by the tests themselves.
pytest_plugins = ["tests.imap_server", "tests.smtp_server"]


@pytest.fixture(autouse=True)
def _test_settings(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.LANGUAGE_CODE = "en"


@pytest.fixture(autouse=True)
def _empty_cache(_test_settings):
    # The locmem cache outlives a test; nothing cached (queue counts, presence, rate counts) may leak into
    # the next. After _test_settings, so it clears the test cache, not the Redis one REDIS_URL configures.
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _eager_celery():
    # Tasks run in-process, so a test sees their effect; on_commit still decides *when*.
    celery_app.conf.task_always_eager = True
    celery_app.conf.task_eager_propagates = True
    yield
    celery_app.conf.task_always_eager = False


# The agent most view tests act as: a member of one team, logged in.
@pytest.fixture
def agent():
    return AgentFactory()


@pytest.fixture
def team(agent):
    return TeamFactory(members=[agent])


@pytest.fixture
def agent_client(client, agent):
    client.force_login(agent)
    return client
