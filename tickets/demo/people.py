"""Who is in the demo: organizations, teams with their agents, tags, and customers with their identities.

The few staff-side rows go through the ORM and are reused by later runs (matched by name);
customers are new on every run and are written in bulk with explicit ids.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from django.contrib.auth.models import Group
from django.db import transaction

from accounts.models import User
from accounts.roles import GROUP_NAMES, Role, role_groups_sync, user_set_role
from metrics.models import CostSettings
from tickets.demo import names, texts
from tickets.demo.arrivals import DAY, Clock, Period, index_at_or_before
from tickets.demo.bulk import ChunkSink
from tickets.demo.hours import IRAN_WORKING_HOURS
from tickets.models import Customer, CustomerIdentity, Organization, SlaPolicy, Tag, Team

# Which team each agent joins, by position: every team has someone from five agents on,
# and about 40/25/20/15 % of agents work technical support/billing/sales/VIP.
TEAM_PATTERN = [
    "technical",
    "billing",
    "sales",
    "vip",
    "technical",
    "billing",
    "technical",
    "sales",
    "billing",
    "technical",
    "vip",
    "technical",
    "billing",
    "sales",
    "technical",
    "billing",
    "vip",
    "technical",
    "sales",
    "technical",
]

CUSTOMER_COLUMNS = (
    "id",
    "name",
    "organization_id",
    "locale",
    "time_zone",
    "external_id",
    "attributes",
    "user_id",
    "created_at",
    "updated_at",
    "churned_at",
    "merged_into_id",
)
IDENTITY_COLUMNS = ("id", "customer_id", "kind", "value", "is_primary", "created_at")

# Customer created before the period for 13 of every 20, so early tickets have someone to come from.
_EXISTING_SHARE = 13
_CHURN_SHARE = 0.06
# The site's cost settings, when none are set: docs/metrics.md's loaded cost and a small team's overhead.
DEFAULT_COST_PER_MINUTE = Decimal("1.60")
# Tools, rent and management not in the loaded rates, per agent and month: the overhead grows with the team.
OVERHEAD_PER_AGENT = Decimal("400.00")
# Business-hours targets per priority: (first response, resolution) in minutes.
SLA_TARGETS = {"urgent": (30, 4 * 60), "high": (60, 8 * 60), "normal": (4 * 60, 24 * 60), "low": (8 * 60, 72 * 60)}


@dataclass
class Staff:
    team_ids: dict[str, int]  # topic -> team id
    agents: dict[str, list[int]]  # topic -> agent ids
    agent_names: dict[int, str]  # id -> str(user), as TicketEvent values show people
    tag_ids: dict[str, int]


def agent_count_for(tickets: int) -> int:
    return max(5, min(60, tickets // 400))


def ensure_staff(*, agent_count: int, period: Period) -> Staff:
    """Organizations, teams, agents and tags, created once and reused by later runs."""
    long_ago = datetime.fromtimestamp(period.start_ts, UTC) - timedelta(days=400)
    with transaction.atomic():
        for name, domain in names.ORGANIZATIONS:
            org, created = Organization.objects.get_or_create(name=name, defaults={"domain": domain})
            if created:  # created_at is auto_now_add: backdate it like the customers
                Organization.objects.filter(pk=org.pk).update(created_at=long_ago)
        team_ids = {}
        for topic, (name, time_zone, cost, _share) in names.TEAMS.items():
            team, created = Team.objects.get_or_create(
                name=name,
                defaults={
                    "time_zone": time_zone,
                    "cost_per_minute": Decimal(cost) if cost else None,
                    "working_hours": IRAN_WORKING_HOURS,
                },
            )
            if created:
                Team.objects.filter(pk=team.pk).update(created_at=long_ago)
            team_ids[topic] = team.pk
        agents = _ensure_agents(agent_count, team_ids, long_ago)
        Tag.objects.bulk_create([Tag(name=name) for name in texts.ALL_TAGS], ignore_conflicts=True)
        if not CostSettings.objects.exists():
            CostSettings.objects.create(
                default_cost_per_minute=DEFAULT_COST_PER_MINUTE, monthly_overhead=OVERHEAD_PER_AGENT * agent_count
            )
        for priority, (first_response, resolution) in SLA_TARGETS.items():
            SlaPolicy.objects.get_or_create(
                priority=priority, defaults={"first_response_minutes": first_response, "resolution_minutes": resolution}
            )
        tag_ids = dict(Tag.objects.filter(name__in=texts.ALL_TAGS).values_list("name", "pk"))
    by_topic: dict[str, list[int]] = {topic: [] for topic in team_ids}
    for index, user in enumerate(agents):
        by_topic[TEAM_PATTERN[index % len(TEAM_PATTERN)]].append(user.pk)
    return Staff(
        team_ids=team_ids,
        agents=by_topic,
        agent_names={user.pk: str(user) for user in agents},
        tag_ids=tag_ids,
    )


def _ensure_agents(count: int, team_ids: dict[str, int], joined: datetime) -> list[User]:
    if not Group.objects.filter(name=GROUP_NAMES[Role.AGENT]).exists():
        role_groups_sync()
    wanted = names.AGENT_NAMES[:count]
    usernames = [f"{first}.{last}".lower() for first, last in wanted]
    existing = {user.username: user for user in User.objects.filter(username__in=usernames)}
    agents = []
    for index, ((first, last), username) in enumerate(zip(wanted, usernames, strict=True)):
        user = existing.get(username)
        if user is None:
            user = User(
                username=username,
                first_name=first,
                last_name=last,
                email=f"{username}@support.example",
                # Unusable (starts with "!") yet the same on every run, unlike set_unusable_password().
                password="!" + hashlib.sha256(username.encode()).hexdigest()[:40],
                date_joined=joined,
                cost_per_minute=Decimal("1.85") if index % 5 == 2 else None,
            )
            user.save()
            user_set_role(user=user, role=Role.AGENT)
            Team.objects.get(pk=team_ids[TEAM_PATTERN[index % len(TEAM_PATTERN)]]).members.add(user)
        agents.append(user)
    return agents


@dataclass
class CustomerPool:
    """What ticket generation needs to know about the customers made by this run, by position."""

    base_id: int
    locale: list[str] = field(default_factory=list)
    first_name: list[str] = field(default_factory=list)
    plan: list[str] = field(default_factory=list)
    order: list[str] = field(default_factory=list)
    mail_domain: list[str] = field(default_factory=list)
    has_email: list[bool] = field(default_factory=list)
    churned: list[int | None] = field(default_factory=list)
    # identity kind -> (creation times ascending, positions in that order)
    by_kind: dict[str, tuple[list[int], list[int]]] = field(default_factory=dict)

    def pick(self, rng: random.Random, kind: str, ts: int) -> int:
        """A customer who existed at `ts`, has an identity of `kind`, and had not churned; returns the position."""
        times, positions = self.by_kind.get(kind) or self.by_kind["any"]
        available = index_at_or_before(times, ts)
        if not available:
            times, positions = self.by_kind["any"]
            available = max(index_at_or_before(times, ts), 1)
        for _attempt in range(4):
            position = positions[rng.randrange(available)]
            churned = self.churned[position]
            if churned is None or churned > ts:
                break
        return position


def write_customers(
    *,
    count: int,
    rng: random.Random,
    period: Period,
    clock: Clock,
    sink: ChunkSink,
    batch: int,
    first_id: int,
    first_identity_id: int,
) -> CustomerPool:
    """Generate `count` customers with their identities, handing rows to `sink` a chunk at a time."""
    organizations = list(
        Organization.objects.filter(name__in=[n for n, _d in names.ORGANIZATIONS]).values_list("pk", "domain")
    )
    pool = CustomerPool(base_id=first_id)
    identity_id = first_identity_id
    created_times: list[int] = []
    kinds: dict[str, list[int]] = {"any": [], "email": [], "phone": [], "chat": [], "social": []}
    span = period.until_ts - period.start_ts
    fmt = clock.fmt
    for chunk_start in range(0, count, batch):
        customers, identities = [], []
        for position in range(chunk_start, min(count, chunk_start + batch)):
            pk = pool.base_id + position
            locale = rng.choices(names.LOCALES, weights=names.LOCALE_WEIGHTS)[0]
            first, first_latin = rng.choice(names.FIRST_NAMES[locale])
            last, last_latin = rng.choice(names.LAST_NAMES[locale])
            org_id, domain = rng.choice(organizations) if rng.random() < 0.25 else (None, "")
            domain = domain or rng.choice(names.PERSONAL_MAIL_DOMAINS)
            plan = rng.choices(names.PLANS, weights=names.PLAN_WEIGHTS)[0]
            if position % 20 < _EXISTING_SHARE:
                created = period.start_ts - rng.randint(1, 730) * DAY - rng.randrange(DAY)
            else:
                created = period.start_ts + rng.randrange(span)
            churned = None
            if rng.random() < _CHURN_SHARE:
                first_day = max(created, period.start_ts) + 30 * DAY
                if first_day < period.until_ts:
                    churned = first_day + rng.randrange(period.until_ts - first_day)
            orders = [
                {
                    "id": f"A-{rng.randint(100000, 999999)}",
                    "total": f"{rng.randint(9, 480)}.{rng.choice(('00', '50', '99'))}",
                    "currency": "USD",
                    "date": fmt(period.until_ts - rng.randint(1, 120) * DAY)[:10],
                }
                for _ in range(rng.choice((0, 1, 1, 2, 3)))
            ]
            attributes = {"plan": plan, "recent_orders": orders, "newsletter": rng.random() < 0.4}
            customers.append(
                (
                    pk,
                    f"{first} {last}",
                    org_id,
                    locale,
                    rng.choice(names.TIME_ZONES[locale]),
                    f"CRM-{pk:07d}" if rng.random() < 0.8 else "",
                    attributes,
                    None,
                    fmt(created),
                    fmt(churned or created),
                    fmt(churned),
                    None,
                )
            )
            # Nearly everyone has an email address, half a phone; chat and social handles for some.
            has_email = rng.random() < 0.95
            values = []
            if has_email:
                values.append(("email", f"{first_latin}.{last_latin}{pk}@{domain}"))
            if not has_email or rng.random() < 0.5:
                prefix = rng.choice(names.PHONE_PREFIXES[locale])
                extra = str(rng.randrange(10)) if locale == "en" else ""
                # Multiplying by a number prime to 10 keeps every customer's number distinct.
                values.append(("phone", f"{prefix}{extra}{pk * 3_141_593 % 10_000_000:07d}"))
            if rng.random() < 0.35:
                values.append(("chat", f"visitor-{pk:x}-{rng.getrandbits(32):08x}"))
            if rng.random() < 0.15:
                values.append(("social", f"@{first_latin}_{last_latin}{pk}"))
            for index, (kind, value) in enumerate(values):
                identities.append((identity_id, pk, kind, value, index == 0, fmt(created)))
                identity_id += 1
                kinds[kind].append(position)
            kinds["any"].append(position)
            created_times.append(created)
            pool.locale.append(locale)
            pool.first_name.append(first)
            pool.plan.append(plan)
            pool.order.append(orders[0]["id"] if orders else f"A-{rng.randint(100000, 999999)}")
            pool.mail_domain.append(domain)
            pool.has_email.append(has_email)
            pool.churned.append(churned)
        sink.put(
            [
                (Customer, CUSTOMER_COLUMNS, customers, ("attributes",)),
                (CustomerIdentity, IDENTITY_COLUMNS, identities, ()),
            ]
        )
    for kind, positions in kinds.items():
        positions.sort(key=lambda p: created_times[p])
        pool.by_kind[kind] = ([created_times[p] for p in positions], positions)
    return pool
