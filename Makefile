# The first two targets are all a new user needs: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin

.PHONY: run test lint bench-capture clean

run: $(VENV)/.run-installed
	$(BIN)/oms demo --if-empty
	$(BIN)/oms serve

test: $(VENV)/.dev-installed lint
	$(BIN)/pytest

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
