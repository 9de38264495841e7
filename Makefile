# Cardfile — the two commands: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
HOST   ?= 127.0.0.1
PORT   ?= 5000

.PHONY: run test lint-imports bench clean-data docs

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

## Start Cardfile on the embedded default (SQLite in ./var, customer accounting, demo data).
run: $(STAMP)
	$(BIN)/cardfile run-local --host $(HOST) --port $(PORT)

## The whole suite: import-direction contracts, then every test (SQLite and PostgreSQL).
test: $(STAMP) lint-imports
	$(BIN)/python -m pytest -q

lint-imports: $(STAMP)
	$(BIN)/lint-imports --no-cache

## Benchmarks (not part of `make test`): print figures for the issue notes.
bench: $(STAMP)
	$(BIN)/python tests/benchmarks/records.py
	$(BIN)/python tests/benchmarks/formulas.py
	$(BIN)/python tests/benchmarks/reports.py
	$(BIN)/python tests/benchmarks/documents.py
	$(BIN)/python tests/benchmarks/packages.py
	$(BIN)/python tests/benchmarks/reminders.py
	$(BIN)/python tests/benchmarks/scopes.py
	$(BIN)/python tests/benchmarks/web_list.py
	$(BIN)/python tests/benchmarks/memory.py --sample customer-accounting
	$(BIN)/python tests/benchmarks/load.py

docs: $(STAMP)
	$(BIN)/python -m cardfile.formula.docs > docs/formulas.md

clean-data:
	rm -rf var
