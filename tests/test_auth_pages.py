"""Logging in and out, and resetting a forgotten password by email."""

import re

import pytest
from django.core import mail
from django.urls import reverse

from tests.factories import PASSWORD, AgentFactory, PortalCustomerFactory

pytestmark = pytest.mark.django_db

LOGIN_URL = reverse("login")


def test_the_login_page_shows_the_form_and_the_reset_link(client):
    response = client.get(LOGIN_URL)

    assert response.status_code == 200
    assert 'name="username"' in response.text and 'name="password"' in response.text
    assert reverse("password_reset") in response.text


def test_an_agent_who_logs_in_lands_on_the_ticket_list(client):
    agent = AgentFactory()

    response = client.post(LOGIN_URL, {"username": agent.username, "password": PASSWORD}, follow=True)

    assert response.redirect_chain[-1][0] == reverse("tickets:list")
    assert response.status_code == 200


def test_a_customer_who_logs_in_lands_on_the_portal(client):
    customer = PortalCustomerFactory()

    response = client.post(LOGIN_URL, {"username": customer.user.username, "password": PASSWORD}, follow=True)

    assert response.redirect_chain[-1][0] == reverse("portal:ticket_list")


def test_a_wrong_password_shows_an_error_and_does_not_log_in(client):
    agent = AgentFactory()

    response = client.post(LOGIN_URL, {"username": agent.username, "password": "wrong"})

    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    assert 'role="alert"' in response.text


def test_logout_is_a_post_that_ends_the_session(client):
    client.force_login(AgentFactory())

    assert client.get(reverse("logout")).status_code == 405
    response = client.post(reverse("logout"))

    assert response.status_code == 302
    assert response.url == LOGIN_URL
    assert "_auth_user_id" not in client.session


def test_pages_offer_logout_as_a_post_form(client):
    client.force_login(AgentFactory())

    page = client.get(reverse("tickets:list")).text

    assert re.search(rf'<form method="post" action="{reverse("logout")}">', page)


def test_a_password_reset_mails_a_link_that_sets_a_new_password(client):
    agent = AgentFactory(email="ava@support.example")

    response = client.post(reverse("password_reset"), {"email": "ava@support.example"})

    assert response.url == reverse("password_reset_done")
    assert len(mail.outbox) == 1
    email = mail.outbox[0]
    assert email.to == ["ava@support.example"]
    assert "\n" not in email.subject
    link = re.search(r"https?://[^/\s]+(/accounts/reset/\S+/)", email.body).group(1)

    # The link redirects to a token-free URL that holds the form.
    form_page = client.get(link, follow=True)
    assert 'name="new_password1"' in form_page.text
    new_password = "a fresh long passphrase 42"
    done = client.post(
        form_page.redirect_chain[-1][0], {"new_password1": new_password, "new_password2": new_password}, follow=True
    )
    assert done.redirect_chain[-1][0] == reverse("password_reset_complete")

    assert client.login(username=agent.username, password=new_password)


def test_a_reset_for_an_unknown_address_sends_nothing_but_looks_the_same(client):
    response = client.post(reverse("password_reset"), {"email": "nobody@nowhere.example"})

    assert response.url == reverse("password_reset_done")
    assert mail.outbox == []


def test_a_used_reset_link_says_it_expired(client):
    response = client.get(reverse("password_reset_confirm", args=["MQ", "bad-token"]))

    assert response.status_code == 200
    assert "expired" in response.text
