# Every target does its own set-up: a fresh clone needs only `make demo` or `make test`.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
export HUBPULSE_HOME ?= $(CURDIR)/data
export DAGSTER_HOME ?= $(HUBPULSE_HOME)/dagster
PORT ?= 3000

.PHONY: install demo test dev lint clean

$(STAMP): pyproject.toml constraints.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade "pip>=24"
	$(PY) -m pip install --quiet -c constraints.txt -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

demo: install
	@mkdir -p $(DAGSTER_HOME)
	$(VENV)/bin/hubpulse demo --home $(HUBPULSE_HOME)

test: install
	$(PY) -m pytest -q

dev: install
	@mkdir -p $(DAGSTER_HOME)
	HUBPULSE_ARCHIVE=$${HUBPULSE_ARCHIVE:-$(HUBPULSE_HOME)/archive} \
	  $(VENV)/bin/dagster dev -w workspace.yaml -h 127.0.0.1 -p $(PORT)

lint: install
	$(VENV)/bin/ruff check orchestration tests bench

clean:
	rm -rf $(VENV) dbt_project/target dbt_project/logs
