"""Routes of the agent workspace: actions. Included by tickets/urls.py (namespace "tickets")."""

from django.urls import path

from tickets import views_actions as views

urlpatterns = [
    path("<int:pk>/reply/", views.ticket_reply, name="reply"),
    path("<int:pk>/note/", views.ticket_note, name="note"),
    path("<int:pk>/status/", views.ticket_status, name="status"),
    path("<int:pk>/priority/", views.ticket_priority, name="priority"),
    path("<int:pk>/assign/", views.ticket_assign, name="assign"),
    path("<int:pk>/tags/", views.ticket_tags, name="tags"),
    path("<int:pk>/merge/", views.ticket_merge, name="merge"),
    path("<int:pk>/messages/<int:message_pk>/split/", views.ticket_split, name="split"),
    path("<int:pk>/link/", views.ticket_link, name="link"),
    path("<int:pk>/unlink/", views.ticket_unlink, name="unlink"),
    path("<int:pk>/follow/", views.ticket_follow, name="follow"),
    path("<int:pk>/unfollow/", views.ticket_unfollow, name="unfollow"),
]
