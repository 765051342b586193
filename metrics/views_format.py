"""How figures read on the dashboard and in its CSV files: one function per unit, plain strings out.

Units are those of metrics.figures.FigureInfo: "seconds", "percent", "score", "money", "count", "number".
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.utils.formats import number_format
from django.utils.translation import gettext as _

DASH = "—"
MINUS = "−"  # U+2212: a real minus sign, as wide as the plus


def _number(value: float | Decimal, places: int) -> str:
    return number_format(round(value, places), places, force_grouping=True)


def duration(seconds: float | None) -> str:
    """3 h 12 min; 45 s; 12 min; 2 d 4 h."""
    if seconds is None:
        return DASH
    seconds = round(abs(seconds))
    if seconds < 60:
        return _("%(seconds)s s") % {"seconds": seconds}
    minutes = round(seconds / 60)
    if minutes < 60:
        return _("%(minutes)s min") % {"minutes": minutes}
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        if not minutes:
            return _("%(hours)s h") % {"hours": hours}
        return _("%(hours)s h %(minutes)s min") % {"hours": hours, "minutes": minutes}
    days, hours = divmod(hours, 24)
    if not hours:
        return _("%(days)s d") % {"days": days}
    return _("%(days)s d %(hours)s h") % {"days": days, "hours": hours}


def percent(value: float | None) -> str:
    return DASH if value is None else f"{_number(value, 1)}%"


def money(value: float | Decimal | None) -> str:
    return DASH if value is None else f"${_number(value, 2)}"


def score(value: float | None) -> str:
    """An NPS: always signed, from −100 to +100."""
    if value is None:
        return DASH
    rounded = round(value)
    sign = "+" if rounded > 0 else (MINUS if rounded < 0 else "")
    return f"{sign}{_number(abs(rounded), 0)}"


def number(value: float | None) -> str:
    return DASH if value is None else _number(value, 2)


def count(value: float | None) -> str:
    return DASH if value is None else _number(value, 0)


FORMATS: dict[str, Callable[[Any], str]] = {
    "seconds": duration,
    "percent": percent,
    "money": money,
    "score": score,
    "number": number,
    "count": count,
}


def by_unit(value: Any, unit: str) -> str:
    return FORMATS[unit](value)


def change(value: float | None, unit: str) -> str:
    """A difference between two periods, signed: +12 min, −2.1 pts, +$0.12."""
    if value is None:
        return DASH
    sign = "+" if value > 0 else (MINUS if value < 0 else "±")
    size = abs(value)
    if unit == "seconds":
        return f"{sign}{duration(size)}"
    if unit == "percent":
        return _("%(sign)s%(points)s pts") % {"sign": sign, "points": _number(size, 1)}
    if unit == "money":
        return f"{sign}${_number(size, 2)}"
    if unit in ("score", "count"):
        return f"{sign}{_number(size, 0)}"
    return f"{sign}{_number(size, 2)}"


def plain_number(value: Any) -> str:
    """A number for a CSV cell: dot decimal separator, no grouping, so spreadsheets read it as a number."""
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, float):
        return f"{value:.2f}".rstrip("0").rstrip(".") if not value.is_integer() else str(int(value))
    return str(value)
