"""The metrics API, mounted at /api/v1/metrics/ (see metrics.api for the endpoints)."""

from django.urls import path

from metrics import api

app_name = "metrics_api"

urlpatterns = [
    path("", api.FigureListView.as_view(), name="figures"),
    # Fixed names first: they would otherwise read as figure keys.
    path("overview/", api.OverviewView.as_view(), name="overview"),
    path("staffing/", api.StaffingView.as_view(), name="staffing"),
    path("breakdown/<str:by>/", api.BreakdownView.as_view(), name="breakdown"),
    path("<str:key>/", api.FigureView.as_view(), name="figure"),
    path("<str:key>/series/", api.SeriesView.as_view(), name="series"),
]
