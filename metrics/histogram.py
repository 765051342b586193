"""Duration buckets for the rollup histograms, and percentiles read back from them.

Buckets are 5 s wide under a minute, then each 5% wider than the one before, up to a year; a
percentile interpolates inside its bucket, so it is off by less than the bucket's width (under 5%).
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable

from django.db.models import Case, IntegerField, Value, When
from django.db.models.expressions import Expression


def _edges() -> list[int]:
    edges = list(range(0, 60, 5))
    edge = 60.0
    while edge < 366 * 86_400:
        edges.append(round(edge))
        edge *= 1.05
    return edges


EDGES = _edges()  # bucket i holds durations in [EDGES[i], EDGES[i + 1])


def bucket_of(seconds: int) -> int:
    return bisect_right(EDGES, seconds) - 1


def bucket_expression(column: str) -> Expression:
    """SQL giving bucket_of(column): a balanced tree of CASEs, about 8 comparisons a row."""

    def tree(low: int, high: int) -> Expression:  # buckets low..high inclusive
        if low == high:
            return Value(low)
        middle = (low + high + 1) // 2
        return Case(
            When(**{f"{column}__lt": EDGES[middle]}, then=tree(low, middle - 1)),
            default=tree(middle, high),
            output_field=IntegerField(),
        )

    return tree(0, len(EDGES) - 1)


def percentile_from_buckets(counts: Iterable[tuple[int, int]], fraction: float) -> float | None:
    """Like percentile_cont over the durations, from (bucket, count) pairs.

    The k-th smallest duration is estimated by spreading its bucket's durations evenly across the
    bucket; the percentile then interpolates between the two ranks around it, as percentile_cont does.
    """
    pairs = sorted((bucket, count) for bucket, count in counts if count)
    total = sum(count for _, count in pairs)
    if not total:
        return None
    rank = fraction * (total - 1)  # zero-based position among the sorted durations
    low = int(rank)
    high = min(low + 1, total - 1)
    found = _values_at_ranks(pairs, [low, high])
    return found[0] + (found[1] - found[0]) * (rank - low)


def _values_at_ranks(pairs: list[tuple[int, int]], ranks: list[int]) -> list[float]:
    values = []
    for rank in ranks:
        seen = 0
        for bucket, count in pairs:
            if rank < seen + count:
                lower = EDGES[bucket]
                upper = EDGES[bucket + 1] if bucket + 1 < len(EDGES) else lower
                values.append(lower + (upper - lower) * (rank - seen + 0.5) / count)
                break
            seen += count
    return values
