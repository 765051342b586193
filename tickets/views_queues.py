"""The queue's own actions: saved views and bulk changes to the selected tickets."""

from __future__ import annotations

from django.contrib import messages
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.decorators import agent_required
from tickets.bulk import BulkInvalid, BulkResult, tickets_bulk_apply
from tickets.models import SavedView
from tickets.selectors import queue_counts_forget, saved_view_query

MAX_FAILURES_SHOWN = 10
# Each action of the bulk bar has its own field, so one form holds them all.
_VALUE_FIELDS = {
    "assign_agent": "to_agent",
    "assign_team": "to_team",
    "status": "to_status",
    "priority": "to_priority",
    "add_tag": "to_tag",
    "merge": "to_merge",
}


def _back(request: HttpRequest) -> HttpResponse:
    """To the queue the form was sent from (only ever a page of this site)."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect("tickets:list")


@require_POST
@agent_required
def saved_view_create(request: HttpRequest) -> HttpResponse:
    name = request.POST.get("name", "").strip()[:100]
    query = saved_view_query(QueryDict(request.POST.get("query", "")))
    if not name:
        messages.error(request, _("Give the view a name."))
        return _back(request)
    try:
        with transaction.atomic():
            view = SavedView.objects.create(
                owner=request.user, name=name, query=query, is_shared=bool(request.POST.get("is_shared"))
            )
    except IntegrityError:
        messages.error(request, _("You already have a view named “%(name)s”.") % {"name": name})
        return _back(request)
    messages.success(request, _("View “%(name)s” saved.") % {"name": view.name})
    return redirect(f"{reverse('tickets:list')}?{view.query}")


@require_POST
@agent_required
def saved_view_delete(request: HttpRequest, pk: int) -> HttpResponse:
    # Someone else's view answers 404, as if it did not exist.
    view = get_object_or_404(SavedView, pk=pk, owner=request.user)
    view.delete()
    messages.success(request, _("View “%(name)s” deleted.") % {"name": view.name})
    return _back(request)


@require_POST
@agent_required
def tickets_bulk(request: HttpRequest) -> HttpResponse:
    ids = [value for value in request.POST.getlist("ids") if value.isascii() and value.isdigit() and len(value) < 19]
    if not ids:
        messages.error(request, _("Select at least one ticket."))
        return _back(request)
    try:
        result = tickets_bulk_apply(
            actor=request.user,
            ticket_ids=[int(value) for value in ids],
            action=request.POST.get("action", ""),
            value=request.POST.get(_VALUE_FIELDS.get(request.POST.get("action", ""), ""), "").strip().lstrip("#"),
        )
    except BulkInvalid as error:
        messages.error(request, str(error))
        return _back(request)
    queue_counts_forget(user=request.user)
    _report(request, result)
    return _back(request)


def _report(request: HttpRequest, result: BulkResult) -> None:
    """One message: "3 updated" or "3 updated, 1 could not: #12 why"; a warning when anything failed."""
    # "updated" does not change with the number, so no plural forms are needed.
    if not result.failed:
        messages.success(request, _("%(count)d updated") % {"count": len(result.updated)})
        return
    reasons = "; ".join(f"#{number} {why}" for number, why in result.failed[:MAX_FAILURES_SHOWN])
    if len(result.failed) > MAX_FAILURES_SHOWN:
        reasons += " …"
    summary = _("%(updated)d updated, %(failed)d could not: %(reasons)s")
    messages.warning(
        request, summary % {"updated": len(result.updated), "failed": len(result.failed), "reasons": reasons}
    )
