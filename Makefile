# The few verbs a newcomer needs. `make demo` and `make test` work on a fresh machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
AYNI := $(BIN)/ayni
STAMP := $(VENV)/.installed
DEVSTAMP := $(VENV)/.installed-dev
BENCHSTAMP := $(VENV)/.installed-bench
PORT ?= 8000
SCALE ?= small
# The local install runs like production (debug off, our own error pages) except for HTTPS:
# a secret key is made once in var/, and cookies work over plain http on 127.0.0.1.
SECRET_FILE := var/secret-key
LOCAL := AYNI_SECRET_KEY="$$(cat $(SECRET_FILE))" AYNI_SECURE=0

.PHONY: demo serve install dev messages migrate test test-fast lint bench clean screens

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e .
	@touch $@

$(DEVSTAMP): $(STAMP)
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $@

# The benchmarks' side-by-side references (splink, DuckDB): without them every comparison is skipped.
$(BENCHSTAMP): $(DEVSTAMP)
	$(BIN)/pip install --quiet -e '.[dev,bench]'
	@touch $@

install: $(STAMP) messages
dev: $(DEVSTAMP) messages

# Compile the translation catalogs (pure Python, no system gettext needed).
messages: $(STAMP)
	$(BIN)/pybabel compile -d src/ayni/locale -D django --statistics 2>&1 | grep -v "^$$" || true

$(SECRET_FILE):
	@mkdir -p var
	@$(PYTHON) -c "import secrets; print(secrets.token_urlsafe(50))" > $@
	@chmod 600 $@

migrate: install $(SECRET_FILE)
	$(LOCAL) $(AYNI) migrate --no-input

# Migrate, load the geography, generate the demo federation, and serve it with a task worker.
demo: migrate
	@# Protection's master key: made once in var/protection/ when none is configured (docs/protection.md).
	$(LOCAL) $(AYNI) protection-key --init
	$(LOCAL) $(AYNI) demo --scale $(SCALE) --if-empty
	$(LOCAL) $(AYNI) collectstatic --no-input -v 0
	@echo "Ayni en http://127.0.0.1:$(PORT)/  (Ctrl-C para detener)"
	@trap 'kill 0' INT TERM EXIT; \
	$(LOCAL) $(AYNI) db_worker --interval 2 & \
	$(LOCAL) $(BIN)/gunicorn ayni.wsgi --bind 127.0.0.1:$(PORT) --workers 2 --access-logfile - & \
	wait

serve: demo

# The whole suite. Installs Debian's Chromium for the browser tests when it can.
test: dev
	@bash scripts/ensure-chromium || true
	@bash scripts/ensure-axe || true
	@bash scripts/ensure-jose || true
	@bash scripts/ensure-webforms || true
	@bash scripts/ensure-pango || true
	AYNI_TESTING=1 $(BIN)/python -m pytest $(PYTEST_ARGS)

test-fast: dev
	@bash scripts/ensure-pango || true
	@bash scripts/ensure-jose || true
	AYNI_TESTING=1 $(BIN)/python -m pytest -m "not browser" $(PYTEST_ARGS)

# The README's pictures (docs/screens/), retaken in Chromium by the browser tests that walk those
# pages, so they show the product as it is.
screens: dev
	@bash scripts/ensure-chromium || true
	AYNI_TESTING=1 AYNI_SCREENSHOTS=1 $(BIN)/python -m pytest -m browser tests/test_browser_screens.py \
	  tests/test_browser_evidence.py

lint: dev
	$(BIN)/ruff check src tests $(wildcard bench)
	AYNI_TESTING=1 $(AYNI) makemigrations --check --dry-run
	AYNI_TESTING=1 $(AYNI) check

# Translation catalogs: collect new strings into the .po files.
makemessages: dev
	cd src/ayni && AYNI_TESTING=1 ../../$(AYNI) makemessages -l en -l es -l qu --no-obsolete

# Every benchmark (load, crash consistency, the long fuzz, and the rest), one at a time under a
# shared lock so two never measure each other; a failing one does not hide the others' figures.
# At the end, each benchmark's RESULT line, and a non-zero exit if any failed.
BENCH_LOCK ?= /tmp/ayni-bench.lock
define run_benches
	@mkdir -p var; : > var/bench-results.txt; failed=""; \
	for b in bench/*.py; do \
	  echo "== $$b $(1)"; \
	  { flock $(BENCH_LOCK) env AYNI_TESTING=1 $(BIN)/python $$b $(1) $(BENCH_ARGS); echo $$? > var/bench-rc; } \
	    | tee var/bench-last.txt; \
	  [ "$$(cat var/bench-rc)" = 0 ] || failed="$$failed $$b"; \
	  echo "$$b: $$(grep '^RESULT ' var/bench-last.txt | tail -1)" >> var/bench-results.txt; \
	done; \
	echo "== figures"; cat var/bench-results.txt; \
	echo "== CPU per unit of work (server CPU per report, per request by view, per dashboard page)"; \
	$(BIN)/python bench/support/cpu.py var/bench-results.txt; \
	if [ -n "$$failed" ]; then echo "== failed:$$failed"; exit 1; fi
endef

bench: dev $(BENCHSTAMP)
	$(call run_benches,)

# Every benchmark, short and small: a smoke run that they still work (PostgreSQL must be up),
# ending with each one's CPU per unit of work, so that a regression shows in any run.
.PHONY: bench-quick
bench-quick: dev $(BENCHSTAMP)
	$(call run_benches,--quick)

clean:
	rm -rf $(VENV) var build src/*.egg-info
