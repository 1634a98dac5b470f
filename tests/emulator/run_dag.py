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
the run with ``denied: <service:Action> on <resource> — add it to extra_policy_statements in
environments/<name>.toml``, the action named as IAM names it (``permissions.IAM_ACTIONS``).
``DAGS`` names another DAG folder.  Every AWS call of the DAG goes to the emulator
(``AWS_ENDPOINT_URL``), as the emulator's identity: never to AWS, never with the caller's
credentials.  Airflow's own log is kept out of the way: the task states and the report
come first, the log's last lines only when the run failed; ``VERBOSE=1`` prints all of it
as it happens.  ``launch.py`` picks the project's Airflow of the environment's major version.
Exit status 0 when the run succeeded, 1 when it failed or a call was denied, 2 on bad input;
every failure ends in one ``mwaa-stack: error:`` line, as every other target's does.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

from ops.errors import OpsError, UsageError
from ops.inputs import flag
from ops.overrides import default_template, read_template
from ops.text import printable
from tests.emulator import Emulator, airflow_home, permissions, script_steps

REGION = os.environ.get("AWS_DEFAULT_REGION") or "eu-west-1"
ROOT_FOLDER = Path(__file__).resolve().parents[2]
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

    verbose = flag("VERBOSE", os.environ.get("MWAA_STACK_VERBOSE", ""))
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
        # A client the DAG makes itself, without the connection, is the execution role's too, on
        # the emulator: as on MWAA, where every client in a task runs as that role.
        os.environ["AWS_ENDPOINT_URL"] = emulator.moto_url
        if key:
            os.environ.update(AWS_ACCESS_KEY_ID=key[0], AWS_SECRET_ACCESS_KEY=key[1])
            os.environ.pop("AWS_SESSION_TOKEN", None)
        print(f"emulated EMR at {emulator.moto_url}, cluster {cluster}; conf {json.dumps(conf)}", flush=True)
        enforced = permissions.enforced() if key else contextlib.nullcontext([])
        with enforced as denied, airflow_log(verbose) as log:
            code, states = run(bag.dags[args.dag_id], conf)
        print("\n".join(states))
        print_steps(emr, conf.get("cluster_id"))
        for line in permissions.report(denied, settings_file(template, env)):
            print(line)
        failed = 1 if denied else code
        if failed and log is not None:
            tail = log.getvalue().splitlines()[-LOG_TAIL:]
            print(f"\nthe last {len(tail)} lines of Airflow's log (VERBOSE=1 for all of it):")
            for line in tail:
                print(f"  {printable(line)}")
        return failed


def run(dag, conf: dict) -> tuple[int, list[str]]:
    """The run's exit status, and its state and every task's, in the order the DAG file
    defines them."""
    airflow_home.fast_sensors(dag, POKE_SECONDS)
    dag_run = dag.test(run_conf=conf)
    states = {ti.task_id: ti.state for ti in dag_run.get_task_instances()}
    lines = [f"\nDAG run {dag_run.run_id}: {dag_run.state}"]
    lines += [f"  {task.task_id:<24} {states.get(task.task_id)}" for task in dag.tasks]
    return (0 if dag_run.state == "success" else 1), lines


LOG_TAIL = 40


@contextlib.contextmanager
def airflow_log(verbose: bool) -> Iterator[io.StringIO | None]:
    """Airflow's output during the run, kept (file descriptors 1 and 2 too: its task
    runner and structlog write there) unless ``verbose``."""
    if verbose:
        yield None
        return
    sys.stdout.flush()
    sys.stderr.flush()
    kept = io.StringIO()
    saved = os.dup(1), os.dup(2)
    with tempfile.TemporaryFile("w+", encoding="utf-8", errors="replace") as captured:
        os.dup2(captured.fileno(), 1)
        os.dup2(captured.fileno(), 2)
        try:
            with contextlib.redirect_stdout(captured), contextlib.redirect_stderr(captured):
                yield kept
        finally:
            captured.flush()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            os.close(saved[0])
            os.close(saved[1])
            captured.seek(0)
            kept.write(captured.read())


def settings_file(template: Path, env: str) -> str:
    """The environment file to edit: the one ``template`` is built from (out/mwaa-<name>.yaml
    from environments/<name>.toml), or, for a template of the defaults, the file to create."""
    name = template.stem.removeprefix("mwaa-") if template.stem.startswith("mwaa-") else env
    exists = (ROOT_FOLDER / "environments" / f"{name}.toml").is_file()
    return f"environments/{name}.toml{'' if exists else ' (create it; then make template)'}"


def print_steps(emr, cluster: str | None) -> None:
    try:
        steps = emr.list_steps(ClusterId=cluster)["Steps"]
    except emr.exceptions.InvalidRequestException:
        steps = []
    for step in reversed(steps):
        print(f"  EMR step {step['Id']} {step['Status']['State']:<10} {step['Name']}")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
