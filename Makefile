# The first two targets are all a new user needs: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
BENCH_DB ?= $(or $(OMS_BENCH_POSTGRES_URL),postgresql://postgres@127.0.0.1:5432/oms_bench)

.PHONY: run test test-instants lint browser screenshots bench bench-large bench-capture fuzz clean

# The demo retailer at work (a slow simulated flow of customers, stores and carriers): `make run LIVE=--no-live`
# serves it still.
LIVE ?= --live

run: $(VENV)/.run-installed
	$(BIN)/oms demo --if-empty
	$(BIN)/oms serve $(LIVE)

test: $(VENV)/.dev-installed lint browser
	$(BIN)/pytest

# The tests whose verdict hangs on the time, lived again at the instants that try a retailer (Europe/Paris): a
# Monday 05:00, a Wednesday 10:05, a Friday after the carrier cut-off, a Saturday night, Christmas Eve, New
# Year's Eve, the spring night the clocks go forward and the autumn night they go back (02:30 twice).
INSTANTS := 2026-12-07T05:00:00+01:00 2026-12-09T10:05:00+01:00 2026-12-11T16:45:00+01:00 \
            2026-12-12T22:30:00+01:00 2026-12-24T18:30:00+01:00 2026-12-31T23:50:00+01:00 \
            2027-03-28T01:59:00+01:00 2027-10-31T02:30:00+02:00 2027-10-31T02:30:00+01:00

# Each instant on one database in turn, PostgreSQL then SQLite (PostgreSQL: Monday, Friday, Christmas Eve and
# both clock changes; SQLite: Wednesday, Saturday night, New Year's Eve and the autumn night), which keeps the
# whole CI run well within its time; the whole suite runs on both databases at the real time.
test-instants: $(VENV)/.dev-installed
	@n=0; for at in $(INSTANTS); do n=$$((n + 1)); \
	  if [ $$((n % 2)) = 1 ]; then only="not sqlite"; else only="not postgres"; fi; \
	  echo "service clock from $$at ($$only)"; OMS_TEST_AT=$$at $(BIN)/pytest -m clock -k "$$only" || exit 1; done

# The console's browser tests drive Debian's Chromium; installed here when it is missing and this user may
# (root with apt-get). Otherwise those tests are left out, unless OMS_REQUIRE_BROWSER=1 (CI) fails them.
browser:
	@command -v chromium >/dev/null || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && \
	  { DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null || \
	    { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null; }; }; } || \
	  echo "no chromium: the console's browser tests will be left out"

# The console's pages as README shows them, taken by the browser tests.
screenshots: $(VENV)/.dev-installed browser
	OMS_SCREENSHOTS=docs/screenshots OMS_REQUIRE_BROWSER=1 $(BIN)/pytest tests/e2e/test_console_browser.py -k sqlite

# The linter, then the type checker over src/oms (its settings: [tool.mypy] in pyproject.toml).
lint: $(VENV)/.dev-installed
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy

# Schemathesis over the whole OpenAPI document against a real server (docs/reliability.md).
fuzz: $(VENV)/.dev-installed
	$(BIN)/pip install -q schemathesis
	bench/fuzz.sh

# Every hot path on the demo retailer (and on the 300-store one), one table each: needs PostgreSQL
# (OMS_BENCH_POSTGRES_URL, default postgresql://postgres@127.0.0.1:5432/oms_bench, recreated each run).
bench: $(VENV)/.dev-installed
	$(BIN)/python bench/all.py --network demo --postgres-url $(BENCH_DB)

bench-large: $(VENV)/.dev-installed
	$(BIN)/python bench/all.py --network large --postgres-url $(BENCH_DB)

bench-capture: $(VENV)/.dev-installed
	$(BIN)/python bench/capture.py

$(BIN)/python:
	$(PYTHON) -c 'import sys; sys.exit("Python 3.11 or newer is needed") if sys.version_info < (3, 11) else None'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.run-installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	touch $@

$(VENV)/.dev-installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[dev]'
	touch $@ $(VENV)/.run-installed

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache
