# Two entry points: `make run` and `make test`; `make sandbox` tries the bot with no Telegram.
# All create .venv on first use.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run sandbox test chromium install bench lint-catalogues

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed

run: $(VENV)/.installed
	$(BIN)/minsheng run

# The bot against a fake Telegram in one process, a throwaway township, a web chat on 127.0.0.1.
sandbox: $(VENV)/.installed
	$(BIN)/minsheng sandbox

# The whole suite on the embedded default (SQLite, database FSM storage), then again
# on the scale-out path (PostgreSQL and Redis on this machine).
test: $(VENV)/.installed-test chromium
	$(BIN)/python -m pytest -q
	MINSHENG_TEST_BACKEND=postgres $(BIN)/python -m pytest -q

# The browser tests drive Debian's Chromium (Playwright cannot download its own here).
# As root it is installed when missing; if that fails, or without root, the suite still
# runs and the browser tests fail saying what is missing.
MINSHENG_CHROMIUM ?= /usr/bin/chromium
export MINSHENG_CHROMIUM
chromium:
	@if [ ! -x "$(MINSHENG_CHROMIUM)" ]; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
			(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
				|| echo "make: could not install chromium with apt-get" >&2; \
		else \
			echo "make: Chromium is missing at $(MINSHENG_CHROMIUM); install Debian's chromium package as root (apt-get install chromium)" >&2; \
		fi; \
	fi

bench: $(VENV)/.installed-test
	$(BIN)/python -m bench
