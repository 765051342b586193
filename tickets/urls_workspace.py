"""Routes of the agent workspace: workspace. Included by tickets/urls.py (namespace "tickets")."""

urlpatterns: list = []
