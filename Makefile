# The two commands of the README. Both build .venv from scratch when it is missing.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test setup

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

setup: $(BIN)/python
	$(BIN)/pip install -q -e '.[test]'

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
