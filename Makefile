# Two commands: `make run` and `make test`. Both set everything up themselves.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export FLASK_APP := wir

.PHONY: run test install bench

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	WIR_DEVELOPMENT=true $(BIN)/python -m wir.devserver

test: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# the requests on the large data set (made once, then a fresh copy per run); WIR_DATABASE_URL=postgresql://… for PostgreSQL
bench: $(STAMP)
	$(BIN)/python -m benchmarks $(BENCH_ARGS)
