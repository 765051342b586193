"""Roles are Django groups with permissions; this module names them and keeps them in sync."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

from django.contrib.auth.models import Group, Permission

if TYPE_CHECKING:
    from accounts.models import User


class Role(StrEnum):
    AGENT = "agent"
    MANAGER = "manager"
    ADMIN = "admin"
    CUSTOMER = "customer"


_CACHE_KEY = "_helpdesk_role"  # per-request cache on the user object

GROUP_NAMES = {Role.AGENT: "Agents", Role.MANAGER: "Managers", Role.ADMIN: "Administrators"}

# What each staff role may do in the admin and through permission checks.
_AGENT_PERMISSIONS = [
    "tickets.view_ticket",
    "tickets.add_ticket",
    "tickets.change_ticket",
    "tickets.view_message",
    "tickets.add_message",
    "tickets.view_attachment",
    "tickets.view_ticketevent",
    "tickets.view_customer",
    "tickets.add_customer",
    "tickets.change_customer",
    "tickets.view_customeridentity",
    "tickets.add_customeridentity",
    "tickets.view_organization",
    "tickets.view_team",
    "tickets.view_tag",
    "tickets.add_tag",
    "tickets.view_timeentry",
    "tickets.add_timeentry",
    "knowledge.view_article",
    "knowledge.view_category",
]
_MANAGER_PERMISSIONS = [
    *_AGENT_PERMISSIONS,
    "tickets.add_organization",
    "tickets.change_organization",
    "tickets.add_team",
    "tickets.change_team",
    "tickets.change_timeentry",
    "tickets.view_customermerge",
    "accounts.view_user",
    "accounts.change_user",
    "knowledge.add_article",
    "knowledge.change_article",
    "knowledge.delete_article",
    "knowledge.add_category",
    "knowledge.change_category",
]


def role_groups_sync() -> None:
    """Create the role groups and give them their permissions. Safe to run any number of times."""
    wanted = {
        Role.AGENT: _AGENT_PERMISSIONS,
        Role.MANAGER: _MANAGER_PERMISSIONS,
        Role.ADMIN: None,  # every permission
    }
    for role, codenames in wanted.items():
        group, _created = Group.objects.get_or_create(name=GROUP_NAMES[role])
        if codenames is None:
            permissions = Permission.objects.all()
        else:
            pairs = [name.split(".", 1) for name in codenames]
            permissions = Permission.objects.filter(
                content_type__app_label__in={app for app, _ in pairs},
                codename__in={code for _, code in pairs},
            )
        group.permissions.set(permissions)


def user_role(user: User) -> Role | None:
    """The strongest role a user has, or None for an anonymous visitor or a user with none.

    Cached on the user object: templates and views ask several times per request.
    """
    if not user.is_authenticated:
        return None
    if _CACHE_KEY in user.__dict__:
        return user.__dict__[_CACHE_KEY]
    role = role_from_groups(user, set(user.groups.values_list("name", flat=True)))
    user.__dict__[_CACHE_KEY] = role
    return role


def role_from_groups(user: User, group_names: set[str]) -> Role | None:
    """The strongest role given the user's group names (for lists that prefetched the groups)."""
    if user.is_superuser or GROUP_NAMES[Role.ADMIN] in group_names:
        return Role.ADMIN
    if GROUP_NAMES[Role.MANAGER] in group_names:
        return Role.MANAGER
    if GROUP_NAMES[Role.AGENT] in group_names:
        return Role.AGENT
    if hasattr(user, "customer_profile"):
        return Role.CUSTOMER
    return None


def is_staff_role(user: User) -> bool:
    return user_role(user) in (Role.AGENT, Role.MANAGER, Role.ADMIN)


def is_manager_or_admin(user: User) -> bool:
    return user_role(user) in (Role.MANAGER, Role.ADMIN)


def user_set_role(*, user: User, role: Role) -> None:
    """Put a staff user in exactly one role group (admins also get the Django admin)."""
    groups = Group.objects.filter(name__in=GROUP_NAMES.values())
    user.groups.remove(*groups)
    if role in GROUP_NAMES:
        user.groups.add(Group.objects.get(name=GROUP_NAMES[role]))
    user.is_staff = role in (Role.MANAGER, Role.ADMIN)
    user.save(update_fields=["is_staff"])
    user.__dict__.pop(_CACHE_KEY, None)
