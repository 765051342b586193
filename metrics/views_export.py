"""CSV export of every dashboard table: /dashboard/export/<table>.csv with the page's filters."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest

from accounts.decorators import manager_required
from metrics.csv_export import TABLES, csv_response
from metrics.views_scope import dashboard_scope

# Parameters some tables read beyond the scope: the drill-down's figure and part, the series shown.
PAGE_PARAMS = ("figure", "part", "series", "interval")


@manager_required
def export(request: HttpRequest, table: str) -> HttpResponse:
    if table not in TABLES:
        raise Http404
    current = dashboard_scope(request, with_options=False)
    if current.scope is None:
        return HttpResponseBadRequest(current.error, content_type="text/plain; charset=utf-8")
    extra = {name: request.GET.get(name, "") for name in PAGE_PARAMS}
    params = {**current.params, **extra}
    try:
        found = TABLES[table](current.scope, params)
    except KeyError:
        if table != "tickets":
            raise
        # tickets_behind() knows no such figure: the link was edited by hand.
        return HttpResponseBadRequest("Unknown figure.", content_type="text/plain; charset=utf-8")
    scope = current.scope
    filename = f"{table}-{scope.first_day.isoformat()}-{scope.last_day.isoformat()}.csv"
    return csv_response(filename, found.header, found.rows)
