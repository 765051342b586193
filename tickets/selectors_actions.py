"""Reads for acting on a ticket: its links and followers, who may take it, and what arrived since.

Each issues a fixed number of queries (one, or three with prefetches), whatever the number of rows,
so the ticket page keeps a fixed cost.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from accounts.models import User
from tickets.models import Message, Ticket, TicketLink
from tickets.selectors import agents_for_filter, tickets_visible_to


def ticket_links(*, user: User, ticket: Ticket) -> list[Ticket]:
    """Tickets linked to `ticket`, either way round, that `user` may open (the others stay unnamed)."""
    visible = tickets_visible_to(user).values("pk")
    rows = (
        TicketLink.objects.filter(
            Q(ticket_id=ticket.pk, related__in=visible) | Q(related_id=ticket.pk, ticket__in=visible)
        )
        .select_related("ticket", "related")
        .order_by("created_at", "pk")
    )
    return [row.related if row.ticket_id == ticket.pk else row.ticket for row in rows]


def ticket_followers(*, ticket: Ticket) -> list[User]:
    return list(User.objects.filter(followed_tickets__ticket=ticket).order_by("first_name", "last_name", "username"))


def assignable_agents(*, ticket: Ticket) -> QuerySet[User]:
    """Who the ticket can be given to: members of its team, or any agent-side user while it has none."""
    if ticket.team_id is None:
        return agents_for_filter()
    return User.objects.filter(teams=ticket.team_id, is_active=True).order_by("first_name", "last_name", "username")


def messages_since(*, ticket: Ticket, after_id: int, user: User) -> list[Message]:
    """Messages on the ticket newer than `after_id` that someone other than `user` wrote."""
    return list(
        ticket.messages.filter(pk__gt=after_id)
        .exclude(author_agent_id=user.pk)
        .select_related("author_customer", "author_agent")
        .prefetch_related("attachments", "mentions")
        .order_by("created_at", "pk")
    )
