"""Routes of the agent workspace: queues. Included by tickets/urls.py (namespace "tickets")."""

from django.urls import path

from tickets import views_queues

urlpatterns = [
    path("views/", views_queues.saved_view_create, name="saved_view_create"),
    path("views/<int:pk>/delete/", views_queues.saved_view_delete, name="saved_view_delete"),
    path("bulk/", views_queues.tickets_bulk, name="bulk"),
]
