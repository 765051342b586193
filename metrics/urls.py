from django.urls import path

from metrics import views, views_costs, views_detail, views_drill, views_export

app_name = "metrics"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("trends/", views_detail.trends, name="trends"),
    path("distributions/", views_detail.distributions, name="distributions"),
    path("channels/", views_detail.channels, name="channels"),
    path("people/", views_detail.people, name="people"),
    path("customers/", views_detail.customers, name="customers"),
    path("tickets/", views_drill.tickets, name="tickets"),
    path("export/<slug:table>.csv", views_export.export, name="export"),
    path("costs/", views_costs.cost_settings, name="costs"),
]
