"""`make demo` prints four logins that really open the helpdesk."""

import re
from io import StringIO

import pytest
from django.core.management import call_command

from accounts.models import User
from accounts.roles import Role, user_role

pytestmark = pytest.mark.django_db


def _printed_logins() -> dict[str, str]:
    out = StringIO()
    call_command("demo_users", stdout=out)
    rows = re.findall(r"^\s+(agent|manager|admin|customer)\s+(\S+)\s+(\S+)$", out.getvalue(), re.MULTILINE)
    return {username: password for _role, username, password in rows}


def test_demo_users_prints_four_logins_that_work(client):
    logins = _printed_logins()

    assert set(logins) == {"agent", "manager", "admin", "customer"}
    for username, password in logins.items():
        assert client.login(username=username, password=password), username
        client.logout()


def test_each_demo_login_has_its_role_and_the_customer_has_a_ticket():
    _printed_logins()

    roles = {
        u.username: user_role(u) for u in User.objects.filter(username__in=["agent", "manager", "admin", "customer"])
    }
    assert roles == {"agent": Role.AGENT, "manager": Role.MANAGER, "admin": Role.ADMIN, "customer": Role.CUSTOMER}
    assert User.objects.get(username="customer").customer_profile.tickets.exists()


def test_running_it_again_resets_the_passwords(client):
    first = _printed_logins()
    second = _printed_logins()

    assert first["agent"] != second["agent"]
    assert not client.login(username="agent", password=first["agent"])
    assert client.login(username="agent", password=second["agent"])
