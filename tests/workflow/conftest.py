"""Fixtures for the workflow tests: a real Airflow with a throw-away home and sqlite
database, and EMR served by the emulator (patched moto) on a free 127.0.0.1 port."""

from __future__ import annotations

import importlib.util
import sys

import pytest

if importlib.util.find_spec("airflow") is None:  # e.g. a bare `.venv/bin/pytest`: say so, not 20 ImportErrors
    pytest.exit(
        f"tests/workflow runs on a real Airflow, which {sys.executable} has not: "
        "`make test-workflow` (.venv-airflow) or `make test-airflow2` (.venv-airflow2)",
        returncode=pytest.ExitCode.USAGE_ERROR,
    )

from tests.emulator import Emulator, airflow_home

REGION = "eu-west-1"
# Airflow reads its configuration when first imported: set everything first.
_HOME = airflow_home.configure(REGION)


@pytest.fixture(scope="session")
def airflow_db() -> str:
    airflow_home.migrate()
    return _HOME


@pytest.fixture(scope="session")
def emulator():
    with Emulator(REGION, step_polls=2) as running:
        yield running


@pytest.fixture
def emr(emulator, monkeypatch):
    """A clean emulator, and Airflow's aws_default connection pointing at it."""
    emulator.reset()
    monkeypatch.setenv("AIRFLOW_CONN_AWS_DEFAULT", airflow_home.aws_connection(emulator.moto_url, REGION))
    return airflow_home.emr_client(emulator.moto_url, REGION)


@pytest.fixture(scope="session")
def dag():
    bag = airflow_home.dagbag()
    assert bag.import_errors == {}
    return bag.dags["emr_steps"]


def run(dag, conf: dict):
    """One real DAG run in this process (dag.test), sensors polling every 0.2 s."""
    airflow_home.fast_sensors(dag, 0.2)
    dag_run = dag.test(run_conf=conf)
    states = {ti.task_id: ti.state for ti in dag_run.get_task_instances()}
    return dag_run, states
