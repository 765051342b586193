"""The shapes figures come in. Plain data: the dashboards, the API and the CSV exports format them."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from decimal import Decimal
from typing import Any


@dataclass(frozen=True)
class DurationStats:
    """Seconds: how many durations, their mean, median and 90th percentile (None when there are none).

    `exact` is False when the percentiles come from the rollup histogram (within its bucket width).
    """

    count: int = 0
    mean: float | None = None
    median: float | None = None
    p90: float | None = None
    exact: bool = True


@dataclass(frozen=True)
class Durations:
    calendar: DurationStats = field(default_factory=DurationStats)
    business: DurationStats = field(default_factory=DurationStats)


@dataclass(frozen=True)
class Ratio:
    numerator: int = 0
    denominator: int = 0

    @property
    def percent(self) -> float | None:
        return 100.0 * self.numerator / self.denominator if self.denominator else None


@dataclass(frozen=True)
class Mean:
    count: int = 0
    total: float = 0

    @property
    def mean(self) -> float | None:
        return self.total / self.count if self.count else None


@dataclass(frozen=True)
class NetPromoter:
    promoters: int = 0
    passives: int = 0
    detractors: int = 0

    @property
    def count(self) -> int:
        return self.promoters + self.passives + self.detractors

    @property
    def score(self) -> float | None:
        """% promoters minus % detractors, from -100 to +100."""
        return 100.0 * (self.promoters - self.detractors) / self.count if self.count else None


@dataclass(frozen=True)
class Costs:
    handle_seconds: int = 0
    labour_cost: Decimal = Decimal("0")
    overhead: Decimal = Decimal("0")
    solved: int = 0

    @property
    def handle_minutes(self) -> float:
        return self.handle_seconds / 60

    @property
    def total_cost(self) -> Decimal:
        return self.labour_cost + self.overhead

    @property
    def cost_per_minute(self) -> Decimal | None:
        if not self.handle_seconds:
            return None
        return (self.total_cost / Decimal(self.handle_seconds) * 60).quantize(Decimal("0.01"))

    @property
    def cost_per_ticket(self) -> Decimal | None:
        return (self.total_cost / self.solved).quantize(Decimal("0.01")) if self.solved else None


@dataclass(frozen=True)
class Retention:
    """((C - B) / A) * 100: A customers at the start, B gained during the period, C at its end."""

    at_start: int = 0
    gained: int = 0
    at_end: int = 0

    @property
    def rate(self) -> float | None:
        return 100.0 * (self.at_end - self.gained) / self.at_start if self.at_start else None


def plain(value: Any) -> Any:
    """A figure as JSON-ready data: dataclasses become dicts with their computed properties."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {str(key): plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [plain(item) for item in value]
    if hasattr(value, "__dataclass_fields__"):
        data = {f.name: plain(getattr(value, f.name)) for f in fields(value)}
        for name in dir(type(value)):
            if isinstance(getattr(type(value), name), property):
                data[name] = plain(getattr(value, name))
        return data
    return value


@dataclass(frozen=True)
class Backlog:
    """Tickets not solved or closed now: how many, by status, and by age since creation."""

    total: int = 0
    by_status: dict[str, int] = field(default_factory=dict)
    ages: dict[str, int] = field(default_factory=dict)
