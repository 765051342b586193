from django.urls import path

from tickets import portal_views

app_name = "portal"

urlpatterns = [
    path("", portal_views.ticket_list, name="ticket_list"),
    path("tickets/<int:pk>/", portal_views.ticket_detail, name="ticket_detail"),
    path("attachments/<int:pk>/", portal_views.attachment_download, name="attachment"),
]
