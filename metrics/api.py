"""The metrics API: the dashboards' figures as JSON for integrators and BI tools.

Same definitions (metrics.figures), same filters (metrics.scope.scope_from_params), same numbers
as the pages. Every error has one shape: {"code", "message", "field_errors"}.

    GET /api/v1/metrics/                       the figure keys with label, unit and benchmark
    GET /api/v1/metrics/overview/              every card: headline, previous, change, beats
    GET /api/v1/metrics/staffing/              agents needed per channel and hour of day (Erlang C)
    GET /api/v1/metrics/breakdown/<team|agent>/  the per-team or per-agent table
    GET /api/v1/metrics/<key>/                 one figure
    GET /api/v1/metrics/<key>/series/?interval=day|week
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response

from api.base import ApiViewMixin
from api.errors import ApiError, bad_field
from api.permissions import MANAGERS
from metrics import figures
from metrics import serializers as s
from metrics.scope import FILTER_NAMES, Scope, scope_from_params
from metrics.staffing import forecast_window, staffing_forecast
from metrics.values import plain

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

INTERVALS = ("day", "week")
BREAKDOWNS = ("team", "agent")

# The figures beyond the cards (figures.DETAIL_FIGURES) have no FigureInfo: their label and benchmark.
DETAIL_INFO: dict[str, tuple[StrOrPromise, StrOrPromise]] = {
    "channel_mix": (gettext_lazy("Channel mix"), ""),
    "customers_by_channels": (
        gettext_lazy("Customers by number of channels"),
        # xgettext:no-python-format
        gettext_lazy("49% of customers use 3–5 channels"),
    ),
    "escalations": (
        gettext_lazy("Channel escalation matrix"),
        gettext_lazy("chat → email 25%, phone → email 20%, email → phone 5%"),
    ),
    "peak_hours": (
        gettext_lazy("Peak hours"),
        gettext_lazy("live chat peaks 11:00–15:00; calls 07:00–19:00, peak 11:00"),
    ),
    "retention_by_satisfaction": (gettext_lazy("Customer retention by satisfaction"), ""),
    "sla": (gettext_lazy("SLA attainment"), ""),
    "kb_deflection": (gettext_lazy("Knowledge-base deflection rate"), ""),
}


def _field_errors(params: Mapping[str, str], error: DjangoValidationError) -> dict[str, list[str]]:
    """Which parameter was wrong: each one is read again on its own (reading a scope touches no database).

    A period that is only wrong as a whole (from after to, too long) is reported under "period".
    """
    found: dict[str, list[str]] = {}
    # `period` is read only when neither `from` nor `to` is given.
    names = ("from", "to") if params.get("from") or params.get("to") else ("period",)
    for name in (*names, *FILTER_NAMES):
        if params.get(name):
            try:
                scope_from_params({name: params[name]})
            except DjangoValidationError as alone:
                found[name] = alone.messages
    if not found:
        found["period" if getattr(error, "code", None) == "bad_period" else "filters"] = error.messages
    return found


def _period(scope: Scope) -> dict[str, Any]:
    return {"from": scope.first_day, "to": scope.last_day}


def _benchmark(key: str) -> dict[str, Any] | None:
    info = figures.FIGURES_BY_KEY.get(key)
    if info is None:
        text = DETAIL_INFO.get(key, ("", ""))[1]
        return {"value": None, "text": str(text), "higher_is_better": None} if text else None
    if info.benchmark is None and not info.benchmark_text:
        return None
    return {"value": plain(info.benchmark), "text": str(info.benchmark_text), "higher_is_better": info.higher_is_better}


def _label_and_unit(key: str) -> tuple[str, str]:
    info = figures.FIGURES_BY_KEY.get(key)
    return (str(info.label), info.unit) if info else (str(DETAIL_INFO[key][0]), "table")


class MetricsAPIView(ApiViewMixin, GenericAPIView):
    """What every metrics endpoint shares: managers only (and a token's read scope), how the scope is read."""

    roles = {"*": MANAGERS}
    refusal_message = gettext_lazy("Only managers can read the metrics.")
    # The filters are the scope's (period, team, agent, ...), not a queryset's.
    filter_backends: list[type] = []
    pagination_class = None

    def scope(self) -> Scope:
        params = self.request.query_params
        try:
            return scope_from_params(params)
        except DjangoValidationError as error:
            raise ApiError(
                status_code=status.HTTP_400_BAD_REQUEST,
                code=getattr(error, "code", None) or "invalid",
                message=" ".join(error.messages),
                field_errors=_field_errors(params, error),
            ) from error

    def figure_key(self, key: str) -> str:
        if key not in figures.ALL_KEYS:
            raise ApiError(
                status_code=status.HTTP_404_NOT_FOUND,
                code="unknown_figure",
                message=_("There is no figure “%(key)s”.") % {"key": key},
            )
        return key

    def respond(self, payload: dict[str, Any]) -> Response:
        return Response(self.get_serializer(payload).data)


class FigureListView(MetricsAPIView):
    """Every figure the API serves, with its label, unit and industry benchmark."""

    serializer_class = s.FigureListSerializer

    @extend_schema(operation_id="metrics_figures", summary="List the figures")
    def get(self, request: Request) -> Response:
        rows = []
        for key in figures.ALL_KEYS:
            label, unit = _label_and_unit(key)
            rows.append({"key": key, "label": label, "unit": unit, "benchmark": _benchmark(key)})
        return self.respond({"figures": rows})


class FigureView(MetricsAPIView):
    """One figure for the period and filters; `value` has the figure's shape (metrics.values)."""

    serializer_class = s.FigureSerializer

    @extend_schema(operation_id="metrics_figure", summary="One figure")
    def get(self, request: Request, key: str) -> Response:
        key = self.figure_key(key)
        scope = self.scope()
        value = figures.figure(scope, key)
        info = figures.FIGURES_BY_KEY.get(key)
        return self.respond(
            {
                "figure": key,
                "unit": _label_and_unit(key)[1],
                "period": _period(scope),
                "filters": scope.filters,
                "value": plain(value),
                "headline": plain(info.headline(value)) if info else None,
                "benchmark": _benchmark(key),
            }
        )


class OverviewView(MetricsAPIView):
    """Every card of the overview: its value, headline, the previous period's, the change, and the benchmark."""

    serializer_class = s.OverviewSerializer

    @extend_schema(operation_id="metrics_overview", summary="Every card of the overview")
    def get(self, request: Request) -> Response:
        scope = self.scope()
        cards = [
            {
                "figure": row["info"].key,
                "label": str(row["info"].label),
                "unit": row["info"].unit,
                "value": plain(row["value"]),
                "headline": plain(row["headline"]),
                "previous": plain(row["previous"]),
                "change": row["change"],
                "beats": row["beats"],
                "benchmark": _benchmark(row["info"].key),
            }
            for row in figures.overview(scope)
        ]
        return self.respond(
            {
                "period": _period(scope),
                "previous_period": _period(scope.previous()),
                "filters": scope.filters,
                "cards": cards,
            }
        )


class SeriesView(MetricsAPIView):
    """A card's headline per day or per week of the period."""

    serializer_class = s.SeriesSerializer

    @extend_schema(operation_id="metrics_series", summary="A figure per day or week")
    def get(self, request: Request, key: str) -> Response:
        key = self.figure_key(key)
        interval = request.query_params.get("interval") or "day"
        if interval not in INTERVALS:
            message = _("“%(value)s” is not an interval; use day or week.") % {"value": interval}
            raise bad_field("interval", message, code="bad_interval")
        scope = self.scope()
        try:
            found = figures.series(scope, key, interval)
        except KeyError as error:  # the figure is a table, or has no value per day (a backlog, a cost)
            raise ApiError(
                status_code=status.HTTP_404_NOT_FOUND,
                code="no_series",
                message=_("“%(key)s” has no series by day or week.") % {"key": key},
            ) from error
        points = [{"start": start, "value": plain(value)} for start, value in found]
        return self.respond(
            {"figure": key, "interval": interval, "period": _period(scope), "filters": scope.filters, "points": points}
        )


class BreakdownView(MetricsAPIView):
    """The main figures per team or per agent."""

    serializer_class = s.BreakdownSerializer

    @extend_schema(operation_id="metrics_breakdown", summary="Figures per team or agent")
    def get(self, request: Request, by: str) -> Response:
        if by not in BREAKDOWNS:
            raise ApiError(
                status_code=status.HTTP_404_NOT_FOUND,
                code="unknown_breakdown",
                message=_("There is no breakdown by “%(by)s”; use team or agent.") % {"by": by},
            )
        scope = self.scope()
        rows = plain(figures.breakdown(scope, by))
        return self.respond({"by": by, "period": _period(scope), "filters": scope.filters, "rows": rows})


class StaffingView(MetricsAPIView):
    """Agents needed per channel and hour of day, from the 8 weeks before the period's end (Erlang C)."""

    serializer_class = s.StaffingSerializer

    @extend_schema(operation_id="metrics_staffing", summary="Agents needed per hour (Erlang C)")
    def get(self, request: Request) -> Response:
        scope = self.scope()
        return self.respond(
            {
                "period": _period(forecast_window(scope)),
                "filters": scope.filters,
                "channels": plain(staffing_forecast(scope)),
            }
        )
