# mwaa-stack: build, check and test the MWAA CloudFormation template.
# Every tool runs from a project venv created from pinned requirements on first use.

SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DELETE_ON_ERROR:
MAKEFLAGS += --warn-undefined-variables --no-builtin-rules
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP_INSTALL = pip install --quiet --disable-pip-version-check

.PHONY: help template check lint test test-template bench clean

help: ## List the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z0-9_-]+:.*## / {printf "  \033[1m%-16s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

# The venv is a real file target: rebuilt only when the pins change.
$(VENV)/.installed: requirements.txt constraints.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@echo "installing build and test tools into $(VENV) ..."
	@$(PY) -m $(PIP_INSTALL) -r requirements.txt -c constraints.txt
	@touch $@

template: $(VENV)/.installed ## Build out/ from templates/ (creates .venv on first use)
	@$(PY) build.py

check: $(VENV)/.installed ## Fail when out/ is stale
	@$(PY) build.py --check

lint: $(VENV)/.installed ## cfn-lint every template in out/, informational rules included
	@$(VENV)/bin/cfn-lint --include-checks I --regions us-east-1 eu-west-1 ap-northeast-1 -- out/*.yaml
	@echo "cfn-lint: no findings in $$(ls out/*.yaml | tr '\n' ' ')"

test-template: $(VENV)/.installed
	@$(VENV)/bin/pytest -q tests/template

test: check lint test-template ## Everything CI runs

bench: $(VENV)/.installed ## Median wall time and peak memory of building every template
	@$(PY) tests/bench.py

clean: ## Remove caches (keeps the venvs and out/)
	@rm -rf .pytest_cache tests/__pycache__ tests/*/__pycache__ templates/__pycache__
