"""A throw-away Airflow for DAG tests, runs and benchmarks: its home, its settings
(set before Airflow is first imported), the DagBag, and an emulated EMR cluster."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
DAGS = ROOT / "dags"


def configure(region: str, prefix: str = "mwaa-stack-airflow-", dags: Path = DAGS) -> str:
    """Point Airflow at a new home and at ``dags``, and AWS at dummy credentials; returns the home."""
    home = tempfile.mkdtemp(prefix=prefix)
    os.environ.update(
        {
            "AIRFLOW_HOME": home,
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__DAGS_FOLDER": str(dags),
            "AIRFLOW__CORE__UNIT_TEST_MODE": "False",
            # What the MWAA template sets (Airflow's default too, stated for parity).
            "AIRFLOW__CORE__DAG_RUN_CONF_OVERRIDES_PARAMS": "True",
            "AIRFLOW__APP__ENV": "test",
            # Dummy credentials; never a developer's real profile.
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_SESSION_TOKEN": "testing",
            "AWS_DEFAULT_REGION": region,
            "AWS_CONFIG_FILE": os.devnull,
            "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        }
    )
    for variable in ("AWS_PROFILE", "AWS_ENDPOINT_URL"):
        os.environ.pop(variable, None)
    return home


def migrate() -> None:
    subprocess.run([sys.executable, "-m", "airflow", "db", "migrate"], check=True, capture_output=True)


def dagbag(folder: Path = DAGS) -> Any:
    try:
        from airflow.dag_processing.dagbag import DagBag  # Airflow 3
    except ImportError:  # Airflow 2
        from airflow.models import DagBag
    return DagBag(dag_folder=str(folder))


def aws_connection(endpoint: str, region: str, key: tuple[str, str] | None = None) -> str:
    """Airflow's aws_default connection (AIRFLOW_CONN_AWS_DEFAULT, in its JSON form) on the
    emulator, as the identity of ``key`` (access key id, secret) when given."""
    import json

    login = {"login": key[0], "password": key[1]} if key else {}
    return json.dumps({"conn_type": "aws", **login, "extra": {"endpoint_url": endpoint, "region_name": region}})


def emr_client(endpoint: str, region: str) -> Any:
    import boto3

    return boto3.client("emr", endpoint_url=endpoint, region_name=region)


def new_cluster(emr: Any, name: str = "mwaa-stack-test") -> str:
    return emr.run_job_flow(
        Name=name,
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


def fast_sensors(dag: Any, seconds: float) -> None:
    for task in dag.tasks:
        if hasattr(task, "poke_interval"):
            task.poke_interval = seconds
