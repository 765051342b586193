"""Help center test helpers: a visitor's page language."""

import pytest
from django.conf import settings


@pytest.fixture
def in_language(client):
    """Call with "fa" or "ar": the anonymous client's pages are in that language from then on."""

    def switch(language: str):
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
        return client

    return switch
