"""The agent workspace: the ticket queue and the ticket page."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from accounts.decorators import agent_required
from tickets.models import Channel, Ticket
from tickets.selectors import (
    TicketFilters,
    agents_for_filter,
    customer_panel,
    get_ticket_for_user,
    page_fetch,
    teams_for_filter,
    ticket_list_for_user,
    ticket_timeline,
)


@agent_required
def ticket_list(request: HttpRequest) -> HttpResponse:
    filters = TicketFilters.from_query(request.GET)
    page = page_fetch(ticket_list_for_user(user=request.user, filters=filters), number=filters.page)
    if filters.number is not None and len(page.rows) == 1:
        return redirect("tickets:detail", pk=page.rows[0].pk)
    return render(
        request,
        "tickets/ticket_list.html",
        {
            "filters": filters,
            "page": page,
            "statuses": Ticket.Status.choices,
            "priorities": Ticket.Priority.choices,
            "channels": Channel.choices,
            "teams": teams_for_filter(),
            "agents": agents_for_filter(),
        },
    )


@agent_required
def ticket_detail(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = get_ticket_for_user(user=request.user, pk=pk)
    return render(
        request,
        "tickets/ticket_detail.html",
        {
            "ticket": ticket,
            "timeline": ticket_timeline(ticket=ticket),
            "panel": customer_panel(user=request.user, ticket=ticket),
        },
    )
