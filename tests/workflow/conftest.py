"""Fixtures for the workflow tests: a real Airflow with a throw-away home and
sqlite database, and EMR served by (patched) moto on a free 127.0.0.1 port."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DAGS = ROOT / "dags"
REGION = "eu-west-1"
sys.path.insert(0, str(ROOT))

# Airflow reads its configuration when first imported: set everything first.
_HOME = tempfile.mkdtemp(prefix="mwaa-stack-airflow-")
os.environ.update(
    {
        "AIRFLOW_HOME": _HOME,
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS),
        "AIRFLOW__CORE__UNIT_TEST_MODE": "False",
        # What the MWAA template sets (Airflow's default too, stated for parity).
        "AIRFLOW__CORE__DAG_RUN_CONF_OVERRIDES_PARAMS": "True",
        "AIRFLOW__APP__ENV": "test",
        # Dummy credentials; never a developer's real profile.
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    }
)
for variable in ("AWS_PROFILE", "AWS_ENDPOINT_URL"):
    os.environ.pop(variable, None)


@pytest.fixture(scope="session")
def airflow_db() -> str:
    subprocess.run([sys.executable, "-m", "airflow", "db", "migrate"], check=True, capture_output=True)
    return _HOME


@pytest.fixture(scope="session")
def emr_server():
    """Patched moto, in server mode on a free loopback port, for the whole session."""
    from moto.server import ThreadedMotoServer

    from tests.emulator import moto_patches

    moto_patches.apply(step_polls=2)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@pytest.fixture
def emr(emr_server, monkeypatch):
    """A clean emulator, and Airflow's aws_default connection pointing at it."""
    import boto3

    from tests.emulator import moto_patches

    urllib.request.urlopen(urllib.request.Request(f"{emr_server}/moto-api/reset", method="POST"))
    moto_patches.reset()
    monkeypatch.setenv("AIRFLOW_CONN_AWS_DEFAULT", f"aws://?endpoint_url={emr_server}&region_name={REGION}")
    return boto3.client("emr", endpoint_url=emr_server, region_name=REGION)


def new_cluster(emr) -> str:
    return emr.run_job_flow(
        Name="mwaa-stack-test",
        ReleaseLabel="emr-7.5.0",
        Instances={
            "InstanceGroups": [
                {"Name": "primary", "InstanceRole": "MASTER", "InstanceType": "m5.xlarge", "InstanceCount": 1}
            ],
            "KeepJobFlowAliveWhenNoSteps": True,
        },
        JobFlowRole="EMR_EC2_DefaultRole",
        ServiceRole="EMR_DefaultRole",
    )["JobFlowId"]


def dagbag():
    try:
        from airflow.dag_processing.dagbag import DagBag  # Airflow 3
    except ImportError:
        from airflow.models import DagBag
    kwargs = {} if "include_examples" not in DagBag.__init__.__code__.co_varnames else {"include_examples": False}
    return DagBag(dag_folder=str(DAGS), **kwargs)


@pytest.fixture(scope="session")
def dag():
    bag = dagbag()
    assert bag.import_errors == {}
    return bag.dags["emr_steps"]


def run(dag, conf: dict):
    """One real DAG run in this process (dag.test), sensors polling every 0.2 s."""
    for task in dag.tasks:
        if hasattr(task, "poke_interval"):
            task.poke_interval = 0.2
    dag_run = dag.test(run_conf=conf)
    states = {ti.task_id: ti.state for ti in dag_run.get_task_instances()}
    return dag_run, states
