"""Periodic work on tickets, run through Celery as the worker would."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.factories import CustomerFactory
from tickets import services, tasks
from tickets.models import Channel, Ticket

pytestmark = pytest.mark.django_db


def _solved_ticket(days_ago: float) -> Ticket:
    ticket = services.ticket_create(customer=CustomerFactory(), subject="x", channel=Channel.EMAIL, body_text="x")
    services.ticket_change_status(
        ticket=ticket, status=Ticket.Status.SOLVED, at=timezone.now() - timedelta(days=days_ago)
    )
    return ticket


def test_solved_tickets_close_after_the_configured_days(settings):
    settings.HELPDESK_AUTO_CLOSE_DAYS = 4
    stale, fresh = _solved_ticket(5), _solved_ticket(1)

    assert tasks.close_solved_tickets.delay().get() == 1

    stale.refresh_from_db()
    fresh.refresh_from_db()
    assert stale.status == Ticket.Status.CLOSED
    assert fresh.status == Ticket.Status.SOLVED


def test_running_the_close_task_twice_changes_nothing_more(settings):
    settings.HELPDESK_AUTO_CLOSE_DAYS = 4
    _solved_ticket(5)
    tasks.close_solved_tickets.delay()

    assert tasks.close_solved_tickets.delay().get() == 0


def test_a_full_batch_enqueues_the_next_batch(settings, monkeypatch):
    settings.HELPDESK_AUTO_CLOSE_DAYS = 4
    monkeypatch.setattr(tasks, "BATCH", 2)
    for _ in range(5):
        _solved_ticket(6)

    tasks.close_solved_tickets.delay()

    assert Ticket.objects.filter(status=Ticket.Status.CLOSED).count() == 5


def test_the_worker_gets_the_beat_schedule_and_it_names_real_tasks():
    from helpdesk.celery import app
    from helpdesk.schedules import BEAT_SCHEDULE

    app.loader.import_default_modules()
    assert app.conf.beat_schedule == BEAT_SCHEDULE
    assert "close-solved-tickets" in app.conf.beat_schedule
    for entry in app.conf.beat_schedule.values():
        assert entry["task"] in app.tasks
