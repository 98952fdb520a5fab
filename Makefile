# The two commands of the README: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Development defaults; production sets DEBUG=0, SECRET_KEY and ALLOWED_HOSTS itself.
export DEBUG ?= 1

.PHONY: run test install messages migrate seed lint bench-scoring bench-dashboard bench-import bench-rls bench-webhooks bench-history bench-qbr clean

$(BIN)/.installed: requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $@

install: $(BIN)/.installed

messages: install
	$(BIN)/python manage.py compilemessages --ignore=.venv --verbosity=0

migrate: install
	$(BIN)/python manage.py migrate --noinput

seed: migrate
	$(BIN)/python manage.py seed_demo

run: messages seed
	$(BIN)/python manage.py runserver 127.0.0.1:8000

lint: install
	$(BIN)/ruff check .
	$(BIN)/lint-imports --no-cache

test: messages lint
	$(BIN)/python manage.py makemigrations --check --dry-run --verbosity=0
	$(BIN)/pytest $(PYTEST_ARGS)

# Scoring run vs. a hand-written SQL floor on a tenant of 10,000 customers × 4 quarters
# (BENCH_ARGS="--customers 50000 --quarters 8" to change the size).
bench-scoring: migrate
	$(BIN)/python manage.py bench_scoring $(BENCH_ARGS)

# CSV import of 10,000 customers and 10,000 figure rows: check, then commit (BENCH_ARGS="--rows 50000").
bench-import: migrate
	$(BIN)/python manage.py bench_import $(BENCH_ARGS)

# The executive dashboard on a throwaway tenant of 5,000 customers, 10,000 milestones and
# 20,000 OPL items (BENCH_ARGS="--customers 20000 --repeat 3" to change it).
bench-dashboard: migrate
	$(BIN)/python manage.py bench_dashboard $(BENCH_ARGS)

# The customer list (page and API) and the dashboard with and without row-level security,
# on the same throwaway tenant (PostgreSQL; BENCH_ARGS="--customers 20000 --rounds 5").
bench-rls: migrate
	$(BIN)/python manage.py bench_rls $(BENCH_ARGS)

# Webhook events of a scoring run changing 2,500 tiers: the time to queue them in the run's
# transaction and the delivery rate to a loopback receiver (BENCH_ARGS="--customers 10000").
bench-webhooks: migrate
	$(BIN)/python manage.py bench_webhooks $(BENCH_ARGS)

# The figure import with the history of changes off and on, and the ratio (≤ 1.5×).
bench-history: migrate
	$(BIN)/python manage.py bench_history $(BENCH_ARGS)

# The QBR pack PDF (internal and customer-facing) of an A account of the demo tenant
# (BENCH_ARGS="--language zh-hans --repeat 5"); target under 3 s.
bench-qbr: seed
	$(BIN)/python manage.py bench_qbr $(BENCH_ARGS)

clean:
	rm -rf $(VENV) staticfiles db.sqlite3 .pytest_cache .ruff_cache
