"""Macros: canned replies with placeholders, and the ticket changes applied with them.

Reads (`macros_for_user`, `macro_can_edit`) and writes (`macro_create`, `macro_update`,
`macro_delete`, `macro_apply`) live together because the permission rule is the same for both:
an agent uses their own and the shared macros, and edits only their own; managers and admins
also edit the shared ones.
"""

from __future__ import annotations

import re
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils.text import slugify
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.roles import is_manager_or_admin
from tickets import services
from tickets.models import Macro, Team, Ticket

PLACEHOLDERS = ("customer_name", "ticket_number", "agent_name", "ticket_subject")
# One pass over the text with a fixed alternation: a value that itself contains "{agent_name}"
# is never expanded again, and any other brace is left exactly as written.
_PLACEHOLDER = re.compile(r"\{(" + "|".join(PLACEHOLDERS) + r")\}")
EDITABLE_FIELDS = ("name", "body", "set_status", "set_priority", "set_team", "add_tags")


# --- Reads --------------------------------------------------------------------------------


def macros_for_user(user: User) -> QuerySet[Macro]:
    """The macros `user` may apply: their own and the shared ones, by name."""
    return Macro.objects.filter(Q(owner_id=user.pk) | Q(owner__isnull=True)).select_related("set_team", "owner")


def macros_for_picker(user: User) -> QuerySet[Macro]:
    """What the picker on the ticket page needs: names and text only."""
    return macros_for_user(user).select_related(None).only("id", "name", "body", "owner_id")


def macro_get_for_user(*, user: User, pk: int) -> Macro:
    macro = macros_for_user(user).filter(pk=pk).first()
    if macro is None:
        raise Http404(_("No such macro."))
    return macro


def macro_can_edit(*, user: User, macro: Macro) -> bool:
    if macro.owner_id is None:
        return is_manager_or_admin(user)
    return macro.owner_id == user.pk


def macro_render(*, body: str, ticket: Ticket, agent: User) -> str:
    """The macro text with the known placeholders filled in; never str.format on user text."""
    values = {
        "customer_name": ticket.customer.name or "",
        "ticket_number": str(ticket.pk),
        "agent_name": agent.get_full_name() or agent.username,
        "ticket_subject": ticket.subject,
    }
    return _PLACEHOLDER.sub(lambda match: values[match.group(1)], body)


def macro_tag_names(macro: Macro) -> list[str]:
    return [slug for slug in (slugify(part.strip(), allow_unicode=True) for part in macro.add_tags.split(",")) if slug]


# --- Writes -------------------------------------------------------------------------------


def macro_create(*, actor: User, shared: bool = False, **fields: Any) -> Macro:
    """A new macro owned by `actor`, or a shared one (managers and admins only)."""
    if shared and not is_manager_or_admin(actor):
        raise PermissionDenied(_("Only managers and admins may create shared macros."))
    macro = Macro(owner=None if shared else actor)
    _set_fields(macro, fields)
    macro.save()
    return macro


def macro_update(*, macro: Macro, actor: User, **fields: Any) -> Macro:
    if not macro_can_edit(user=actor, macro=macro):
        raise PermissionDenied(_("You may not change this macro."))
    _set_fields(macro, fields)
    macro.save(update_fields=[*fields, "updated_at"])
    return macro


def macro_delete(*, macro: Macro, actor: User) -> None:
    if not macro_can_edit(user=actor, macro=macro):
        raise PermissionDenied(_("You may not delete this macro."))
    macro.delete()


def _set_fields(macro: Macro, fields: dict[str, Any]) -> None:
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"Not editable: {', '.join(sorted(unknown))}")
    for name, value in fields.items():
        if name == "set_team" and value is not None and not isinstance(value, Team):
            raise TypeError("set_team must be a Team or None")
        setattr(macro, name, value)


def macro_apply(*, macro: Macro, ticket: Ticket, agent: User) -> str:
    """Apply the macro's actions to the ticket through the domain services; return the reply text.

    All or nothing: a refused status change rolls back the priority, team and tags too.
    The text is not sent: it goes into the reply box for the agent to read and send.
    """
    if macro.owner_id is not None and macro.owner_id != agent.pk:
        raise PermissionDenied(_("This macro belongs to someone else."))
    with transaction.atomic():
        if macro.set_priority:
            services.ticket_change_priority(ticket=ticket, priority=macro.set_priority, actor=agent)
        if macro.set_team_id and macro.set_team_id != ticket.team_id:
            services.ticket_assign(ticket=ticket, team=macro.set_team, actor=agent)
        new_tags = macro_tag_names(macro)
        if new_tags:
            current = list(ticket.tags.values_list("name", flat=True))
            services.ticket_set_tags(ticket=ticket, tags=[*current, *new_tags], actor=agent)
        # Status last: solving is the usual end of a macro, after the ticket is filed right.
        if macro.set_status and macro.set_status != ticket.status:
            services.ticket_change_status(ticket=ticket, status=macro.set_status, actor=agent)
    return macro_render(body=macro.body, ticket=ticket, agent=agent)
