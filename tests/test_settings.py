"""Configuration from the environment: safe when DEBUG is off, loud on bad values."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

PRINT_SETTINGS = (
    "import json, django; from django.conf import settings; django.setup(); "
    "print(json.dumps({k: str(getattr(settings, k)) for k in "
    "['DEBUG', 'SESSION_COOKIE_SECURE', 'CSRF_COOKIE_SECURE', 'SECURE_HSTS_SECONDS', "
    "'HELPDESK_DEFAULT_COST_PER_MINUTE', 'CELERY_BROKER_URL', 'TIME_ZONE', 'ALLOWED_HOSTS']}))"
)


def _settings_in_subprocess(**env_overrides: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG", "DATABASE_URL", "REDIS_URL"}}
    env.update({"DJANGO_SETTINGS_MODULE": "helpdesk.settings", **env_overrides})
    return subprocess.run(  # noqa: S603 - our own interpreter, fixed arguments
        [sys.executable, "-c", PRINT_SETTINGS], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )


def test_production_refuses_to_start_without_a_secret_key():
    result = _settings_in_subprocess(DEBUG="false")
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_production_defaults_are_secure():
    result = _settings_in_subprocess(DEBUG="false", SECRET_KEY="s" * 50)
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout.strip().splitlines()[-1])
    assert values["SESSION_COOKIE_SECURE"] == "True"
    assert values["CSRF_COOKIE_SECURE"] == "True"
    assert int(values["SECURE_HSTS_SECONDS"]) >= 31536000


def test_local_development_runs_without_services_or_secrets():
    result = _settings_in_subprocess(DEBUG="true")
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout.strip().splitlines()[-1])
    assert values["CELERY_BROKER_URL"].startswith("filesystem://")
    assert values["HELPDESK_DEFAULT_COST_PER_MINUTE"] == "1.60"
    assert values["SESSION_COOKIE_SECURE"] == "False"


def test_environment_values_are_read():
    result = _settings_in_subprocess(
        DEBUG="true",
        REDIS_URL="redis://127.0.0.1:6379/3",
        TIME_ZONE="Asia/Tehran",
        ALLOWED_HOSTS="help.example.com,localhost",
        HELPDESK_DEFAULT_COST_PER_MINUTE="2.10",
    )
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout.strip().splitlines()[-1])
    assert values["CELERY_BROKER_URL"] == "redis://127.0.0.1:6379/3"
    assert values["TIME_ZONE"] == "Asia/Tehran"
    assert values["ALLOWED_HOSTS"] == "['help.example.com', 'localhost']"
    assert values["HELPDESK_DEFAULT_COST_PER_MINUTE"] == "2.10"


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("HELPDESK_DEFAULT_COST_PER_MINUTE", "cheap", "must be a decimal number"),
        ("HELPDESK_DEFAULT_COST_PER_MINUTE", "-1", "must not be negative"),
        ("HELPDESK_AUTO_CLOSE_DAYS", "0", "at least 1"),
    ],
)
def test_bad_values_fail_loudly(name, value, message):
    result = _settings_in_subprocess(DEBUG="true", **{name: value})
    assert result.returncode != 0
    assert message in result.stderr
