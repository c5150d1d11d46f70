# Canhgac: the two commands a newcomer needs are `make demo` and `make test`.
# Everything the project needs is installed from here (CI runs `make test` on a
# fresh machine, as root, with no standard input).

SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
OPENSEARCH := tools/opensearch/opensearch.sh
PYTEST_ARGS ?=
export DEBIAN_FRONTEND := noninteractive

.PHONY: help venv install install-dev demo test test-sqlite lint format bench engine-start engine-stop clean

help:
	@echo "make demo    install and run the demo on the embedded store"
	@echo "make test    install what the tests need, start a test OpenSearch, run every test"
	@echo "make bench   run the benchmarks (one JSON line each)"
	@echo "make lint    ruff check"

$(VENV)/.created:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	touch $@

venv: $(VENV)/.created

$(VENV)/.installed: $(VENV)/.created pyproject.toml
	$(PIP) install --quiet -e .
	touch $@

$(VENV)/.installed-dev: $(VENV)/.created pyproject.toml
	$(PIP) install --quiet -e '.[dev]'
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

demo: install
	$(VENV)/bin/canhgac demo

lint: install-dev
	$(VENV)/bin/ruff check .

format: install-dev
	$(VENV)/bin/ruff format .

engine-start:
	$(OPENSEARCH) start

engine-stop:
	$(OPENSEARCH) stop

# The suite runs against SQLite and against a real OpenSearch node started
# here; the node is stopped whatever the tests do.
test: install-dev
	$(VENV)/bin/ruff check .
	$(OPENSEARCH) fetch
	@set -o pipefail; \
	$(OPENSEARCH) stop >/dev/null 2>&1 || true; \
	$(OPENSEARCH) start || exit 1; \
	export CANHGAC_TEST_OPENSEARCH_URL=$$($(OPENSEARCH) url); \
	$(PY) -m pytest $(PYTEST_ARGS); rc=$$?; \
	$(OPENSEARCH) stop || true; \
	exit $$rc

# The suite on the embedded store only (no JVM): quick local runs.
test-sqlite: install-dev
	$(PY) -m pytest $(PYTEST_ARGS)

bench: install-dev
	$(OPENSEARCH) fetch
	@$(OPENSEARCH) start || exit 1; \
	export CANHGAC_TEST_OPENSEARCH_URL=$$($(OPENSEARCH) url); \
	$(PY) bench/store_ingest.py $(BENCH_ARGS); rc=$$?; \
	$(OPENSEARCH) stop || true; \
	exit $$rc

clean:
	rm -rf $(VENV) data .pytest_cache .ruff_cache tools/opensearch/.run
