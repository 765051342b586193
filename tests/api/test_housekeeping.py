"""Expired idempotency keys and change-log rows past their retention are deleted; the rest stays."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from api.models import IdempotencyRecord
from api.tasks import prune_api_records
from integrations.models import Change
from tests.factories import CustomerFactory
from tickets import services

pytestmark = pytest.mark.django_db


def test_old_keys_and_old_changes_go_and_recent_ones_stay(settings):
    settings.HELPDESK_CHANGES_KEEP_DAYS = 30
    now = timezone.now()
    IdempotencyRecord.objects.create(owner="token:1", key="old", fingerprint="x", status_code=201,
                                     created_at=now - timedelta(hours=25))  # fmt: skip
    IdempotencyRecord.objects.create(owner="token:1", key="new", fingerprint="x", status_code=201)
    services.customer_create(name="Recent")
    old = services.customer_create(name="Old")
    Change.objects.filter(customer_id=old.pk).update(created_at=now - timedelta(days=31))
    CustomerFactory()

    result = prune_api_records()

    assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["new"]
    assert not Change.objects.filter(customer_id=old.pk).exists()
    assert Change.objects.count() == 1
    assert result == "1 idempotency keys, 1 change-log rows"
