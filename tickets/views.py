"""The agent workspace: the ticket queue and the ticket page."""

from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy

from accounts.decorators import agent_required
from tickets.attachments import attachment_for_agent, attachment_response
from tickets.bulk import BulkAction
from tickets.models import Channel, Ticket
from tickets.selectors import (
    SORTS,
    TicketFilters,
    agents_for_filter,
    customer_panel,
    get_ticket_for_user,
    organizations_for_filter,
    queue_counts,
    saved_view_query,
    saved_views_for_user,
    teams_for_filter,
    ticket_list_for_user,
    ticket_page_fetch,
    ticket_timeline,
)
from tickets.views_actions import Composer, actions_context


@agent_required
def ticket_list(request: HttpRequest) -> HttpResponse:
    filters = TicketFilters.from_query(request.GET)
    page = ticket_page_fetch(ticket_list_for_user(user=request.user, filters=filters), number=filters.page)
    if filters.number is not None and len(page.rows) == 1 and page.rows[0].pk == filters.number:
        return redirect("tickets:detail", pk=page.rows[0].pk)
    return render(
        request,
        "tickets/ticket_list.html",
        {
            "filters": filters,
            "page": page,
            "queues": queue_counts(user=request.user),
            "saved_views": saved_views_for_user(user=request.user),
            "current_query": saved_view_query(request.GET),
            "headers": _sort_headers(request, filters),
            "bulk_actions": BulkAction,
            "statuses": Ticket.Status.choices,
            "priorities": Ticket.Priority.choices,
            "channels": Channel.choices,
            "teams": teams_for_filter(),
            "agents": agents_for_filter(),
            "organizations": organizations_for_filter(),
        },
    )


_COLUMN_LABELS = {
    "number": gettext_lazy("Number"),
    "subject": gettext_lazy("Subject"),
    "customer": gettext_lazy("Customer"),
    "status": gettext_lazy("Status"),
    "priority": gettext_lazy("Priority"),
    "channel": gettext_lazy("Channel"),
    "team": gettext_lazy("Team"),
    "assignee": gettext_lazy("Assignee"),
    "created": gettext_lazy("Created"),
    "updated": gettext_lazy("Updated"),
}


def _sort_headers(request: HttpRequest, filters: TicketFilters) -> list[dict]:
    """Column headers that sort on click; a second click on the sorted column reverses it."""
    headers = []
    for column in SORTS:
        params = request.GET.copy()
        params.pop("page", None)
        params["sort"] = column
        current = filters.sort == column
        if current:
            params["dir"] = "asc" if filters.dir == "desc" else "desc"
        else:
            params.pop("dir", None)
        headers.append(
            {
                "column": column,
                "label": _COLUMN_LABELS[column],
                "url": f"?{params.urlencode()}",
                "aria_sort": ("descending" if filters.dir == "desc" else "ascending") if current else "",
            }
        )
    return headers


@agent_required
def ticket_detail(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = get_ticket_for_user(user=request.user, pk=pk)
    return ticket_page(request, ticket)


def ticket_page(
    request: HttpRequest, ticket: Ticket, *, composer: Composer | None = None, status: int = 200
) -> HttpResponse:
    """The ticket page; the reply and note views render it too, with what was written, when JavaScript is off."""
    timeline = ticket_timeline(ticket=ticket)
    return render(
        request,
        "tickets/ticket_detail.html",
        {
            "ticket": ticket,
            "timeline": timeline,
            "panel": customer_panel(user=request.user, ticket=ticket),
            **actions_context(request, ticket, timeline, composer=composer),
        },
        status=status,
    )


@agent_required
def attachment_download(request: HttpRequest, pk: int) -> FileResponse:
    return attachment_response(attachment_for_agent(user=request.user, pk=pk))
