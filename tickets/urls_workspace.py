"""Routes of the agent workspace: workspace. Included by tickets/urls.py (namespace "tickets")."""

from django.urls import path

from tickets import views_workspace as views

urlpatterns = [
    path("macros/", views.macro_list, name="macros"),
    path("macros/new/", views.macro_create, name="macro_create"),
    path("macros/<int:macro_pk>/", views.macro_edit, name="macro_edit"),
    path("macros/<int:macro_pk>/delete/", views.macro_delete, name="macro_delete"),
    path("<int:pk>/macros/<int:macro_pk>/apply/", views.macro_apply, name="macro_apply"),
    path("<int:pk>/presence/", views.presence_ping, name="presence"),
    path("<int:pk>/presence/leave/", views.presence_leave, name="presence_leave"),
    path("<int:pk>/time/ping/", views.time_ping, name="time_ping"),
    path("<int:pk>/time/", views.time_add, name="time_add"),
    path("<int:pk>/time/<int:entry_pk>/", views.time_edit, name="time_edit"),
    path("<int:pk>/time/<int:entry_pk>/delete/", views.time_delete, name="time_delete"),
    path("<int:pk>/queue-nav/", views.queue_nav, name="queue_nav"),
    path("<int:pk>/messages/<int:message_pk>/delivery/", views.message_delivery, name="delivery"),
]
