# Every target does its own set-up: a fresh clone needs only `make demo` or `make test`. pip runs with -qq
# (errors only: the registry and build-backend warnings would fill a screen of `make demo`).
SHELL := /bin/bash
PYTHON ?= python3.11
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
export HUBPULSE_HOME ?= $(CURDIR)/data
export DAGSTER_HOME ?= $(HUBPULSE_HOME)/dagster
PORT ?= 3000
DASHBOARD_PORT ?= 8501

MANIFEST := dbt_project/target/manifest.json
DBT_SOURCES := $(shell find dbt_project -name '*.sql' -o -name '*.yml' -o -name '*.csv' | grep -v '/target/')

.PHONY: install prepare demo demo-full test test-spark dev lint clean dashboard browser bench docs

$(STAMP): pyproject.toml constraints.txt
	@echo "installing hubpulse and its pinned dependencies into $(VENV) (constraints.txt) ..."
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install --quiet --quiet --disable-pip-version-check --upgrade "pip>=24"
	@$(PY) -m pip install --quiet --quiet --disable-pip-version-check -c constraints.txt -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

# The dbt manifest the code location loads (never parsed on load), plus HUBPULSE_HOME and the Dagster instance.
$(MANIFEST): $(STAMP) $(DBT_SOURCES)
	@$(VENV)/bin/hubpulse prepare --home $(HUBPULSE_HOME)

prepare: $(MANIFEST)

demo: prepare
	@$(VENV)/bin/hubpulse demo --home $(HUBPULSE_HOME)

# The sixteen months the simulator is calibrated on (7-9 min), in a home of its own: the two simulated histories
# differ day by day and must not be mixed. `make dev HUBPULSE_HOME=$(CURDIR)/data-full` opens its runs.
demo-full: prepare
	@$(VENV)/bin/hubpulse demo --full --home $(CURDIR)/data-full

test: prepare browser
	$(PY) -m pytest -q -n 2 --dist loadfile --no-loadscope-reorder -m "not spark"

# The same marts on Spark (tests/test_spark_engine.py, about 6.5 min on a quiet 2-core machine: 378 s of tests):
# the `spark` extra and a Java 17 runtime (.ci/ensure-java installs Debian's when missing), run after `make test`
# by .ci/run, so that `make test` keeps its time.
# In a venv of its own: with pyspark installed, Great Expectations' import reaches pyspark.sql.connect, whose
# dependency check calls sys.exit(0) in a process whose __main__ has no file (Dagster's step processes), so the
# raw checks of `make test`'s Dagster runs would die (measured: test_webserver's three run tests).
# The Spark venv is layered on the project's: a .pth file adds $(VENV)'s site-packages (and its .pth files) after
# its own, so pip installs only what the `spark` extra adds (pyspark, dbt-spark and theirs: seconds, not the
# minute and more of a second full install) and pyspark stays out of $(VENV). The project is installed without
# build isolation (the isolated build would import $(VENV)'s older setuptools through the .pth file), and dbt-core
# again without its dependencies, so that `dbt` in $(SPARK_VENV)/bin runs this venv's Python, the one with pyspark.
SPARK_VENV ?= .venv-spark
PURELIB := -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])'
SPARK_PIP := $(SPARK_VENV)/bin/python -m pip install --quiet --quiet --disable-pip-version-check
test-spark: prepare
	@.ci/ensure-java
	@test -x $(SPARK_VENV)/bin/python || $(PYTHON) -m venv $(SPARK_VENV)
	@echo "import site; site.addsitedir('$$($(PY) $(PURELIB))')" > "$$($(SPARK_VENV)/bin/python $(PURELIB))/hubpulse-base-venv.pth"
	@$(SPARK_PIP) "setuptools>=77" wheel
	@$(SPARK_PIP) --no-build-isolation -c constraints.txt -e '.[dev,spark]'
	@$(SPARK_PIP) --no-deps --ignore-installed -c constraints.txt dbt-core
	$(SPARK_VENV)/bin/python -m pytest -q -m spark tests/test_spark_engine.py

dev: prepare
	@$(VENV)/bin/hubpulse prepare --home $(HUBPULSE_HOME) --no-manifest
	HUBPULSE_ARCHIVE=$${HUBPULSE_ARCHIVE:-$(HUBPULSE_HOME)/archive} \
	  $(VENV)/bin/dagster dev -w workspace.yaml -h 127.0.0.1 -p $(PORT)

# The dbt docs (models, columns, tests, lineage: one static page) and the Great Expectations Data Docs, offline,
# under $(HUBPULSE_HOME)/dbt_docs and $(HUBPULSE_HOME)/quality/data_docs; the Dagster assets link to them.
docs: prepare
	@$(VENV)/bin/hubpulse docs --home $(HUBPULSE_HOME)

# Chromium and chromedriver for the dashboard's browser test (Debian packages, installed when missing).
browser:
	@.ci/ensure-chromium

# The Streamlit dashboard over the published marts (reads only $(HUBPULSE_HOME)/serving) on 127.0.0.1.
dashboard: install
	$(VENV)/bin/hubpulse dashboard --home $(HUBPULSE_HOME) --port $(DASHBOARD_PORT)

# Python (ruff) and the dbt SQL (sqlfluff, dialect duckdb: .sqlfluff; about 20 s of CPU, single process).
lint: install
	$(VENV)/bin/ruff check orchestration tests bench
	$(VENV)/bin/sqlfluff lint dbt_project/models dbt_project/macros

# Every benchmark of BENCHMARKS.md at its default size (the better part of an hour on 2 cores; not part of
# `make test`, which runs a tiny smoke version of each). BENCH_ARGS="--quick" for small sizes, "--only demo,load".
bench: prepare
	$(PY) bench/run_all.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) $(SPARK_VENV) dbt_project/target dbt_project/logs
