# c2c-safety. `make demo` and `make test` do all set-up on a fresh machine.
SHELL := /bin/bash
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export C2C_LOG_LEVEL ?= INFO

.PHONY: install demo test test-sqlite test-postgres faults lint typecheck bench migration browsers clean

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

install: $(STAMP)

# Debian's chromium drives the browser tests (Playwright never downloads a browser here);
# axe-core comes from the npm registry for the accessibility checks.
browsers:
	@command -v chromium >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null)
	@test -f tests/browser/node_modules/axe-core/axe.min.js || (cd tests/browser && npm ci --no-audit --no-fund --silent)

demo: install
	C2C_ENV=demo $(BIN)/flask --app app db upgrade
	C2C_ENV=demo $(BIN)/flask --app app demo seed
	C2C_ENV=demo $(BIN)/flask --app app demo run

lint: install
	$(BIN)/ruff check c2c_safety models workers classifiers tests bench app.py
	$(BIN)/mypy

# PostgreSQL for the second run: C2C_TEST_DATABASE_URL, else the local service if it answers.
PG_URL ?= $(or $(C2C_TEST_DATABASE_URL),$(shell pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null && echo postgresql://postgres@127.0.0.1:5432/test))

test: install browsers lint test-sqlite test-postgres

test-sqlite: install
	env -u C2C_TEST_DATABASE_URL C2C_TEST_PG_URL=$(PG_URL) $(BIN)/pytest -q

test-postgres: install
	@if [ -z "$(PG_URL)" ]; then echo "PostgreSQL not reachable: set C2C_TEST_DATABASE_URL (CI starts the service)"; exit 1; fi
	C2C_TEST_DATABASE_URL=$(PG_URL) C2C_TEST_PG_URL=$(PG_URL) $(BIN)/pytest -q -m "not browser and not faults and not slow"

# The fault suite alone (also part of test-sqlite): kills Redis, workers and a throwaway
# PostgreSQL cluster of its own mid-load; its databases sit next to PG_URL's (SQLite without it).
faults: install
	env -u C2C_TEST_DATABASE_URL C2C_TEST_PG_URL=$(PG_URL) $(BIN)/pytest -q -s -m faults tests/faults

bench: install
	$(BIN)/python -m bench

# Regenerate the single initial migration from the models (pre-release: one migration).
migration: install
	rm -rf /tmp/c2c-migration && rm -f models/migrations/versions/0001_initial.py
	C2C_ENV=test C2C_INSTANCE_PATH=/tmp/c2c-migration $(BIN)/flask --app app db revision -m initial --rev-id 0001
	$(BIN)/ruff format models/migrations/versions/0001_initial.py >/dev/null

clean:
	rm -rf $(VENV) instance .pytest_cache .mypy_cache .ruff_cache
