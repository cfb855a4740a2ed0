# Two entry points: `make run` and `make test`. Both create .venv on first use.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test install bench lint-catalogues

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

# The whole suite on the embedded default (SQLite, database FSM storage), then again
# on the scale-out path (PostgreSQL and Redis on this machine).
test: $(VENV)/.installed-test
	$(BIN)/python -m pytest -q
	MINSHENG_TEST_BACKEND=postgres $(BIN)/python -m pytest -q

bench: $(VENV)/.installed-test
	$(BIN)/python -m bench
