"""Tests that need a real outside part (PostgreSQL, Chromium, Dovecot, ...) call `missing` when it is absent:
on a user's machine the test is skipped with the reason; under CI (CI=true) the run fails instead."""

import os

import pytest


def missing(reason: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"CI must have every real part: {reason}", pytrace=False)
    pytest.skip(reason)
