# Two commands: `make run` and `make test` (`make test-fast` for the inner loop). They set everything up themselves.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export FLASK_APP := wir

.PHONY: run test test-fast install bench

# npm ci: HTML_CodeSniffer for the browser tests (package-lock.json); without npm those tests skip (fail in CI)
$(STAMP): pyproject.toml package-lock.json
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	if command -v npm >/dev/null 2>&1; then npm ci --no-audit --no-fund --loglevel=error; fi
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	WIR_DEVELOPMENT=true $(BIN)/python -m wir.devserver

# Parallel test processes (pytest-xdist), one per CPU of the CI machine: a third was no faster there (README,
# Tests). Each test file runs in one process, with its module's fixtures (a browser module's live server, sign-ins).
TEST_WORKERS ?= 2
PYTEST_PARALLEL = -n $(TEST_WORKERS) --dist loadfile

test: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_PARALLEL) $(PYTEST_ARGS)

# everything but the browser and load tests
test-fast: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_PARALLEL) -m "not browser and not load" $(PYTEST_ARGS)

# the requests on the large data set (made once, then a fresh copy per run); WIR_DATABASE_URL=postgresql://… for PostgreSQL
bench: $(STAMP)
	$(BIN)/python -m benchmarks $(BENCH_ARGS)
