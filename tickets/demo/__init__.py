"""Deterministic demo data for `manage.py seed_demo`: people, tickets and conversations, written in bulk."""
