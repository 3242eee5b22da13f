# Two commands on a fresh machine with Python 3.11 and make:  make run  ·  make test
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=

.PHONY: run test e2e lint format bench cluster messages migrate clean help

help:
	@echo "make run    install, migrate, load demo data and serve on http://$(HOST):$(PORT) (SQLite)"
	@echo "make test   install test tools and run the suite (all but the browser tests)"
	@echo "make e2e    browser tests (needs Debian's chromium: apt-get install -y chromium)"
	@echo "make lint   ruff lint and format check, then the import layers (lint-imports)"
	@echo "make bench  benchmarks (print figures, never fail the build)"
	@echo "make cluster  two app servers, PostgreSQL, Redis, SeaweedFS and a worker on this machine"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	@touch $@

$(VENV)/.installed-test: requirements-test.txt requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-test.txt
	@touch $(VENV)/.installed $@

migrate: $(VENV)/.installed
	$(BIN)/python manage.py migrate --no-input

# Links in e-mails name the address the demo is served on (WAGTAILADMIN_BASE_URL).
run: migrate
	WAGTAILADMIN_BASE_URL=$${WAGTAILADMIN_BASE_URL:-http://$(HOST):$(PORT)} $(BIN)/python manage.py seed_demo
	WAGTAILADMIN_BASE_URL=$${WAGTAILADMIN_BASE_URL:-http://$(HOST):$(PORT)} $(BIN)/python manage.py runserver $(HOST):$(PORT)

# Two workers (these machines have 2 cores): pytest-xdist gives each its own test database. "load"
# hands each worker tests in collection order, where pytest-django puts the transactional tests
# last: they empty the database when they end, so nothing may run after them on that worker.
XDIST ?= -n 2 --dist load
test: $(VENV)/.installed-test
	@start=$$(date +%s); \
	$(BIN)/python -m pytest -m "not e2e and not cluster" --create-db --timeout=600 $(XDIST) $(PYTEST_ARGS); \
	status=$$?; echo "make test took $$(( $$(date +%s) - start )) s"; exit $$status

e2e: $(VENV)/.installed-test
	@start=$$(date +%s); \
	$(BIN)/python -m pytest -m e2e --create-db --timeout=600 $(PYTEST_ARGS); \
	status=$$?; echo "make e2e took $$(( $$(date +%s) - start )) s"; exit $$status

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

format: $(VENV)/.installed-test
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Each benchmark prints its figures; a failing one is reported but never fails the build.
bench: $(VENV)/.installed-test
	-$(BIN)/python bench/run.py
	-$(BIN)/python bench/import_households.py
	-$(BIN)/python bench/catalogue.py
	-$(BIN)/python bench/impact.py
	-$(BIN)/python bench/cluster.py --duration 30

# Two gunicorn app servers, one PostgreSQL database (127.0.0.1:5432), Redis, SeaweedFS and a
# db_worker, in production mode, until Ctrl-C (bench/cluster.py --serve).
cluster: $(VENV)/.installed-test
	$(BIN)/python bench/cluster.py --serve

# Developers only (needs GNU gettext): refresh and compile the Thai catalogue, then translate it.
messages: $(VENV)/.installed
	$(BIN)/python manage.py makemessages --locale th --ignore '.venv/*' --ignore 'var/*' --ignore 'locale_wagtail/*' --no-obsolete
	$(BIN)/python manage.py compilemessages --locale th --ignore '.venv/*'

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache
