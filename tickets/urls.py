from django.urls import include, path

from tickets import views

app_name = "tickets"

# Each area of the workspace keeps its routes in its own module; all share the "tickets" namespace.
urlpatterns = [
    path("", views.ticket_list, name="list"),
    path("<int:pk>/", views.ticket_detail, name="detail"),
    path("attachments/<int:pk>/", views.attachment_download, name="attachment"),
    path("", include("tickets.urls_actions")),
    path("", include("tickets.urls_queues")),
    path("", include("tickets.urls_workspace")),
]
