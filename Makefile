# evercert: the two commands a newcomer needs are `make demo` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
export PYTHONPATH := $(CURDIR)/operator:$(CURDIR)/devenv
DEV_DIR ?= $(HOME)/.cache/evercert/dev

.PHONY: demo test unit lint lock testbin image venv dev-up dev-down bench simulate clean

# Exactly the locked versions, each checked against its hash; then evercert itself, editable.
$(VENV)/.installed: pyproject.toml requirements-test.lock requirements-build.lock
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check --require-hashes --no-deps \
		-r requirements-test.lock -r requirements-build.lock
	$(VENV)/bin/pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $@

venv: $(VENV)/.installed

# Pins every Python dependency with hashes (requirements*.lock) after a change of pyproject.toml.
lock:
	@bash hack/lock.sh

# Every server the tests and the bench run (hack/testbin.sh all); `make demo` builds only its own.
testbin:
	@bash hack/testbin.sh all

# The OCI image with buildah from Debian packages and PyPI (no Docker daemon, no registry); rebuilt
# only when its inputs change. The Dockerfile builds the same image with Docker.
image:
	@bash hack/image.sh

lint: venv
	$(VENV)/bin/ruff check operator devenv tests bench
	$(VENV)/bin/ruff format --check operator devenv tests bench

unit: venv
	$(PY) -m pytest tests/unit -q

test: venv testbin image lint
	$(PY) -m pytest tests -q -ra --durations=15

# Only what the demo starts: etcd, Kubernetes, Pebble (no Traefik: the solver host routes HTTP-01).
demo: venv
	@bash hack/testbin.sh demo
	EVERCERT_TESTBIN_TARGETS=demo $(PY) -m evercert_devenv demo

dev-up: venv testbin
	$(PY) -m evercert_devenv up --dir $(DEV_DIR)

dev-down:
	$(PY) -m evercert_devenv down --dir $(DEV_DIR)

# Figures on this machine (under 30 minutes); e.g. `make bench BENCH_ARGS=--quick` for a 5-minute try.
bench: venv testbin
	$(PY) bench/run.py $(BENCH_ARGS)

# The fleet simulation: 10,000 Certificates for 180 simulated days against a model of Let's Encrypt's
# limits (about ten seconds); e.g. `make simulate SIM_ARGS="--certificates 1000 --days 30"`.
simulate: venv
	$(PY) -m bench.fleet $(SIM_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
