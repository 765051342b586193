"""Time spent on tickets: automatic tracking while a ticket page is open and active, and hand entries.

A ticket page gets a random `tracking_key` when it loads and posts its active seconds every ~30 s.
All pings with one key add up in one TimeEntry (source "auto"). Each ping is capped, and an entry
never grows faster than the wall clock, so a forged request cannot add hours.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import QuerySet, Sum, Window
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from tickets import services
from tickets.models import Ticket, TimeEntry

MAX_PING_SECONDS = 60
# Slack for clocks and the first ping: an entry may hold its age plus this much.
_WALL_CLOCK_SLACK = MAX_PING_SECONDS
MAX_MANUAL_SECONDS = 24 * 3600


def time_track_ping(*, ticket: Ticket, agent: User, tracking_key: uuid.UUID, seconds: int) -> TimeEntry | None:
    """Add up to MAX_PING_SECONDS of active time to the page's one auto entry, created on the first ping.

    Returns the entry, or None when there was nothing to add. A key that belongs to another
    agent or ticket is refused (PermissionDenied) rather than silently moved.
    """
    seconds = min(int(seconds), MAX_PING_SECONDS)
    if seconds <= 0:
        return None
    with transaction.atomic():
        entry = TimeEntry.objects.select_for_update().filter(tracking_key=tracking_key).first()
        if entry is None:
            try:
                with transaction.atomic():
                    return TimeEntry.objects.create(
                        ticket=ticket,
                        agent=agent,
                        seconds=seconds,
                        source=TimeEntry.Source.AUTO,
                        tracking_key=tracking_key,
                    )
            except IntegrityError:
                # Two first pings raced (two tabs restored at once): add to the one that won.
                entry = TimeEntry.objects.select_for_update().get(tracking_key=tracking_key)
        if entry.agent_id != agent.pk or entry.ticket_id != ticket.pk:
            raise PermissionDenied(_("This tracking key belongs to another page."))
        age = (timezone.now() - entry.created_at).total_seconds()
        allowed = int(age) + _WALL_CLOCK_SLACK - entry.seconds
        seconds = min(seconds, allowed)
        if seconds <= 0:
            return entry
        entry.seconds += seconds
        entry.save(update_fields=["seconds"])
    return entry


def _check_seconds(seconds: int) -> None:
    if not 0 < seconds <= MAX_MANUAL_SECONDS:
        raise ValidationError(_("Enter between 1 minute and 24 hours."), code="bad_seconds")


def time_manual_add(*, ticket: Ticket, agent: User, seconds: int, note: str = "") -> TimeEntry:
    _check_seconds(seconds)
    return services.time_entry_add(
        ticket=ticket, agent=agent, seconds=seconds, source=TimeEntry.Source.MANUAL, note=note[:300]
    )


def _check_own_manual(entry: TimeEntry, agent: User) -> None:
    if entry.agent_id != agent.pk or entry.source != TimeEntry.Source.MANUAL:
        raise PermissionDenied(_("You may change only your own hand-entered time."))


def time_manual_update(*, entry: TimeEntry, agent: User, seconds: int, note: str = "") -> TimeEntry:
    _check_own_manual(entry, agent)
    _check_seconds(seconds)
    entry.seconds, entry.note = seconds, note[:300]
    entry.save(update_fields=["seconds", "note"])
    return entry


def time_manual_delete(*, entry: TimeEntry, agent: User) -> None:
    _check_own_manual(entry, agent)
    entry.delete()


# --- Reads --------------------------------------------------------------------------------


@dataclass(frozen=True)
class TimeSummary:
    total_seconds: int
    entries: Sequence[TimeEntry]

    @property
    def total_display(self) -> str:
        return duration_display(self.total_seconds)


def duration_display(seconds: int) -> str:
    """ "1:05" for an hour and five minutes: short, and the same in every language."""
    minutes = (seconds + 30) // 60
    return f"{minutes // 60}:{minutes % 60:02d}"


def ticket_time_entries(*, ticket: Ticket) -> QuerySet[TimeEntry]:
    return ticket.time_entries.select_related("agent").order_by("-created_at", "-id")


def ticket_time_summary(*, ticket: Ticket, limit: int = 20) -> TimeSummary:
    """The total time on a ticket and its latest entries, in one query.

    The total is a window sum over all the ticket's entries, computed before the LIMIT.
    """
    entries = list(ticket_time_entries(ticket=ticket).annotate(ticket_total=Window(Sum("seconds")))[:limit])
    return TimeSummary(total_seconds=entries[0].ticket_total if entries else 0, entries=entries)


def ticket_time_total(*, ticket_id: int) -> int:
    return TimeEntry.objects.filter(ticket_id=ticket_id).aggregate(total=Sum("seconds"))["total"] or 0
