# evercert: the two commands a newcomer needs are `make demo` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
export PYTHONPATH := $(CURDIR)/operator:$(CURDIR)/devenv
DEV_DIR ?= $(HOME)/.cache/evercert/dev

.PHONY: demo test unit lint testbin venv dev-up dev-down bench clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e '.[test]'
	touch $@

venv: $(VENV)/.installed

testbin:
	@bash hack/testbin.sh

lint: venv
	$(VENV)/bin/ruff check operator devenv tests bench
	$(VENV)/bin/ruff format --check operator devenv tests bench

unit: venv
	$(PY) -m pytest tests/unit -q

test: venv testbin lint
	$(PY) -m pytest tests -q -ra --durations=15

demo: venv testbin
	$(PY) -m evercert_devenv demo

dev-up: venv testbin
	$(PY) -m evercert_devenv up --dir $(DEV_DIR)

dev-down:
	$(PY) -m evercert_devenv down --dir $(DEV_DIR)

# Figures on this machine (under 30 minutes); e.g. `make bench BENCH_ARGS=--quick` for a 5-minute try.
bench: venv testbin
	$(PY) bench/run.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
