"""Every periodic Celery task, in one place. Read by settings.CELERY_BEAT_SCHEDULE."""

from celery.schedules import crontab

BEAT_SCHEDULE = {
    "close-solved-tickets": {
        "task": "tickets.tasks.close_solved_tickets",
        "schedule": crontab(minute="*/15"),
    },
}
