"""Who else has a ticket open right now, kept in the cache only (Redis in production, locmem alone).

Each open ticket page pings every few seconds. A ping writes one short-lived key per agent and
ticket, and adds the agent to the ticket's index of recent visitors. Readers fetch the index and
then all agent keys in one `get_many`; keys that expired are simply missing. The index is written
without a lock: a lost update is repaired by that agent's next ping, a few seconds later.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from django.core.cache import cache
from django.utils.translation import gettext as _

from accounts.models import User

# An agent counts as present this long after their last ping (pages ping every ~10 s).
PRESENCE_TTL = 30
# The index outlives the entries, so an agent who pings again is found without a rewrite race.
_INDEX_TTL = 600


class State:
    VIEWING = "viewing"
    REPLYING = "replying"
    CHOICES = (VIEWING, REPLYING)


@dataclass(frozen=True)
class Presence:
    user_id: int
    name: str
    state: str

    @property
    def text(self) -> str:
        if self.state == State.REPLYING:
            return _("%(name)s is replying") % {"name": self.name}
        return _("%(name)s is also viewing this ticket") % {"name": self.name}


def _index_key(ticket_id: int) -> str:
    return f"presence:ticket:{ticket_id}"


def _entry_key(ticket_id: int, user_id: int) -> str:
    return f"presence:ticket:{ticket_id}:user:{user_id}"


def presence_ping(*, ticket_id: int, user: User, state: str, now: float | None = None) -> None:
    """Record that `user` has the ticket open, viewing or replying. Unknown states count as viewing."""
    now = time.time() if now is None else now
    entry = {"name": str(user), "state": state if state in State.CHOICES else State.VIEWING, "at": now}
    cache.set(_entry_key(ticket_id, user.pk), entry, PRESENCE_TTL)
    index = cache.get(_index_key(ticket_id)) or []
    if user.pk not in index:
        cache.set(_index_key(ticket_id), [*index, user.pk][-50:], _INDEX_TTL)
    else:
        cache.touch(_index_key(ticket_id), _INDEX_TTL)


def presence_leave(*, ticket_id: int, user: User) -> None:
    """The page was closed: drop the entry at once instead of waiting for it to expire."""
    cache.delete(_entry_key(ticket_id, user.pk))


def presence_others(*, ticket_id: int, user: User, now: float | None = None) -> list[Presence]:
    """Everyone but `user` who pinged within PRESENCE_TTL seconds, replying ones first."""
    now = time.time() if now is None else now
    index = [pk for pk in cache.get(_index_key(ticket_id)) or [] if pk != user.pk]
    if not index:
        return []
    entries = cache.get_many([_entry_key(ticket_id, pk) for pk in index])
    others = []
    for pk in index:
        entry = entries.get(_entry_key(ticket_id, pk))
        # The timestamp check backs up the cache expiry (and lets tests move the clock).
        if entry and now - entry["at"] <= PRESENCE_TTL:
            others.append(Presence(user_id=pk, name=entry["name"], state=entry["state"]))
    others.sort(key=lambda p: (p.state != State.REPLYING, p.name))
    return others
