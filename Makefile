# The two commands of the README (demo, test), and the developer's (lint, test-fast).
# Each builds .venv from scratch when it is missing.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test test-fast lint setup frontend

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

# Installed again only when pyproject.toml changes (the install is editable: code changes need none).
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[test]'
	touch $@

setup: $(VENV)/.installed frontend

# The pages' look: GOV.UK Frontend (npm, pinned by package-lock.json) compiled into
# service/static/govuk/. Rebuilt only when the lock file or our Sass changes.
FRONTEND_OUT := service/static/govuk/app.css
node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

$(FRONTEND_OUT): node_modules/.package-lock.json frontend/build.mjs $(wildcard frontend/*.scss)
	npm run --silent build

frontend: $(FRONTEND_OUT)

demo: setup
	$(BIN)/python -m service.demo

test: setup
	@# The page tests drive Debian's Chromium (never a downloaded browser); the machine runs as root.
	@if [ ! -x /usr/bin/chromium ]; then \
		echo "installing chromium for the browser tests"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null \
			|| echo "could not install chromium: the browser tests will skip (and fail under CI=true)"; \
	fi
	$(BIN)/python -m pytest -q -p no:cacheprovider $(PYTEST_ARGS)

# Everything but the tests marked slow (PostgreSQL + RQ, browser, worker, deployment, property
# tests): SQLite and in-process solves, under a minute.
test-fast: setup
	$(BIN)/python -m pytest -q -p no:cacheprovider -m "not slow" $(PYTEST_ARGS)

# Lint, format and types; configuration in pyproject.toml. All three run even when one fails.
lint: setup
	@status=0; \
	$(BIN)/ruff check . || status=1; \
	$(BIN)/ruff format --check . || status=1; \
	$(BIN)/mypy solver || status=1; \
	exit $$status
