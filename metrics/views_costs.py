"""The cost settings page (/dashboard/costs/): what a minute of support costs, edited by managers.

The cost figures of the overview read these rows (metrics.queries.people), so a change shows there
at once.
"""

from __future__ import annotations

from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from accounts.decorators import manager_required
from metrics.forms import AgentRateFormSet, CostSettingsForm, TeamRateFormSet
from metrics.models import CostSettings
from metrics.views_scope import agents_queryset
from tickets.models import Team


def cost_settings_get() -> CostSettings:
    """The one settings row, created with the defaults the first time it is asked for."""
    found = CostSettings.objects.order_by("pk").first()
    return found or CostSettings.objects.create()


@manager_required
def cost_settings(request: HttpRequest) -> HttpResponse:
    row = cost_settings_get()
    data = request.POST if request.method == "POST" else None
    form = CostSettingsForm(data, instance=row, prefix="site")
    teams = TeamRateFormSet(data, queryset=Team.objects.order_by("name"), prefix="team")
    agents = AgentRateFormSet(
        data, queryset=agents_queryset().order_by("first_name", "last_name", "username"), prefix="agent"
    )
    if data is not None and form.is_valid() and teams.is_valid() and agents.is_valid():
        with transaction.atomic():
            form.save()
            teams.save()
            agents.save()
        messages.success(request, _("Cost settings saved."))
        return redirect("metrics:costs")
    return render(request, "metrics/costs.html", {"form": form, "teams": teams, "agents": agents})
