"""Every periodic Celery task, in one place. Read by settings.CELERY_BEAT_SCHEDULE."""

from celery.schedules import crontab

BEAT_SCHEDULE = {
    "close-solved-tickets": {
        "task": "tickets.tasks.close_solved_tickets",
        "schedule": crontab(minute="*/15"),
    },
    # Replies whose delivery task was lost (broker restart) still go out.
    "send-stuck-email": {
        "task": "channels_intake.email.outbound.send_stuck_email",
        "schedule": crontab(minute="*/5"),
    },
    # Each mailbox has its own interval (Mailbox.poll_interval_seconds); this only asks which are due.
    "poll-imap-mailboxes": {
        "task": "channels_intake.email.imap_tasks.poll_due_mailboxes",
        "schedule": 15.0,
    },
    # Stored mail that no worker processed (lost task, database outage) is processed, or quarantined.
    "process-stale-inbound-email": {
        "task": "channels_intake.tasks.process_stale_inbound_email",
        "schedule": crontab(minute="*/5"),
    },
    # The dashboards' rollup tables: never more than a minute behind the tickets.
    "refresh-metrics-rollups": {
        "task": "metrics.tasks.refresh_rollups",
        "schedule": 30.0,
    },
    # Webhooks: commits wake the dispatcher at once; this catches whatever a lost wake-up missed.
    "dispatch-webhooks": {
        "task": "integrations.tasks.dispatch_webhooks",
        "schedule": 10.0,
    },
    # Webhook retries whose time came, deliveries a dead worker left behind, and old deliveries.
    "sweep-webhooks": {
        "task": "integrations.tasks.sweep_webhooks",
        "schedule": 30.0,
    },
    # Expired Idempotency-Key answers and change-log rows past HELPDESK_CHANGES_KEEP_DAYS.
    "prune-api-records": {
        "task": "api.tasks.prune_api_records",
        "schedule": crontab(minute=17),
    },
}
