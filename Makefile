# Two commands: `make run` and `make test` (`make test-fast` for the inner loop). They set everything up themselves.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export FLASK_APP := wir

.PHONY: run test test-fast install bench

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

# HTML_CodeSniffer for the browser tests (package-lock.json; npm ci writes node_modules/.package-lock.json). Without
# npm nothing is written, so the next make with npm installs it; until then those tests skip (fail in CI).
NODE_STAMP := node_modules/.package-lock.json
$(NODE_STAMP): package-lock.json
	if command -v npm >/dev/null 2>&1; then npm ci --no-audit --no-fund --loglevel=error; fi

install: $(STAMP) $(NODE_STAMP)

run: $(STAMP)
	WIR_DEVELOPMENT=true $(BIN)/python -m wir.devserver

# Parallel test processes (pytest-xdist), one per CPU of the CI machine: a third was no faster there (README,
# Tests). Each test file runs in one process, with its module's fixtures (a browser module's live server, sign-ins).
TEST_WORKERS ?= 2
PYTEST_PARALLEL = -n $(TEST_WORKERS) --dist loadfile

test: $(STAMP) $(NODE_STAMP)
	$(BIN)/python -m pytest $(PYTEST_PARALLEL) $(PYTEST_ARGS)

# everything but the browser and load tests
test-fast: $(STAMP) $(NODE_STAMP)
	$(BIN)/python -m pytest $(PYTEST_PARALLEL) -m "not browser and not load" $(PYTEST_ARGS)

# the requests on the large data set (made once, then a fresh copy per run); WIR_DATABASE_URL=postgresql://… for PostgreSQL
bench: $(STAMP)
	$(BIN)/python -m benchmarks $(BENCH_ARGS)
