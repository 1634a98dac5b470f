# mwaa-stack: build, check and test the MWAA CloudFormation template and its workflow.
# Every tool runs from a project venv created from pinned requirements on first use:
#   .venv          build, lint, AWS CLI and emulator (requirements.txt)
#   .venv-airflow  Airflow as the template deploys it by default (requirements-airflow.txt)
#   .venv-airflow2 the newest Airflow 2 MWAA supports (requirements-airflow2.txt)
#   .venv-security checkov and parliament (requirements-security.txt)

SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DELETE_ON_ERROR:
MAKEFLAGS += --warn-undefined-variables --no-builtin-rules
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
AIRFLOW_VENV := .venv-airflow
AIRFLOW2_VENV := .venv-airflow2
SECURITY_VENV := .venv-security

# What a user passes (README, "Deploying and operating"; defaults live in ops/__main__.py).
# Each value given reaches the programs as the environment variable MWAA_STACK_<NAME>, taken
# with $(value ...): it never passes through a shell or through make's own expansion, so
# quotes, `;`, `$`, backticks and newlines arrive exactly as typed.  One not given is not set.
USER_VARIABLES := ENV STACK_NAME REGION PROFILE TEMPLATE PARAMS BASE DAGS PLUGINS STARTUP DELETE YES \
	CMD DAG CONF FAIL CONNECT_TIMEOUT READ_TIMEOUT TIMEOUT AIRFLOW_VERSION SKIP_PREFLIGHT NOWAIT POLL \
	TYPE SINCE FOLLOW RUN TASK WAIT OLD NEW FORMAT ALLOW VERSIONS VERBOSE TOGETHER ROLE_ARN TO FROM NOVERIFY VERIFY_TIMEOUT
$(foreach v,$(USER_VARIABLES),$(if $(filter undefined,$(origin $(v))),,$(eval export MWAA_STACK_$(v) = $$(value $(v)))))
# make also exports every command-line variable to recipes, *after expanding it* (so
# `FOO='$(shell ...)'` would run): none is exported that way.
unexport $(foreach v,$(.VARIABLES),$(if $(filter command line,$(origin $(v))),$(v)))
# Nor through MAKEFLAGS, where make copies them for sub-makes: one environment string may
# hold at most 128 KiB, so two long values would stop every recipe with "Argument list too long".
MAKEOVERRIDES :=
OPS := $(PY) -m ops

.PHONY: venvs bench-tests environments mwaa-images review airflow-options help template check lint test test-template test-workflow test-ops test-airflow2 dag-test bench clean \
	deploy diff preflight upgrade-check sync verify history rollback outputs status logs drift ui airflow trigger destroy fmt

help: ## List the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z0-9_-]+:.*## / {printf "  %-16s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

# A venv is a real file target: rebuilt only when its pins change.  uv (pinned in
# requirements.txt, bootstrapped into .venv with pip) creates and fills each from exactly the
# pinned versions in seconds, from its cache; the venvs after .venv are independent, so
# `make -j` installs them side by side.
UV := $(VENV)/bin/uv
# $(call venv,DIR,REQUIREMENTS,CONSTRAINTS)
define venv
	@test -x $(1)/bin/python || $(UV) venv --quiet --python $(PYTHON) $(1)
	@echo "installing $(2) into $(1) ..."
	@$(UV) pip install --quiet --compile-bytecode --python $(1)/bin/python -r $(2) -c $(3)
	@touch $(1)/.installed
endef

$(VENV)/.installed: requirements.txt requirements.lock
	@test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	@$(VENV)/bin/python -m pip install --quiet --disable-pip-version-check "$$(grep -m1 '^uv==' requirements.lock)"
	$(call venv,$(VENV),requirements.txt,requirements.lock)

$(AIRFLOW_VENV)/.installed: requirements-airflow.txt requirements-airflow.lock $(VENV)/.installed
	$(call venv,$(AIRFLOW_VENV),requirements-airflow.txt,requirements-airflow.lock)

$(AIRFLOW2_VENV)/.installed: requirements-airflow2.txt requirements-airflow2.lock $(VENV)/.installed
	$(call venv,$(AIRFLOW2_VENV),requirements-airflow2.txt,requirements-airflow2.lock)

$(SECURITY_VENV)/.installed: requirements-security.txt requirements-security.lock $(VENV)/.installed
	$(call venv,$(SECURITY_VENV),requirements-security.txt,requirements-security.lock)

# The project's own modules compiled once, as Python does itself unless PYTHONDONTWRITEBYTECODE
# is set (as on many CI machines): otherwise every build and every `make <action>` compiles
# them again (a tenth of a build).  Python checks each file's stamp, so an edited module is
# never run stale; a no-op when they are current.
BYTECODE := $(PY) -m compileall -q templates ops

template: $(VENV)/.installed ## Build out/ from templates/ (creates .venv on first use)
	@$(BYTECODE)
	@$(PY) build.py

check: $(VENV)/.installed ## Fail when out/ is stale
	@$(BYTECODE)
	@$(PY) build.py --check

lint: $(VENV)/.installed $(SECURITY_VENV)/.installed ## ruff, the workflows, then cfn-lint (informational rules included), checkov and parliament on every template in out/
	@$(VENV)/bin/ruff check --quiet . && $(VENV)/bin/ruff format --check --quiet .
	@echo "ruff: no findings; formatted"
	@$(PY) scripts/lint_workflows.py .github/workflows
	@$(VENV)/bin/cfn-lint --include-checks I --regions us-east-1 eu-west-1 ap-northeast-1 -- out/*.yaml
	@echo "cfn-lint: no findings in $$(ls out/*.yaml | tr '\n' ' ')"
	@$(SECURITY_VENV)/bin/python -m scripts.security_gates out/*.yaml

fmt: $(VENV)/.installed ## Format and fix the Python code with ruff
	@$(VENV)/bin/ruff format . && $(VENV)/bin/ruff check --fix .

# Every suite spreads its tests over the cores with pytest-xdist (each worker its own emulator
# on its own free port, its own temporary tree), and `make test` runs the three suites side by
# side, each one's output printed whole when it ends (--output-sync), never interleaved.
PYTEST_PARALLEL := -n auto --dist worksteal -p no:cacheprovider

test-template: $(VENV)/.installed $(SECURITY_VENV)/.installed
	@$(VENV)/bin/pytest -q $(PYTEST_PARALLEL) tests/template

test-workflow: $(AIRFLOW_VENV)/.installed $(AIRFLOW2_VENV)/.installed
	@$(AIRFLOW_VENV)/bin/python -m pytest -q $(PYTEST_PARALLEL) tests/workflow

# make preflight (tested here) parses DAGs with MWAA's image of the two Airflow versions the
# project pins, remade as venvs in .cache/preflight: built first, with the index in reach, not
# inside a test (the tests run offline).
mwaa-images: $(VENV)/.installed ## Build MWAA's image of the pinned Airflow versions as preflight's venvs (VERSIONS="3.2.1 ..." for others)
	@$(PY) -m ops.preflight

test-ops: $(VENV)/.installed $(AIRFLOW_VENV)/.installed mwaa-images
	@$(VENV)/bin/pytest -q $(PYTEST_PARALLEL) tests/emulator tests/ops tests/make

# Every venv and preflight's images, installed once and side by side, before any test's time.
venvs: $(VENV)/.installed ## Create every venv and preflight's MWAA images (in parallel)
	@$(MAKE) --no-print-directory -j4 --output-sync=target $(AIRFLOW_VENV)/.installed $(AIRFLOW2_VENV)/.installed \
		$(SECURITY_VENV)/.installed mwaa-images

# Each step after the venvs exist, so that `make -jN test` never installs one venv twice at once.
test: venvs ## Everything CI runs: out/ fresh, lint, template, operations and workflow tests
	@$(MAKE) --no-print-directory check lint
	@$(MAKE) --no-print-directory -j3 --output-sync=target test-template test-ops test-workflow

test-airflow2: $(AIRFLOW2_VENV)/.installed ## The workflow tests on the newest Airflow 2 MWAA supports
	@$(AIRFLOW2_VENV)/bin/python -m pytest -q $(PYTEST_PARALLEL) tests/workflow

dag-test: $(VENV)/.installed ## Run a DAG once against emulated EMR with the execution role's permissions, on the environment's Airflow major: make dag-test DAG=emr_steps CONF='{}' FAIL=app1 [VERBOSE=1]
	@$(PY) -m tests.emulator.launch

airflow-options: $(AIRFLOW_VENV)/.installed $(AIRFLOW2_VENV)/.installed ## Regenerate the Airflow option lists the build checks airflow_configuration_options against
	@$(AIRFLOW_VENV)/bin/python scripts/airflow_options.py
	@$(AIRFLOW2_VENV)/bin/python scripts/airflow_options.py

bench: $(VENV)/.installed $(AIRFLOW_VENV)/.installed ## Build time and memory of every template; DAG parse time; preflight time; review time
	@$(PY) scripts/bench_build.py
	@$(AIRFLOW_VENV)/bin/python scripts/bench_dag_parse.py
	@$(PY) scripts/bench_preflight.py
	@$(PY) scripts/bench_review.py

bench-tests: $(VENV)/.installed ## Wall time of each test suite and its slowest tests (TOGETHER=1: also the suites side by side)
	@$(PY) -m scripts.bench_suites

deploy: $(VENV)/.installed ## Create or update the stack: make deploy ENV=prd PARAMS="MaxWorkers=5" [ROLE_ARN=CloudFormation's role]
	@$(OPS) deploy

environments: $(VENV)/.installed ## Every environment, its stack, template and pinned account and region (FORMAT=json: the pinned ones, for a pipeline)
	@$(OPS) environments

review: $(VENV)/.installed ## What a change to out/ does, offline: make review [BASE=origin/main] [FORMAT=text|markdown|json] [ALLOW=Id,...] [OLD=a.yaml NEW=b.yaml]
	@$(OPS) review

diff: $(VENV)/.installed ## What changes: make review's report of out/ against git BASE (default HEAD), then a change-set preview against the stack
	@$(OPS) diff

preflight: $(VENV)/.installed ## Check requirements, DAG imports, plugins and startup script offline (AIRFLOW_VERSION= for an upgrade)
	@$(OPS) preflight

upgrade-check: $(VENV)/.installed ## Rehearse an Airflow upgrade offline: make upgrade-check ENV=prd TO=3.3.1 [FROM=2.11.2] (without FROM: the environment's own version)
	@$(OPS) upgrade-check

sync: $(VENV)/.installed ## Preflight, upload dags/ (DELETE=1 removes S3-only files), bump requirements/plugins/startup, wait (NOWAIT=1)
	@$(OPS) sync

verify: $(VENV)/.installed ## Ask the environment whether every DAG file in its bucket parsed: MWAA's import errors, files without DAGs (VERIFY_TIMEOUT=)
	@$(OPS) verify

history: $(VENV)/.installed ## The releases make sync recorded, newest first: what each changed, which one runs now
	@$(OPS) history

rollback: $(VENV)/.installed ## Put a recorded release back, as a new release: make rollback ENV=prd TO=<release or commit> (asks first; YES=1)
	@$(OPS) rollback

outputs: $(VENV)/.installed ## The stack's outputs
	@$(OPS) outputs

status: $(VENV)/.installed ## The environment on one screen: status, version, size, last update, UI, scheduler health
	@$(OPS) status

logs: $(VENV)/.installed ## The environment's CloudWatch logs: TYPE=task|scheduler|worker|webserver|dag-processing SINCE=1h FOLLOW=1 DAG= RUN= TASK=
	@$(OPS) logs

drift: $(VENV)/.installed ## CloudFormation drift of the stack, resource by resource
	@$(OPS) drift

ui: $(VENV)/.installed ## Print (and open) a one-time login URL for the Airflow UI
	@$(OPS) ui

airflow: $(VENV)/.installed ## Run an Airflow CLI command: make airflow CMD="dags list"
	@$(OPS) airflow

trigger: $(VENV)/.installed ## Start a DAG run (WAIT=1 follows it to its end): make trigger DAG=emr_steps CONF='{"cluster_id": "j-..."}'
	@$(OPS) trigger

destroy: $(VENV)/.installed ## Delete the stack (asks first unless YES=1); the source bucket and its objects are kept
	@$(OPS) destroy

clean: ## Remove caches, preflight's venvs of MWAA's images among them (keeps the project venvs and out/)
	@find . -path ./.venv\* -prune -o -name __pycache__ -type d -exec rm -rf {} +
	@rm -rf .cache/preflight
