# c2c-safety. `make demo` and `make test` do all set-up on a fresh machine.
SHELL := /bin/bash
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export C2C_LOG_LEVEL ?= INFO

.PHONY: install demo test test-sqlite test-postgres lint typecheck bench migration browsers clean

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

install: $(STAMP)

# Debian's chromium drives the browser tests (Playwright never downloads a browser here).
browsers:
	@command -v chromium >/dev/null || (apt-get update -qq && apt-get install -y -qq chromium >/dev/null)

demo: install
	C2C_ENV=demo $(BIN)/flask --app app db upgrade
	C2C_ENV=demo $(BIN)/flask --app app demo seed
	C2C_ENV=demo $(BIN)/flask --app app demo run

lint: install
	$(BIN)/ruff check c2c_safety models workers classifiers tests bench app.py
	$(BIN)/mypy

test: install browsers lint test-sqlite
	@if [ -n "$$C2C_TEST_DATABASE_URL" ]; then $(MAKE) --no-print-directory test-postgres; fi

test-sqlite: install
	env -u C2C_TEST_DATABASE_URL $(BIN)/pytest -q

test-postgres: install
	$(BIN)/pytest -q -m "not browser and not faults"

bench: install
	$(BIN)/python -m bench

# Regenerate the single initial migration from the models (pre-release: one migration).
migration: install
	rm -rf /tmp/c2c-migration && rm -f models/migrations/versions/0001_initial.py
	C2C_ENV=test C2C_INSTANCE_PATH=/tmp/c2c-migration $(BIN)/flask --app app db revision -m initial --rev-id 0001
	$(BIN)/ruff format models/migrations/versions/0001_initial.py >/dev/null

clean:
	rm -rf $(VENV) instance .pytest_cache .mypy_cache .ruff_cache
