"""Routes of the agent workspace: queues. Included by tickets/urls.py (namespace "tickets")."""

urlpatterns: list = []
