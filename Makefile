# The OSINT editorial desk. `make run` and `make test` each set up what they
# need on a fresh machine: a Python 3.12+ venv, the pinned packages, and (as
# root with apt-get) the system packages for PDFs and browser tests.

SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
HOST ?= 127.0.0.1
PORT ?= 8000
DEMO_PASSWORD ?= demo

# Debian packages: WeasyPrint's text stack, PDF-to-PNG for artefacts, the
# browser for end-to-end tests, nginx for the download benchmark.
SYSTEM_PACKAGES_RUN := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core fonts-inter
SYSTEM_PACKAGES_TEST := $(SYSTEM_PACKAGES_RUN) poppler-utils chromium chromium-driver nginx-light wrk

.PHONY: run test bench serve lint typecheck clean system-run system-test venv

$(VENV)/.python-ok:
	@py="$$(scripts/find-python)" || exit 1; \
	echo "Using $$py ($$($$py --version))"; \
	$$py -m venv $(VENV) && touch $@

$(VENV)/.installed-run: requirements.txt | $(VENV)/.python-ok
	$(PIP) install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt | $(VENV)/.python-ok
	$(PIP) install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@ $(VENV)/.installed-run

venv: $(VENV)/.installed-run

system-run:
	@scripts/ensure-system-packages $(SYSTEM_PACKAGES_RUN)

system-test:
	@scripts/ensure-system-packages $(SYSTEM_PACKAGES_TEST)

run: system-run $(VENV)/.installed-run
	$(PY) manage.py migrate --noinput -v0
	$(PY) manage.py demo --password "$(DEMO_PASSWORD)"
	@echo ""
	@echo "The desk is at http://$(HOST):$(PORT)/  (admin: http://$(HOST):$(PORT)/admin/)"
	$(PY) manage.py runserver --noreload $(HOST):$(PORT)

test: system-test $(VENV)/.installed-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy .
	$(VENV)/bin/pytest $(PYTEST_ARGS)

lint: $(VENV)/.installed-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: $(VENV)/.installed-dev
	$(VENV)/bin/mypy .

bench: system-test $(VENV)/.installed-dev
	@set -e; for script in bench/*.py; do \
	  case "$$script" in */_*) continue;; esac; \
	  echo ""; echo "== $$script"; $(PY) "$$script"; \
	done

# The production shape on one machine. Needs DATABASE_URL and
# CELERY_BROKER_URL; scale out by running more workers (and gunicorn
# instances) on other machines against the same broker and database.
serve: system-run $(VENV)/.installed-run
	@test -n "$$DATABASE_URL" || { echo "make serve needs DATABASE_URL (postgres://...)"; exit 2; }
	@test -n "$$CELERY_BROKER_URL" || { echo "make serve needs CELERY_BROKER_URL (redis://...)"; exit 2; }
	DEBUG=$${DEBUG:-0} $(PY) manage.py migrate --noinput -v0
	DEBUG=$${DEBUG:-0} $(PY) manage.py collectstatic --noinput -v0
	mkdir -p var
	DEBUG=$${DEBUG:-0} scripts/serve

clean:
	rm -rf $(VENV) var db.sqlite3 db.sqlite3-* .pytest_cache .mypy_cache .ruff_cache test-artifacts
