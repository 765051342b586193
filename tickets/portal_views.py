"""The customer portal: a customer's own tickets and what was said on them, nothing internal."""

from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import render

from accounts.decorators import customer_required
from tickets.attachments import attachment_for_customer, attachment_response
from tickets.selectors import page_fetch, page_number, portal_ticket_get, portal_ticket_list, ticket_timeline


@customer_required
def ticket_list(request: HttpRequest) -> HttpResponse:
    tickets = portal_ticket_list(customer=request.user.customer_profile)
    page = page_fetch(tickets, number=page_number(request.GET.get("page", "")))
    return render(request, "tickets/portal/ticket_list.html", {"page": page})


@customer_required
def ticket_detail(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = portal_ticket_get(customer=request.user.customer_profile, pk=pk)
    return render(
        request,
        "tickets/portal/ticket_detail.html",
        {"ticket": ticket, "timeline": ticket_timeline(ticket=ticket, for_customer=True)},
    )


@customer_required
def attachment_download(request: HttpRequest, pk: int) -> FileResponse:
    return attachment_response(attachment_for_customer(customer=request.user.customer_profile, pk=pk))
