# The few verbs a newcomer needs. `make demo` and `make test` work on a fresh machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
AYNI := $(BIN)/ayni
STAMP := $(VENV)/.installed
DEVSTAMP := $(VENV)/.installed-dev
PORT ?= 8000
SCALE ?= small

.PHONY: demo serve install dev messages migrate test test-fast lint bench clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e .
	@touch $@

$(DEVSTAMP): $(STAMP)
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $@

install: $(STAMP) messages
dev: $(DEVSTAMP) messages

# Compile the translation catalogs (pure Python, no system gettext needed).
messages: $(STAMP)
	$(BIN)/pybabel compile --use-fuzzy -d src/ayni/locale -D django --statistics 2>&1 | grep -v "^$$" || true

migrate: install
	$(AYNI) migrate --no-input

# Migrate, load the geography, generate the demo federation, and serve it with a task worker.
demo: migrate
	AYNI_DEBUG=1 $(AYNI) demo --scale $(SCALE) --if-empty
	AYNI_DEBUG=1 $(AYNI) collectstatic --no-input -v 0
	@echo "Ayni en http://127.0.0.1:$(PORT)/  (Ctrl-C para detener)"
	@trap 'kill 0' INT TERM EXIT; \
	AYNI_DEBUG=1 $(AYNI) db_worker --interval 2 & \
	AYNI_DEBUG=1 $(BIN)/gunicorn ayni.wsgi --bind 127.0.0.1:$(PORT) --workers 2 --access-logfile - & \
	wait

serve: demo

# The whole suite. Installs Debian's Chromium for the browser tests when it can.
test: dev
	@bash scripts/ensure-chromium || true
	AYNI_TESTING=1 $(BIN)/python -m pytest $(PYTEST_ARGS)

test-fast: dev
	AYNI_TESTING=1 $(BIN)/python -m pytest -m "not browser" $(PYTEST_ARGS)

lint: dev
	$(BIN)/ruff check src tests bench
	AYNI_TESTING=1 $(AYNI) makemigrations --check --dry-run
	AYNI_TESTING=1 $(AYNI) check

# Translation catalogs: collect new strings into the .po files.
makemessages: dev
	cd src/ayni && AYNI_TESTING=1 ../../$(AYNI) makemessages -l en -l es --no-obsolete

bench: dev
	@for b in bench/*.py; do echo "== $$b"; AYNI_TESTING=1 $(BIN)/python $$b $(BENCH_ARGS) || exit 1; done

clean:
	rm -rf $(VENV) var build src/*.egg-info
