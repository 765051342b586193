"""The agent's working aids: macros, who else is on a ticket, time spent, and queue navigation.

Each view loads through an access helper, calls one service or selector, and answers with a
partial (or JSON for the scripts in static/js/workspace.js).
"""

from __future__ import annotations

import uuid

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from accounts.decorators import agent_required
from accounts.roles import is_manager_or_admin
from tickets import macros, presence, time_tracking
from tickets.models import Macro, Team, Ticket, TimeEntry
from tickets.navigation import queue_neighbours
from tickets.selectors import TicketFilters, get_ticket_for_user, queue_counts_forget, tickets_visible_to


def _visible_ticket_id(request: HttpRequest, pk: int) -> int:
    """The cheap access check for the frequent pings: one EXISTS query, no row loaded."""
    if not tickets_visible_to(request.user).filter(pk=pk).exists():
        raise Http404(_("No such ticket."))
    return pk


# --- Macros -------------------------------------------------------------------------------


class MacroForm(forms.ModelForm):
    shared = forms.BooleanField(
        label=gettext_lazy("Shared with everyone"),
        required=False,
        help_text=gettext_lazy("Every agent can use it; only managers and admins can change it."),
    )

    class Meta:
        model = Macro
        fields = macros.EDITABLE_FIELDS
        widgets = {"body": forms.Textarea(attrs={"rows": 8, "dir": "auto"})}

    def __init__(self, *args, user, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["set_team"].queryset = Team.objects.only("id", "name").order_by("name")
        self.fields["set_status"].choices = [("", _("Leave as it is")), *Ticket.Status.choices]
        self.fields["set_priority"].choices = [("", _("Leave as it is")), *Ticket.Priority.choices]
        self.fields["set_team"].empty_label = _("Leave as it is")
        if not is_manager_or_admin(user) or self.instance.pk:
            # Whether a macro is shared is chosen once, by someone allowed to share.
            del self.fields["shared"]


@agent_required
@require_GET
def macro_list(request: HttpRequest) -> HttpResponse:
    rows = list(macros.macros_for_user(request.user).order_by("owner_id", "name"))
    editable = {macro.pk for macro in rows if macros.macro_can_edit(user=request.user, macro=macro)}
    return render(request, "tickets/workspace/macro_list.html", {"macros": rows, "editable": editable})


@agent_required
def macro_create(request: HttpRequest) -> HttpResponse:
    form = MacroForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = {name: form.cleaned_data[name] for name in macros.EDITABLE_FIELDS}
        macros.macro_create(actor=request.user, shared=form.cleaned_data.get("shared", False), **data)
        messages.success(request, _("Macro saved."))
        return redirect("tickets:macros")
    return render(request, "tickets/workspace/macro_form.html", {"form": form})


def _editable_macro(request: HttpRequest, macro_pk: int) -> Macro:
    macro = macros.macro_get_for_user(user=request.user, pk=macro_pk)
    if not macros.macro_can_edit(user=request.user, macro=macro):
        raise PermissionDenied
    return macro


@agent_required
def macro_edit(request: HttpRequest, macro_pk: int) -> HttpResponse:
    macro = _editable_macro(request, macro_pk)
    form = MacroForm(request.POST or None, instance=macro, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = {name: form.cleaned_data[name] for name in macros.EDITABLE_FIELDS}
        macros.macro_update(macro=macro, actor=request.user, **data)
        messages.success(request, _("Macro saved."))
        return redirect("tickets:macros")
    return render(request, "tickets/workspace/macro_form.html", {"form": form, "macro": macro})


@agent_required
@require_POST
def macro_delete(request: HttpRequest, macro_pk: int) -> HttpResponse:
    macros.macro_delete(macro=_editable_macro(request, macro_pk), actor=request.user)
    messages.success(request, _("Macro deleted."))
    return redirect("tickets:macros")


@agent_required
@require_GET
def message_delivery(request: HttpRequest, pk: int, message_pk: int) -> HttpResponse:
    """A message's delivery badge, for the ticket page to follow a queued reply until it is sent."""
    ticket = get_ticket_for_user(user=request.user, pk=pk)
    message = get_object_or_404(ticket.messages.only("pk", "ticket_id", "delivery_status"), pk=message_pk)
    return render(request, "tickets/_delivery.html", {"message": message})


@agent_required
@require_POST
def macro_apply(request: HttpRequest, pk: int, macro_pk: int) -> JsonResponse:
    """Apply a macro's actions and hand its text back to the picker, which puts it in the reply box."""
    ticket = get_ticket_for_user(user=request.user, pk=pk)
    macro = macros.macro_get_for_user(user=request.user, pk=macro_pk)
    before = (ticket.status, ticket.priority, ticket.team_id)
    try:
        text = macros.macro_apply(macro=macro, ticket=ticket, agent=request.user)
    except ValidationError as error:
        return JsonResponse({"error": " ".join(error.messages)}, status=400)
    queue_counts_forget(user=request.user)
    changed = before != (ticket.status, ticket.priority, ticket.team_id) or bool(macro.add_tags.strip())
    facts = ""
    if changed:
        ticket = get_ticket_for_user(user=request.user, pk=pk)
        facts = render_to_string("tickets/_facts.html", {"ticket": ticket}, request=request)
    return JsonResponse({"text": text, "changed": changed, "facts": facts})


# --- Presence -----------------------------------------------------------------------------


@agent_required
@require_POST
def presence_ping(request: HttpRequest, pk: int) -> HttpResponse:
    ticket_id = _visible_ticket_id(request, pk)
    presence.presence_ping(ticket_id=ticket_id, user=request.user, state=request.POST.get("state", ""))
    others = presence.presence_others(ticket_id=ticket_id, user=request.user)
    return render(request, "tickets/workspace/_presence_banner.html", {"others": others})


@agent_required
@require_POST
def presence_leave(request: HttpRequest, pk: int) -> HttpResponse:
    presence.presence_leave(ticket_id=_visible_ticket_id(request, pk), user=request.user)
    return HttpResponse(status=204)


# --- Time ---------------------------------------------------------------------------------


@agent_required
@require_POST
def time_ping(request: HttpRequest, pk: int) -> JsonResponse:
    ticket = get_ticket_for_user(user=request.user, pk=pk)
    try:
        key = uuid.UUID(request.POST.get("tracking_key", ""))
        seconds = int(request.POST.get("seconds", ""))
    except ValueError:
        return JsonResponse({"error": _("A tracking key and a number of seconds are needed.")}, status=400)
    time_tracking.time_track_ping(ticket=ticket, agent=request.user, tracking_key=key, seconds=seconds)
    total = time_tracking.ticket_time_total(ticket_id=ticket.pk)
    return JsonResponse({"total_seconds": total, "total": time_tracking.duration_display(total)})


class ManualTimeForm(forms.Form):
    minutes = forms.IntegerField(label=gettext_lazy("Minutes"), min_value=1, max_value=24 * 60)
    note = forms.CharField(label=gettext_lazy("Note"), max_length=300, required=False)


def _back_to_time(ticket_id: int) -> HttpResponse:
    return redirect(reverse("tickets:detail", args=[ticket_id]) + "#time-spent")


@agent_required
@require_POST
def time_add(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = get_ticket_for_user(user=request.user, pk=pk)
    form = ManualTimeForm(request.POST)
    if form.is_valid():
        time_tracking.time_manual_add(
            ticket=ticket, agent=request.user, seconds=form.cleaned_data["minutes"] * 60, note=form.cleaned_data["note"]
        )
        messages.success(request, _("Time added."))
    else:
        messages.error(request, _("Enter the minutes spent, between 1 and 1440."))
    return _back_to_time(ticket.pk)


def _own_entry(request: HttpRequest, pk: int, entry_pk: int) -> TimeEntry:
    ticket_id = _visible_ticket_id(request, pk)
    return get_object_or_404(
        TimeEntry, pk=entry_pk, ticket_id=ticket_id, agent_id=request.user.pk, source=TimeEntry.Source.MANUAL
    )


@agent_required
@require_POST
def time_edit(request: HttpRequest, pk: int, entry_pk: int) -> HttpResponse:
    entry = _own_entry(request, pk, entry_pk)
    form = ManualTimeForm(request.POST)
    if form.is_valid():
        time_tracking.time_manual_update(
            entry=entry, agent=request.user, seconds=form.cleaned_data["minutes"] * 60, note=form.cleaned_data["note"]
        )
        messages.success(request, _("Time corrected."))
    else:
        messages.error(request, _("Enter the minutes spent, between 1 and 1440."))
    return _back_to_time(entry.ticket_id)


@agent_required
@require_POST
def time_delete(request: HttpRequest, pk: int, entry_pk: int) -> HttpResponse:
    entry = _own_entry(request, pk, entry_pk)
    time_tracking.time_manual_delete(entry=entry, agent=request.user)
    messages.success(request, _("Time entry deleted."))
    return _back_to_time(entry.ticket_id)


# --- Queue navigation ---------------------------------------------------------------------


@agent_required
@require_GET
def queue_nav(request: HttpRequest, pk: int) -> HttpResponse:
    """Previous/next links for the queue the agent came from (its filters are this request's query)."""
    ticket = get_ticket_for_user(user=request.user, pk=pk)
    filters = TicketFilters.from_query(request.GET)
    neighbours = queue_neighbours(user=request.user, ticket=ticket, filters=filters)
    return render(
        request,
        "tickets/workspace/_queue_nav.html",
        {"neighbours": neighbours, "query": request.GET.urlencode()},
    )
