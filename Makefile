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

.PHONY: help venv install install-dev system-deps demo test test-sqlite conformance lint format bench engine-start engine-stop clean

# Debian packages the tests need: tshark (packet captures; the setuid
# question preseeded to "no"), docker-compose (validates docker-compose.yml;
# no engine needed) and chromium (the dashboard's end-to-end tests drive it
# with Playwright). Installed only when missing.
DEB_TOOLS := tshark:tshark docker-compose:docker-compose chromium:chromium

help:
	@echo "make demo    install and run the demo on the embedded store"
	@echo "make test    install what the tests need, start a test OpenSearch, run every test"
	@echo "make bench   run the benchmarks (one JSON line each)"
	@echo "make conformance  SigmaHQ's regression cases on SQLite and OpenSearch (needs ../shared)"
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

system-deps:
	@need=""; for pair in $(DEB_TOOLS); do \
	  command -v "$${pair%%:*}" >/dev/null 2>&1 || need="$$need $${pair##*:}"; done; \
	if [ -n "$$need" ]; then \
	  if [ "$$(id -u)" != 0 ]; then echo "missing Debian packages:$$need (run as root or install them)"; exit 1; fi; \
	  echo "installing$$need"; \
	  echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections; \
	  apt-get update -q >/dev/null && apt-get install -y -q --no-install-recommends $$need >/dev/null || exit 1; \
	fi

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
test: install-dev system-deps
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

# SigmaHQ's regression cases (../shared/data) through hunt on SQLite and on a
# test OpenSearch node, both ways of evaluating there; prints each pass rate.
conformance: install-dev
	$(OPENSEARCH) fetch
	@set -o pipefail; \
	$(OPENSEARCH) start || exit 1; \
	export CANHGAC_TEST_OPENSEARCH_URL=$$($(OPENSEARCH) url) CANHGAC_TEST_CONFORMANCE=1; \
	$(PY) -m pytest -s -q tests/detection/test_sigma_conformance.py; rc=$$?; \
	$(OPENSEARCH) stop || true; \
	exit $$rc

# Every benchmark prints one JSON line; BENCH_ARGS go to store_ingest.
BENCHES := parsers pcap syslog_load detect hunt incidents crawl nlp api
bench: install-dev system-deps
	$(OPENSEARCH) fetch
	@$(OPENSEARCH) start || exit 1; \
	export CANHGAC_TEST_OPENSEARCH_URL=$$($(OPENSEARCH) url); rc=0; \
	$(PY) bench/store_ingest.py $(BENCH_ARGS) || rc=1; \
	for b in $(BENCHES); do $(PY) bench/$$b.py || rc=1; done; \
	$(OPENSEARCH) stop || true; \
	exit $$rc

clean:
	rm -rf $(VENV) data .pytest_cache .ruff_cache tools/opensearch/.run
