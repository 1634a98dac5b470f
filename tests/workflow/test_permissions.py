"""make dag-test runs DAGs with the execution role's permissions: a call the policy does
not allow fails as on MWAA and is reported by name; allowing it in the template clears it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ops.intrinsics import load_template
from tests.emulator.airflow_home import ROOT
from tests.mwaa_files import dag_folder

# Calls the sample execution policy does not allow (SQS beyond MWAA's own queue), and one
# it denies outright (NoBucketListing).
GREEDY_DAG = """
import pendulum
from airflow import DAG
from airflow.providers.amazon.aws.hooks.base_aws import AwsBaseHook
try:
    from airflow.providers.standard.operators.python import PythonOperator
except ImportError:  # Airflow 2
    from airflow.operators.python import PythonOperator


def make_queue():
    AwsBaseHook(aws_conn_id="aws_default", client_type="sqs").conn.create_queue(QueueName="greedy")


def list_buckets():
    AwsBaseHook(aws_conn_id="aws_default", client_type="s3").conn.list_buckets()


with DAG("greedy", start_date=pendulum.datetime(2024, 1, 1), schedule=None):
    PythonOperator(task_id="make_queue", python_callable=make_queue, retries=0)
    PythonOperator(task_id="list_buckets", python_callable=list_buckets, retries=0)
"""


@pytest.fixture
def greedy(tmp_path) -> Path:
    return dag_folder(tmp_path, {"greedy.py": GREEDY_DAG})


def dag_test(dag: str, **variables: str) -> subprocess.CompletedProcess:
    env = {**os.environ, **{f"MWAA_STACK_{k}": v for k, v in variables.items()}}
    return subprocess.run(
        [sys.executable, "-m", "tests.emulator.run_dag", dag, "{}"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def denied(result: subprocess.CompletedProcess) -> list[str]:
    return [line for line in result.stdout.splitlines() if line.startswith("denied: ")]


def test_calls_outside_the_policy_fail_and_are_named(greedy):
    result = dag_test("greedy", DAGS=str(greedy), TEMPLATE=str(ROOT / "out" / "mwaa.yaml"))
    assert result.returncode == 1, result.stdout[-3000:] + result.stderr[-3000:]
    lines = denied(result)
    assert any(line.startswith("denied: sqs:CreateQueue on ") for line in lines), result.stdout[-3000:]
    assert any(line.startswith("denied: s3:ListAllMyBuckets on ") for line in lines), lines
    assert all(line.endswith("— add it to extra_policy_statements in environments/dev.toml") for line in lines), lines


def test_a_run_is_quiet_unless_verbose(greedy):
    quiet = dag_test("greedy", DAGS=str(greedy), TEMPLATE=str(ROOT / "out" / "mwaa-byo.yaml"))
    loud = dag_test("greedy", DAGS=str(greedy), TEMPLATE=str(ROOT / "out" / "mwaa-byo.yaml"), VERBOSE="1")
    assert quiet.returncode == loud.returncode == 0, quiet.stdout[-2000:] + quiet.stderr[-2000:]
    assert len(quiet.stdout.splitlines()) < 15 < len(loud.stdout.splitlines() + loud.stderr.splitlines())
    assert "DAG run " in quiet.stdout and "Airflow's log" not in quiet.stdout


def test_allowing_the_action_in_the_template_clears_it(greedy, tmp_path):
    template = load_template((ROOT / "out" / "mwaa.yaml").read_text())
    statements = template["Resources"]["MwaaExecutionPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    statements.append({"Sid": "MakeQueues", "Effect": "Allow", "Action": ["sqs:CreateQueue"], "Resource": ["*"]})
    widened = tmp_path / "widened.json"
    widened.write_text(json.dumps(template))
    result = dag_test("greedy", DAGS=str(greedy), TEMPLATE=str(widened))
    lines = denied(result)
    assert not any("sqs:CreateQueue" in line for line in lines), lines
    assert any("s3:ListAllMyBuckets" in line for line in lines), "the explicit Deny still holds"


def test_a_template_with_its_own_role_says_calls_are_unchecked(greedy):
    result = dag_test("greedy", DAGS=str(greedy), TEMPLATE=str(ROOT / "out" / "mwaa-byo.yaml"))
    assert "mwaa-byo.yaml uses a role it does not create; calls are not checked against it" in result.stdout
    assert denied(result) == [] and result.returncode == 0, result.stdout[-2000:]


def test_an_unknown_dag_is_one_line_before_anything_runs(greedy):
    result = dag_test("nope", DAGS=str(greedy))
    assert result.returncode == 2
    [line] = [line for line in result.stderr.splitlines() if line.startswith("mwaa-stack: error:")]
    assert "no DAG 'nope'" in line and "(DAGs: greedy)" in line
    assert "DAG run" not in result.stdout


def test_a_file_that_is_no_template_is_one_line_not_a_traceback(greedy):
    result = dag_test("greedy", DAGS=str(greedy), TEMPLATE="/etc/passwd")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("mwaa-stack: error: TEMPLATE: /etc/passwd is not")
