# The first two targets are all a new user needs: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin

.PHONY: run test lint browser screenshots bench-capture clean

run: $(VENV)/.run-installed
	$(BIN)/oms demo --if-empty
	$(BIN)/oms serve

test: $(VENV)/.dev-installed lint browser
	$(BIN)/pytest

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

lint: $(VENV)/.dev-installed
	$(BIN)/ruff check src tests bench

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
	rm -rf $(VENV) var .pytest_cache
