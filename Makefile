# Two commands on a fresh machine with Python 3.11: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo serve test lint bench bench-quick clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)  ## build the demo ledger on SQLite and serve it
	$(BIN)/portfolio-ledger demo --serve

test: $(STAMP)  ## the whole suite, on SQLite and PostgreSQL
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check domain projections api tests
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python -m bench

bench-quick: $(STAMP)
	$(BIN)/python -m bench --quick

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache
