# Quick start: `make demo` serves the helpdesk on http://127.0.0.1:8000; `make test` runs the suite.
# With DATABASE_URL and REDIS_URL set, both use PostgreSQL and Redis instead of SQLite and a folder queue.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
DEMO_TICKETS ?= 3000
BENCH_TICKETS ?= 1000000

.PHONY: demo test lint format bench install install-test migrate messages clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Reinstall only when the dependency list changes. The demo needs the app's dependencies;
# the tests add pytest, Playwright, ruff and mypy.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(BIN)/pip install --quiet ".[test]"
	touch $@

install: $(VENV)/.installed

install-test: $(VENV)/.installed-test

migrate: install
	DEBUG=$${DEBUG:-true} $(BIN)/python manage.py migrate --noinput

demo: install
	@mkdir -p var
	DEBUG=true $(BIN)/python manage.py migrate --noinput
	DEBUG=true $(BIN)/python manage.py seed_demo --tickets $(DEMO_TICKETS) --if-empty
	DEBUG=true $(BIN)/python manage.py seed_help_center
	DEBUG=true $(BIN)/python manage.py collectstatic --noinput --verbosity 0
	@DEBUG=true $(BIN)/python manage.py demo_users --host $(HOST) --port $(PORT)
	@# The worker (with the beat scheduler) and the web server run together; Ctrl-C stops both.
	@# Webhooks may go to receivers on this machine (a local test receiver), unlike in production.
	DEBUG=true HELPDESK_WEBHOOK_ALLOW_PRIVATE_NETWORKS=$${HELPDESK_WEBHOOK_ALLOW_PRIVATE_NETWORKS:-true} bash -c 'trap "kill 0" EXIT; \
		$(BIN)/celery -A helpdesk worker --beat --concurrency 1 --loglevel WARNING & \
		$(BIN)/python manage.py runserver $(HOST):$(PORT) --noreload'

test: install-test
	DEBUG=false SECRET_KEY=$${SECRET_KEY:-make-test-key-not-secret} $(BIN)/pytest $(PYTEST_ARGS)

lint: install-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	DEBUG=true $(BIN)/mypy

format: install-test
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: install-test
	DEBUG=false SECRET_KEY=$${SECRET_KEY:-make-bench-key-not-secret} $(BIN)/python manage.py bench --tickets $(BENCH_TICKETS)

messages: install
	DEBUG=true $(BIN)/python manage.py makemessages -l fa -l ar --ignore .venv --ignore var
	DEBUG=true $(BIN)/python manage.py compilemessages --ignore .venv

clean:
	rm -rf $(VENV) var staticfiles .pytest_cache .ruff_cache
