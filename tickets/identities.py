"""Normalization of customer addresses, so one person on many channels stays one customer.

Alice@Example.COM and alice@example.com are one email identity; +98 912 345 6789, 0912 345 6789
and ۰۹۱۲۳۴۵۶۷۸۹ are one phone identity (numbers without a country code are read in
settings.HELPDESK_PHONE_REGION).
"""

from __future__ import annotations

import phonenumbers
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _

from tickets.models import CustomerIdentity

Kind = CustomerIdentity.Kind


class InvalidIdentity(ValidationError):
    pass


def normalize_email(value: str) -> str:
    address = value.strip().strip("<>").strip().lower()
    try:
        validate_email(address)
    except ValidationError as error:
        message = _("“%(value)s” is not a valid email address.") % {"value": value}
        raise InvalidIdentity(message, code="invalid_email") from error
    return address


def normalize_phone(value: str, region: str | None = None) -> str:
    """Return the number in E.164 form (+989123456789)."""
    try:
        number = phonenumbers.parse(value, region or settings.HELPDESK_PHONE_REGION)
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_possible_number(number):
        raise InvalidIdentity(_("“%(value)s” is not a valid phone number.") % {"value": value}, code="invalid_phone")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalize_handle(value: str) -> str:
    handle = " ".join(value.split()).lower()
    if not handle:
        raise InvalidIdentity(_("The identity value is empty."), code="empty_identity")
    return handle


def normalize_identity(kind: str, value: str) -> str:
    if kind == Kind.EMAIL:
        return normalize_email(value)
    if kind == Kind.PHONE:
        return normalize_phone(value)
    if kind in (Kind.CHAT, Kind.PORTAL, Kind.SOCIAL):
        return normalize_handle(value)
    raise InvalidIdentity(_("Unknown identity kind “%(kind)s”.") % {"kind": kind}, code="unknown_kind")
