"""What every dashboard page shares: the scope read from the URL, the filter bar, and the page tabs.

Filters live in the URL (metrics.scope documents the parameters), so a view is shared by sharing
its address; a bad value becomes a message on the page instead of an error.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from django.core.exceptions import ValidationError
from django.http import HttpRequest, QueryDict
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from accounts.roles import GROUP_NAMES, Role
from metrics.scope import DEFAULT_PERIOD, PERIODS, Scope, scope_from_params
from tickets.models import Channel, Organization, Tag, Team, Ticket

PERIOD_LABELS = {"7d": _("7 days"), "30d": _("30 days"), "90d": _("90 days"), "12m": _("12 months")}
# The URL parameters that make a scope; everything else (page, figure, ...) belongs to one page.
SCOPE_PARAMS = ("period", "from", "to", "team", "agent", "channel", "organization", "priority", "tag")
FILTER_OPTIONS_LIMIT = 500

# The dashboard's pages, in tab order: (URL name, label).
TABS = [
    ("metrics:overview", _("Overview")),
    ("metrics:trends", _("Trends")),
    ("metrics:distributions", _("Distributions")),
    ("metrics:channels", _("Channels and hours")),
    ("metrics:people", _("Teams and agents")),
    ("metrics:customers", _("Customers")),
]


@dataclass
class DashboardScope:
    """The scope a page shows (or None with the error to show instead), and the filter bar's state."""

    scope: Scope | None
    error: str
    params: dict[str, str]  # the scope parameters as given, to refill the filter bar and build links
    query: str = ""  # params as a query string, for links that keep the filters
    options: dict[str, Any] = field(default_factory=dict)

    def context(self, request: HttpRequest, keep: dict[str, str] | None = None) -> dict[str, Any]:
        """Template context for the filter bar and tabs; `keep` holds the page's own parameters
        (the drill-down's figure, the series shown), carried by the filter form and the period links."""
        keep = {name: value for name, value in (keep or {}).items() if value}
        current = request.resolver_match.view_name if request.resolver_match else ""
        dated = bool(self.params.get("from") or self.params.get("to"))
        chosen = self.params.get("period", DEFAULT_PERIOD)
        chosen = chosen if chosen in PERIODS else DEFAULT_PERIOD
        undated = {name: value for name, value in self.params.items() if name not in ("period", "from", "to")}
        return {
            "scope": self.scope,
            "scope_error": self.error,
            "filters": self.params,
            "scope_query": self.query,
            "filter_options": self.options,
            "keep_params": sorted(keep.items()),
            "reset_url": f"{request.path}?{urlencode(keep)}" if keep else request.path,
            "custom_dates": dated,
            "current_period": "" if dated else chosen,
            "periods": [
                {
                    "key": key,
                    "label": PERIOD_LABELS[key],
                    "url": "?" + urlencode({**undated, **keep, "period": key}),
                    "current": not dated and key == chosen,
                }
                for key in PERIODS
            ],
            "tabs": [
                {
                    "url": f"{reverse(name)}?{self.query}" if self.query else reverse(name),
                    "label": label,
                    "current": name == current,
                }
                for name, label in TABS
            ],
        }


def scope_params(query: QueryDict) -> dict[str, str]:
    """The scope parameters of a request, without empty ones (a filter bar submits every select)."""
    found = {name: query.get(name, "").strip() for name in SCOPE_PARAMS}
    found = {name: value for name, value in found.items() if value}
    if found.get("from") or found.get("to"):
        found.pop("period", None)
    return found


def dashboard_scope(request: HttpRequest, *, with_options: bool = True) -> DashboardScope:
    """Read the scope from the URL; a bad value gives scope None and the message to show."""
    params = scope_params(request.GET)
    try:
        scope = scope_from_params(params)
    except ValidationError as error:
        scope, message = None, " ".join(error.messages)
    else:
        message = ""
    query = QueryDict(mutable=True)
    query.update(params)
    found = DashboardScope(scope=scope, error=message, params=params, query=query.urlencode())
    if with_options:
        found.options = filter_options()
    return found


def agents_queryset():
    """The people who work tickets: members of the agent group."""
    return User.objects.filter(groups__name=GROUP_NAMES[Role.AGENT], is_active=True).distinct()


def filter_options() -> dict[str, Any]:
    """The filter bar's choices: four small queries (teams, agents, organizations, tags)."""
    return {
        "teams": list(Team.objects.only("id", "name").order_by("name")[:FILTER_OPTIONS_LIMIT]),
        "agents": list(
            agents_queryset()
            .only("id", "first_name", "last_name", "username")
            .order_by("first_name", "last_name", "username")[:FILTER_OPTIONS_LIMIT]
        ),
        "organizations": list(Organization.objects.only("id", "name").order_by("name")[:FILTER_OPTIONS_LIMIT]),
        "tags": list(Tag.objects.order_by("name").values_list("name", flat=True)[:FILTER_OPTIONS_LIMIT]),
        "channels": Channel.choices,
        "priorities": Ticket.Priority.choices,
        "default_period": DEFAULT_PERIOD,
    }
