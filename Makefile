# Liaison: two commands for people, a few more for developers and CI.
#   make run    create .venv, install, migrate, load demo data, start web + worker + beat
#   make test   the whole test suite
# Settings come from the environment (see README.md); without DATABASE_URL and
# CELERY_BROKER_URL everything runs embedded (SQLite, file-system broker).

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
PORT ?= 8000

.PHONY: run install test lint format check messages clean bench bench-smoke axe

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit("Liaison needs Python 3.11 or newer") if sys.version_info < (3, 11) else None'
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

run: export DEBUG ?= 1
run: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo
	$(PY) manage.py seed_demo_suggestions
	$(PY) manage.py seed_demo_ballots
	$(PY) manage.py collectstatic --noinput --verbosity 0
	@echo "Liaison: http://127.0.0.1:$(PORT)/  admin: http://127.0.0.1:$(PORT)/admin/  (Ctrl-C stops all)"
	PORT=$(PORT) $(VENV)/bin/honcho --procfile Procfile.dev --no-prefix start

test: install axe
	$(VENV)/bin/pytest $(PYTEST_ARGS)

# axe-core for the end-to-end accessibility checks: fetched once with npm at the version
# pinned in tests/e2e/vendor.py, its hash checked, kept under var/vendor/.
axe: install
	$(PY) -m tests.e2e.vendor

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# Recompile translations after editing locale/*/LC_MESSAGES/django.po (needs gettext).
messages: install
	$(PY) manage.py makemessages --locale zh_Hans --extension html,txt,py,svg --ignore '.venv/*' --ignore 'var/*' --ignore 'tests/*' --no-obsolete --no-wrap
	$(PY) manage.py compilemessages --ignore '.venv/*'

# Performance against the bare stack in one run (PostgreSQL and Redis on 127.0.0.1, wrk):
# regenerates docs/performance.md in under 20 minutes; bench-smoke is the small CI run.
bench: install
	$(PY) bench/run.py

bench-smoke: install
	$(PY) bench/run.py --smoke

clean:
	rm -rf $(VENV) var .pytest_cache
