# okot-flow: two commands on a fresh machine need nothing but python3 and make.
#   make demo   set everything up and run the system with its Web UI and a demo caseload
#   make test   lint, type-check and run every test

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test lint types pytest install worker bench bench-quick chaos chaos-quick clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

lint: install
	$(BIN)/ruff check --no-cache .
	$(BIN)/lint-imports --no-cache

types: install
	$(BIN)/mypy

pytest: install
	$(BIN)/pytest -q

test: lint types pytest

demo: install
	$(BIN)/okot dev

worker: install
	$(BIN)/python worker.py

bench: install
	$(BIN)/python bench/report.py
	$(BIN)/python bench/workflow.py

bench-quick: install
	$(BIN)/python bench/workflow.py --quick

# The fault suite (bench/chaos): worker SIGKILLs, a dev server restart, SMTP and the
# database down, hostile input; prints a table, exits non-zero on a loss, a duplicate
# or a stuck workflow. Needs PostgreSQL (OKOT_CHAOS_POSTGRES_URL or
# OKOT_TEST_POSTGRES_URL; default postgresql+psycopg://postgres@127.0.0.1:5432/test).
chaos: install
	$(BIN)/python -m bench.chaos

chaos-quick: install
	$(BIN)/python -m bench.chaos --quick

clean:
	rm -rf $(VENV) var/*.db var/*.sqlite* var/*.log var/mail .mypy_cache .pytest_cache .ruff_cache
