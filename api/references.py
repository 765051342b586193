"""Ids in a request turned into rows, or a 400 that names the field: {"team": ["There is no team 7."]}."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from accounts.models import User
from accounts.roles import GROUP_NAMES
from api.errors import bad_field
from tickets import services
from tickets.models import Customer, Organization, Team


def team(pk: int | None) -> Team | None:
    if pk is None:
        return None
    found = Team.objects.filter(pk=pk).first()
    if found is None:
        raise bad_field("team", _("There is no team %(id)s.") % {"id": pk})
    return found


def organization(pk: int | None) -> Organization | None:
    if pk is None:
        return None
    found = Organization.objects.filter(pk=pk).first()
    if found is None:
        raise bad_field("organization", _("There is no organization %(id)s.") % {"id": pk})
    return found


def assignee(pk: int | None, *, team: Team | None = None) -> User | None:
    """An active agent, manager or admin; when `team` is given, one of its members."""
    if pk is None:
        return None
    staff = User.objects.filter(pk=pk, is_active=True).filter(groups__name__in=GROUP_NAMES.values()).first()
    if staff is None:
        superuser = User.objects.filter(pk=pk, is_active=True, is_superuser=True).first()
        if superuser is None:
            raise bad_field("assignee", _("There is no active agent %(id)s.") % {"id": pk})
        staff = superuser
    if team is not None and not team.members.filter(pk=staff.pk).exists():
        raise bad_field("assignee", _("%(agent)s is not a member of team %(team)s.") % {"agent": staff, "team": team})
    return staff


def customer(pk: int, field: str = "customer") -> Customer:
    """The customer `pk`, or the one it was merged into."""
    found = Customer.objects.filter(pk=pk).first()
    if found is None:
        raise bad_field(field, _("There is no customer %(id)s.") % {"id": pk})
    if found.merged_into_id:
        return Customer.objects.get(pk=found.merged_into_id)
    return found


def ticket_customer(data: dict[str, Any], *, actor: User) -> Customer:
    """The customer a staff caller opens a ticket for: by `customer` id or by `requester` email/phone."""
    if "customer" in data:
        return customer(data["customer"])
    requester = data.get("requester")
    if not requester:
        raise bad_field("customer", _("Give customer (an id) or requester (email or phone)."), code="required")
    return services.customer_find_or_create(
        email=requester.get("email", ""),
        phone=requester.get("phone", ""),
        name=requester.get("name", ""),
        locale=requester.get("locale", ""),
        actor=actor,
    )
