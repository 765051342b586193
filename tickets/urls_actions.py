"""Routes of the agent workspace: actions. Included by tickets/urls.py (namespace "tickets")."""

urlpatterns: list = []
