# Guichet: `make run` starts the demo on http://127.0.0.1:8000, `make test` runs the whole suite.
# Needs only Python 3.11 (plus PyPI access on first run). Installs are idempotent: a stamp file per
# dependency set is rebuilt only when pyproject.toml (or package-lock.json) changes.

PYTHON_BOOT ?= $(shell command -v python3.11 || command -v python3)
VENV        := .venv
PY          := $(VENV)/bin/python
PIP         := $(PY) -m pip --disable-pip-version-check -q
HOST        ?= 127.0.0.1
PORT        ?= 8000
PYTEST_ARGS ?=

.PHONY: run serve install install-dev node-deps test lint bench clean-demo help

help:
	@echo "make run    create .venv, install, migrate, load the demo data, serve on http://$(HOST):$(PORT)"
	@echo "make test   the whole test suite (browser tests skip without /usr/bin/chromium)"
	@echo "make lint   ruff + mypy on the pure cores + Django system checks"
	@echo "make bench  every benchmarks/*.py (prints name: value lines)"

$(PY):
	$(PYTHON_BOOT) -m venv $(VENV)

# Run-time dependencies only: enough for `make run`.
$(VENV)/.installed-run: pyproject.toml | $(PY)
	$(PIP) install -e .
	@touch $@

# Development dependencies (tests, lint): also satisfies the run-time set.
$(VENV)/.installed-dev: pyproject.toml | $(PY)
	$(PIP) install -e '.[dev]'
	@touch $@ $(VENV)/.installed-run

install: $(VENV)/.installed-run
install-dev: $(VENV)/.installed-dev

# axe-core for the accessibility checks of the browser tests; only when node/npm are present.
node_modules/.installed: package.json package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
		npm ci --no-audit --no-fund --loglevel=error && touch $@; \
	else echo "npm not found: accessibility checks with axe-core will be skipped"; fi

node-deps:
	@if command -v npm >/dev/null 2>&1; then $(MAKE) --no-print-directory node_modules/.installed; \
	else echo "npm not found: accessibility checks with axe-core will be skipped"; fi

run: install
	$(PY) -m guichet migrate --noinput -v 0
	$(PY) -m guichet seed_demo
	GUICHET_SMTP_RECEIVER=$${GUICHET_SMTP_RECEIVER:-1} $(PY) -m guichet serve --host $(HOST) --port $(PORT)

serve: install
	GUICHET_SMTP_RECEIVER=$${GUICHET_SMTP_RECEIVER:-1} $(PY) -m guichet serve --host $(HOST) --port $(PORT)

test: install-dev node-deps
	$(PY) -m pytest $(PYTEST_ARGS)

lint: install-dev
	$(VENV)/bin/ruff check src tests benchmarks
	$(VENV)/bin/mypy
	$(PY) -m guichet check --fail-level ERROR

bench: install-dev
	@set -e; for script in benchmarks/*.py; do \
		echo "# $$script"; $(PY) $$script; \
	done

# Forget the local demo database and logins (asks nothing: only var/ is touched).
clean-demo:
	rm -f var/guichet.sqlite3 var/guichet.sqlite3-wal var/guichet.sqlite3-shm var/demo-logins.txt
