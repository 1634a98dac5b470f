"""Run a DAG from dags/ once, locally, against EMR emulated on 127.0.0.1.

    python -m tests.emulator.run_dag emr_steps '{"cluster_id": "j-..."}' [--fail app1,app2]
    make dag-test DAG=emr_steps CONF='{"cluster_id": "j-..."}' FAIL=app1,app2

Starts patched moto on a free loopback port, creates an emulated EMR cluster
(used as ``cluster_id`` unless the conf names one), runs the DAG with
``dag.test()`` in a throw-away AIRFLOW_HOME, and prints every task's state.
``--fail app1`` makes the next step whose name contains ``app1`` fail once.

The run has the execution role's permissions: the DAG's AWS calls are made as an
identity holding exactly the execution policy of the environment's template
(``TEMPLATE``, else ``out/mwaa-ENV.yaml``, else ``out/mwaa.yaml``), with moto's IAM
authorization on (``permissions.py`` says how far that goes).  Each refused call ends
the run with ``denied: <service:Action> on <resource> — add it to extra_policy_statements``.
``DAGS`` names another DAG folder.
Exit status 0 when the run succeeded, 1 when it failed or a call was denied, 2 on bad input;
every failure ends in one ``mwaa-stack: error:`` line, as every other target's does.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from pathlib import Path

from ops.aws import OpsError, UsageError
from ops.overrides import default_template, read_template
from ops.text import printable
from tests.emulator import Emulator, airflow_home, permissions, script_steps

REGION = os.environ.get("AWS_DEFAULT_REGION") or "eu-west-1"
POKE_SECONDS = 1.0


def main(argv: list[str]) -> int:
    """The boundary: one error line whatever went wrong (MWAA_STACK_DEBUG=1 shows the traceback)."""
    try:
        return dag_test(argv)
    except OpsError as err:
        return fail(str(err), err.code)
    except KeyboardInterrupt:
        return fail("interrupted", 130)
    except SystemExit as err:  # argparse's own exit on bad arguments
        return int(err.code or 0)
    except Exception as err:
        if os.environ.get("MWAA_STACK_DEBUG"):
            raise
        return fail(f"{type(err).__name__}: {err}", 1)


def fail(message: str, code: int) -> int:
    print(f"mwaa-stack: error: {printable(message)}", file=sys.stderr)
    return code


def dag_test(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    # `make dag-test` passes DAG, CONF and FAIL as MWAA_STACK_* variables, never through a shell.
    parser.add_argument("dag_id", nargs="?", default=os.environ.get("MWAA_STACK_DAG") or "emr_steps")
    parser.add_argument("conf", nargs="?", default=os.environ.get("MWAA_STACK_CONF") or "{}")
    parser.add_argument(
        "--fail",
        default=os.environ.get("MWAA_STACK_FAIL", ""),
        help="comma-separated step-name parts whose next step fails",
    )
    args = parser.parse_args(argv)
    try:
        conf = json.loads(args.conf)
        if not isinstance(conf, dict):
            raise ValueError("not an object")
    except ValueError as err:
        raise UsageError(f"CONF must be a JSON object, got {args.conf!r} ({err})") from None

    env = os.environ.get("MWAA_STACK_ENV") or "dev"
    template = Path(os.environ.get("MWAA_STACK_TEMPLATE") or default_template(env)).absolute()
    dags = Path(os.environ.get("MWAA_STACK_DAGS") or airflow_home.DAGS).absolute()
    read_template(template)  # one line for a missing file, or one that is no template
    if not dags.is_dir():
        raise UsageError(f"DAGS {dags} is not a folder")
    airflow_home.configure(REGION, prefix="mwaa-stack-dag-test-", dags=dags)
    bag = airflow_home.dagbag(dags)
    if args.dag_id not in bag.dags:
        known = ", ".join(sorted(bag.dags)) or "none"
        problems = f"; import errors in {', '.join(sorted(bag.import_errors))}" if bag.import_errors else ""
        raise UsageError(f"no DAG {args.dag_id!r} in {dags} (DAGs: {known}){problems}")
    policy = permissions.execution_policy(template, REGION, f"mwaa-{env}")
    airflow_home.migrate()
    with Emulator(REGION, step_polls=2) as emulator:
        for name in filter(None, args.fail.split(",")):
            script_steps(name.strip(), ["FAILED"])
        emr = airflow_home.emr_client(emulator.moto_url, REGION)
        cluster = airflow_home.new_cluster(emr, "dag-test")
        conf.setdefault("cluster_id", cluster)
        key = None
        if policy is None:
            print(f"permissions: {template.name} uses a role it does not create; calls are not checked against it")
        else:
            key = permissions.create_identity(emulator.moto_url, REGION, policy)
            print(f"permissions: the DAG runs with the execution policy of {template.name}", flush=True)
        os.environ["AIRFLOW_CONN_AWS_DEFAULT"] = airflow_home.aws_connection(emulator.moto_url, REGION, key)
        print(f"emulated EMR at {emulator.moto_url}, cluster {cluster}; conf {json.dumps(conf)}", flush=True)
        with permissions.enforced() if key else contextlib.nullcontext([]) as denied:
            code = run(bag.dags[args.dag_id], conf)
        print_steps(emr, conf.get("cluster_id"))
        for line in permissions.report(denied):
            print(line)
        return 1 if denied else code


def run(dag, conf: dict) -> int:
    airflow_home.fast_sensors(dag, POKE_SECONDS)
    dag_run = dag.test(run_conf=conf)
    print(f"\nDAG run {dag_run.run_id}: {dag_run.state}")
    states = {ti.task_id: ti.state for ti in dag_run.get_task_instances()}
    for task in dag.tasks:  # in the order the DAG file defines them
        print(f"  {task.task_id:<24} {states.get(task.task_id)}")
    return 0 if dag_run.state == "success" else 1


def print_steps(emr, cluster: str | None) -> None:
    try:
        steps = emr.list_steps(ClusterId=cluster)["Steps"]
    except emr.exceptions.InvalidRequestException:
        steps = []
    for step in reversed(steps):
        print(f"  EMR step {step['Id']} {step['Status']['State']:<10} {step['Name']}")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
