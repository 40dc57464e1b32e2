# Two commands on a fresh machine: `make demo` and `make test`.
# Both create .venv and install into it the first time (only Python, pip and make needed).

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
PG_TEST_URL ?= postgresql://postgres@127.0.0.1:5432/test
REDIS_TEST_URL ?= redis://127.0.0.1:6379/0

.PHONY: install demo test test-postgres lint format i18n bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

## Generate, load and serve a small synthetic bank on SQLite at http://127.0.0.1:8000
demo: $(STAMP)
	$(BIN)/smartbranch demo

## The whole suite on the embedded default (SQLite); CI also runs it on PostgreSQL.
test: $(STAMP)
	$(BIN)/python -m pytest

## The suite again on PostgreSQL, with the browser tests' server announcing events through
## Redis; the Spark-engine tests do not touch the database, so they run once, in `make test`.
test-postgres: $(STAMP)
	SMARTBRANCH_TEST_DATABASE_URL=$(PG_TEST_URL) SMARTBRANCH_TEST_REDIS_URL=$(REDIS_TEST_URL) \
	  $(BIN)/python -m pytest -m "not spark"

lint: $(STAMP)
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/mypy src

format: $(STAMP)
	$(BIN)/ruff format src tests benchmarks
	$(BIN)/ruff check --fix src tests benchmarks

## Extract user-facing strings and merge them into the catalogs (then translate the new ones).
i18n: $(STAMP)
	$(BIN)/pybabel extract -F src/smartbranch/web/babel.cfg -k N_ -o var/messages.pot --no-location --omit-header src
	$(BIN)/pybabel update -i var/messages.pot -d src/smartbranch/web/translations -l zh_CN --no-fuzzy-matching --omit-header

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache .hypothesis
