"""Run a DAG from dags/ once, locally, against EMR emulated on 127.0.0.1.

    python -m tests.emulator.run_dag emr_steps '{"cluster_id": "j-..."}' [--fail app1,app2]
    make dag-test DAG=emr_steps CONF='{"cluster_id": "j-..."}' FAIL=app1,app2

Starts patched moto on a free loopback port, creates an emulated EMR cluster
(used as ``cluster_id`` unless the conf names one), runs the DAG with
``dag.test()`` in a throw-away AIRFLOW_HOME, and prints every task's state.
``--fail app1`` makes the next step whose name contains ``app1`` fail once.
Exit status 0 when the run succeeded, 1 when it failed, 2 on bad input.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
REGION = os.environ.get("AWS_DEFAULT_REGION") or "eu-west-1"
POKE_SECONDS = 1.0


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    # `make dag-test` passes DAG, CONF and FAIL as MWAA_STACK_* variables, never through a shell.
    parser.add_argument("dag_id", nargs="?", default=os.environ.get("MWAA_STACK_DAG") or "emr_steps")
    parser.add_argument("conf", nargs="?", default=os.environ.get("MWAA_STACK_CONF") or "{}")
    parser.add_argument("--fail", default=os.environ.get("MWAA_STACK_FAIL", ""),
                        help="comma-separated step-name parts whose next step fails")
    args = parser.parse_args(argv)
    try:
        conf = json.loads(args.conf)
        if not isinstance(conf, dict):
            raise ValueError("not an object")
    except ValueError as err:
        print(f"run_dag: error: CONF must be a JSON object, got {args.conf!r} ({err})", file=sys.stderr)
        return 2

    home = tempfile.mkdtemp(prefix="mwaa-stack-dag-test-")
    os.environ.update({
        "AIRFLOW_HOME": home,
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__DAGS_FOLDER": str(ROOT / "dags"),
        "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION, "AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    })
    os.environ.pop("AWS_PROFILE", None)
    subprocess.run([sys.executable, "-m", "airflow", "db", "migrate"], check=True, capture_output=True)

    import boto3
    from moto.server import ThreadedMotoServer

    sys.path.insert(0, str(ROOT))
    from tests.emulator import moto_patches

    moto_patches.apply(step_polls=2)
    for name in filter(None, args.fail.split(",")):
        moto_patches.script_steps(name.strip(), ["FAILED"])
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        os.environ["AIRFLOW_CONN_AWS_DEFAULT"] = f"aws://?endpoint_url={endpoint}&region_name={REGION}"
        emr = boto3.client("emr", endpoint_url=endpoint, region_name=REGION)
        cluster = emr.run_job_flow(
            Name="dag-test", ReleaseLabel="emr-7.5.0", JobFlowRole="EMR_EC2_DefaultRole", ServiceRole="EMR_DefaultRole",
            Instances={"InstanceGroups": [{"Name": "primary", "InstanceRole": "MASTER", "InstanceType": "m5.xlarge",
                                           "InstanceCount": 1}], "KeepJobFlowAliveWhenNoSteps": True},
        )["JobFlowId"]
        conf.setdefault("cluster_id", cluster)
        print(f"emulated EMR at {endpoint}, cluster {cluster}; conf {json.dumps(conf)}", flush=True)
        return run(args.dag_id, conf, emr)
    finally:
        server.stop()


def run(dag_id: str, conf: dict, emr) -> int:
    try:
        from airflow.dag_processing.dagbag import DagBag
    except ImportError:  # Airflow 2
        from airflow.models import DagBag

    bag = DagBag(dag_folder=str(ROOT / "dags"))
    if bag.import_errors or dag_id not in bag.dags:
        print(f"run_dag: error: DAG {dag_id!r} not found in dags/ (import errors: {bag.import_errors})", file=sys.stderr)
        return 2
    dag = bag.dags[dag_id]
    for task in dag.tasks:
        if hasattr(task, "poke_interval"):
            task.poke_interval = POKE_SECONDS
    dag_run = dag.test(run_conf=conf)
    print(f"\nDAG run {dag_run.run_id}: {dag_run.state}")
    states = {ti.task_id: ti.state for ti in dag_run.get_task_instances()}
    for task in dag.tasks:  # in the order the DAG file defines them
        print(f"  {task.task_id:<24} {states.get(task.task_id)}")
    cluster = conf.get("cluster_id")
    try:
        steps = emr.list_steps(ClusterId=cluster)["Steps"]
    except emr.exceptions.InvalidRequestException:
        steps = []
    for step in reversed(steps):
        print(f"  EMR step {step['Id']} {step['Status']['State']:<10} {step['Name']}")
    return 0 if dag_run.state == "success" else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
