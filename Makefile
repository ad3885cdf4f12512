# libcard — everything a developer or operator runs starts here.
#   make run    set up (.venv, dependencies, migrations, demo data) and start the web app,
#               the background worker and the SIP2 server on SQLite
#   make test   set up and run the whole suite on SQLite, then on PostgreSQL when it answers
#   make bench  the benchmarks, with ratios against their baselines

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
SIP2_PORT ?= 6001
PG_URL ?= postgresql://postgres@127.0.0.1:5432/test

.PHONY: setup run test test-sqlite test-postgres lint format bench system-packages messages clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP)

.env:
	$(BIN)/python -m libcard.core.devenv > .env

# Debian packages the tests use: Chromium for the browser tests, LibreOffice to open our
# spreadsheets as a school would, poppler to read PDFs back, Noto CJK for the PDF fonts.
SYSTEM_PACKAGES := chromium libreoffice-calc-nogui libreoffice-writer-nogui poppler-utils fonts-noto-cjk
system-packages:
	@missing=$$(for p in $(SYSTEM_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages: $$missing"; \
	  SUDO=$$(command -v sudo >/dev/null && [ "$$(id -u)" != 0 ] && echo sudo); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	fi

run: setup .env
	$(BIN)/libcard migrate --noinput
	$(BIN)/libcard demo
	$(BIN)/libcard collectstatic --noinput >/dev/null
	$(BIN)/libcard serve --host $(HOST) --port $(PORT) --sip2-port $(SIP2_PORT)

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: setup
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

test-sqlite: setup system-packages
	env -u DATABASE_URL $(BIN)/pytest -n 2 --dist loadgroup -q

# PostgreSQL when 127.0.0.1:5432 answers (this machine and CI have one).
test-postgres: setup system-packages
	@if $(BIN)/python -c "import socket; socket.create_connection(('127.0.0.1', 5432), 2)" 2>/dev/null; then \
	  echo "== PostgreSQL =="; DATABASE_URL=$(PG_URL) $(BIN)/pytest -n 2 --dist loadgroup -q; \
	else echo "PostgreSQL does not answer on 127.0.0.1:5432: skipped"; fi

test: lint test-sqlite test-postgres

bench: setup
	$(BIN)/python -m bench

messages: setup
	cd src/libcard && ../../$(BIN)/libcard makemessages -l zh_Hant --no-obsolete && ../../$(BIN)/libcard compilemessages

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache .hypothesis
