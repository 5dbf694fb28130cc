# Two commands on a fresh machine: `make demo` and `make test`. Everything else is here for developers.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
UV_VERSION := 0.13.9
CHECKOV_VENV := .venv-checkov

.DEFAULT_GOAL := help
.PHONY: help setup setup-spark demo test test-another-day lint format bench lock clean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*##' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(VENV)/.installed: requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)
	$(BIN)/uv pip install --quiet --python $(BIN)/python -r requirements.txt
	$(BIN)/uv pip install --quiet --python $(BIN)/python --no-deps -e .
	touch $@

$(CHECKOV_VENV)/.installed: requirements-checkov.txt $(VENV)/.installed
	$(PYTHON) -m venv $(CHECKOV_VENV)
	$(BIN)/uv pip install --quiet --python $(CHECKOV_VENV)/bin/python -r requirements-checkov.txt
	touch $@

setup: $(VENV)/.installed $(CHECKOV_VENV)/.installed  ## create the virtualenvs from the pinned requirements

$(VENV)/.spark-installed: requirements-spark.txt $(VENV)/.installed
	$(BIN)/uv pip install --quiet --python $(BIN)/python -r requirements-spark.txt
	touch $@

# The Spark engine (`run --engine spark`) is optional: PySpark and a Java 17 runtime. Without them its tests
# are skipped; `.ci/run` installs both.
setup-spark: $(VENV)/.spark-installed  ## add PySpark to .venv for the Spark engine (needs Java 17)

# Flags of `python -m pipelines.sandbox demo` pass through ARGS, e.g. `make demo ARGS="--serve --now 2026-03-02T15:00:00Z"`.
demo: $(VENV)/.installed  ## run the whole pipeline locally (no AWS account needed); ARGS=--serve keeps it up
	$(BIN)/python -m pipelines.sandbox demo $(ARGS)

test: setup  ## run the test suite (every AWS call goes to moto)
	CHECKOV=$(CHECKOV_VENV)/bin/checkov $(BIN)/python -m pytest -n 2 --dist loadgroup

# The demo's findings must not depend on the day (the model reads the day of week): the demo's tests once more
# at another pinned time than the suite's default, a Sunday night at a month end.
ANOTHER_DAY ?= 2027-01-31T23:40:00Z
test-another-day: setup  ## the sandbox demo's tests again, the demo's clock at $(ANOTHER_DAY)
	FAKE_NOW=$(ANOTHER_DAY) $(BIN)/python -m pytest -n 2 --dist loadgroup tests/sandbox/test_sandbox_demo.py

lint: setup  ## ruff, mypy, the import layering (.importlinter), cfn-lint and checkov
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache
	$(BIN)/cfn-lint model-monitor-template.yml pipelines/processing/processing-backend.yml lambda/template.yml
	CKV_SKIP_PACKAGE_UPDATE_CHECK=true BC_SKIP_MAPPING=TRUE $(CHECKOV_VENV)/bin/checkov --quiet --compact \
	  --skip-download --framework cloudformation -f model-monitor-template.yml -f pipelines/processing/processing-backend.yml \
	  -f lambda/template.yml

format: $(VENV)/.installed  ## apply ruff's formatting and safe fixes
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: $(VENV)/.installed  ## run the benchmarks (figures go into docs/benchmarks.md by hand)
	$(BIN)/uv pip install --quiet --python $(BIN)/python -r requirements-bench.txt
	$(BIN)/python -m benchmarks.lambda_throughput
	$(BIN)/python -m benchmarks.lambda_large_files
	$(BIN)/python -m benchmarks.monitor_throughput
	$(BIN)/python -m benchmarks.model_monitors
	$(BIN)/python -m benchmarks.model_quality_slack
	$(BIN)/python -m benchmarks.processing_job
	$(MAKE) setup-spark
	$(BIN)/python -m benchmarks.engines

lock: $(VENV)/.installed  ## re-pin requirements*.txt from requirements*.in
	$(BIN)/uv pip compile --quiet --python-version 3.11 requirements.in -o requirements.txt
	$(BIN)/uv pip compile --quiet --python-version 3.11 requirements-checkov.in -o requirements-checkov.txt
	$(BIN)/uv pip compile --quiet --python-version 3.11 requirements.txt requirements-bench.in -o requirements-bench.txt
	$(BIN)/uv pip compile --quiet --python-version 3.11 requirements-spark.in -o requirements-spark.txt
	# the Processing job's pins: the prebuilt image's Python and platform (pipelines/container/image.py), the
	# versions of requirements.txt (what the tests ran)
	$(BIN)/uv pip compile --quiet --python-version 3.12 --python-platform x86_64-manylinux_2_28 --only-binary :all: \
	  -c requirements.txt requirements-job.in -o requirements-job.txt

clean:  ## remove the virtualenvs and build outputs
	rm -rf $(VENV) $(CHECKOV_VENV) build .pytest_cache .mypy_cache .ruff_cache .import_linter_cache .grimp_cache
