"""The environment's Airflow: a UI login URL, one CLI command through a CLI token, and
a DAG run through the REST API (Airflow 3, `InvokeRestApi`) or the CLI (Airflow 2)."""

from __future__ import annotations

import base64
import binascii
import json
import os
import re
import shlex
import sys
import time
import urllib.error
import urllib.request
from typing import Any

from .aws import Aws, wait_for
from .cloudformation import outputs_of
from .console import elapsed
from .errors import OpsError, ShapeError, field
from .mwaa import airflow_major, environment_of, rest
from .text import printable, printable_lines

# The MWAA CLI endpoint answers stdout and stderr but no exit status (user guide,
# "Apache Airflow CLI command reference"); these mark a failed command.
CLI_FAILURE = re.compile(
    r"^(Traceback \(most recent call last\)|airflow command error:|error: |\w+(\.\w+)*(Error|Exception|NotFound): )",
    re.M,
)
# What `airflow dags trigger` prints: Created <DagRun emr_steps @ 2026-...: manual__2026-..., ...>
CREATED_RUN = re.compile(r"Created <DagRun \S+ @ \S+: ([^,>\s]+)")
LOG_TAIL_LINES = 20
CLI_ANSWER_CAP = 16 * 1024 * 1024  # what one CLI answer may weigh before it is refused


def ui(aws: Aws, stack: str) -> None:
    environment = environment_of(aws, stack)
    token = aws.client("mwaa").create_web_login_token(Name=environment["Name"])
    plugin = "/pluginsv2" if airflow_major(environment) >= 3 else ""
    url = f"https://{token['WebServerHostname']}{plugin}/aws_mwaa/aws-console-sso?login=true#{token['WebToken']}"
    print(f"Airflow UI of {environment['Name']} (the link works once, for 60 seconds):\n{url}")
    graphical = os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY") or sys.platform == "darwin"
    if sys.stdout.isatty() and graphical:
        import webbrowser

        webbrowser.open(url)


def cli(aws: Aws, environment: str, command: str) -> tuple[str, str]:
    """Run one Airflow CLI command through a CLI token; returns decoded stdout and stderr."""
    token = aws.client("mwaa").create_cli_token(Name=environment)
    url = f"https://{token['WebServerHostname']}/aws_mwaa/cli"
    request = urllib.request.Request(
        url,
        data=command.encode(),
        method="POST",
        headers={"Authorization": f"Bearer {token['CliToken']}", "Content-Type": "text/plain"},
    )
    try:
        with urllib.request.urlopen(request, timeout=aws.timeouts.read) as response:
            raw = response.read(CLI_ANSWER_CAP + 1)
        if len(raw) > CLI_ANSWER_CAP:
            raise OpsError(f"the Airflow CLI endpoint of {environment} answered over {CLI_ANSWER_CAP} bytes")
        body = json.loads(raw)
    except urllib.error.HTTPError as err:
        detail = err.read(2000).decode(errors="replace")[:200]
        raise OpsError(f"the Airflow CLI endpoint of {environment} answered {err.code}: {detail}") from None
    except urllib.error.URLError as err:
        raise OpsError(f"cannot reach the Airflow web server of {environment} at {url}: {err.reason}") from None
    except TimeoutError:
        raise OpsError(f"{url} did not answer within {aws.timeouts.read:g} s (READ_TIMEOUT=... raises it)") from None
    except ValueError:
        raise OpsError(f"{url} did not answer with JSON: is it an MWAA web server?") from None
    api = f"the Airflow CLI endpoint of {environment}"
    try:
        out, err = (base64.b64decode(field(body, name, str, api)) for name in ("stdout", "stderr"))
    except binascii.Error:
        raise ShapeError(f"{api} answered stdout/stderr that is not base64") from None
    # Invalid UTF-8 is replaced, never fatal: the rest of the output (a failed task's name) matters.
    return out.decode("utf-8", errors="replace"), err.decode("utf-8", errors="replace")


def run_cli(aws: Aws, stack: str, command: str) -> int:
    """`make airflow`: exit 1 when stderr shows that the command failed, else 0."""
    environment = outputs_of(aws, stack)["MwaaEnvironmentName"]
    out, err = cli(aws, environment, command)
    show(out, err)
    return 1 if CLI_FAILURE.search(err) else 0


def show(out: str, err: str) -> None:
    """The Airflow CLI's output, line by line, as data: never a control sequence."""
    for line in printable_lines(out):
        print(line)
    for line in printable_lines(err):
        print(line, file=sys.stderr)


def trigger(aws: Aws, stack: str, dag: str, conf: dict[str, Any], wait: bool = False) -> int:
    """Start a run of ``dag`` (checked by ``inputs.dag_id``) with ``conf`` (from ``inputs.conf``);
    with ``wait``, follow it to its end."""
    environment = environment_of(aws, stack)
    name = environment["Name"]
    if airflow_major(environment) >= 3:
        run_id = _trigger_rest(aws, name, dag, conf)
    else:
        command = f"dags trigger {shlex.quote(dag)} --conf {shlex.quote(json.dumps(conf))}"
        out, err = cli(aws, name, command)
        show(out, err)
        if CLI_FAILURE.search(err):
            return 1
        created = CREATED_RUN.search(out)
        if wait and created is None:
            raise OpsError(f"the Airflow CLI did not say which run it created: {out.strip()[:200]}")
        run_id = created.group(1) if created else ""
    return follow(aws, name, dag, run_id) if wait else 0


def _trigger_rest(aws: Aws, environment: str, dag: str, conf: dict[str, Any]) -> str:
    """Airflow 3: the REST API (``logical_date`` is required and may be null); the run's id."""
    run = rest(aws, environment, "POST", f"/dags/{dag}/dagRuns", {"logical_date": None, "conf": conf})
    api = f"InvokeRestApi POST /dags/{dag}/dagRuns"
    run_id = field(run, "dag_run_id", str, api)
    print(f"Triggered {dag} on {environment}: run {printable(run_id)} is {printable(run.get('state'))}")
    return run_id


def follow(aws: Aws, environment: str, dag: str, run_id: str) -> int:
    """Each task's state as it changes until the run ends (through the REST API, which MWAA
    serves for Airflow 2 and 3 alike); a failed run ends in exit status 1 after the tail
    of each failed task's log."""
    started = time.monotonic()
    run_path = f"/dags/{dag}/dagRuns/{run_id}"
    shown: dict[str, str] = {}
    tasks: list[dict[str, Any]] = []

    def ended() -> dict[str, Any] | None:
        run = rest(aws, environment, "GET", run_path)
        state_of_run = field(run, "state", (str, type(None)), f"InvokeRestApi GET {run_path}")
        api = f"InvokeRestApi GET {run_path}/taskInstances"
        listed = field(rest(aws, environment, "GET", f"{run_path}/taskInstances"), "task_instances", list, api)
        tasks[:] = [t for t in listed if isinstance(field(t, "task_id", str, api), str)]
        for task in tasks:
            state = printable(task.get("state") or "none")
            if shown.get(task["task_id"]) != state:
                shown[task["task_id"]] = state
                print(f"  {elapsed(started)}  {printable(task['task_id']):<32} {state}", flush=True)
        return run if state_of_run in ("success", "failed") else None

    run = wait_for(ended, f"run {run_id} of {dag} to end", aws.timeouts)
    if run["state"] == "success":
        print(f"Run {run_id} of {dag} succeeded after {elapsed(started)}.")
        return 0
    failed = [t for t in tasks if t.get("state") == "failed"]
    for task in failed:
        attempt = task.get("try_number") or 1
        shown_id = printable(task["task_id"])
        print(f"--- {shown_id} (attempt {printable(attempt)}): the last {LOG_TAIL_LINES} lines of its log ---")
        for line in _log_tail(aws, environment, f"{run_path}/taskInstances/{task['task_id']}/logs/{attempt}"):
            print(f"  {line}")
    names = ", ".join(printable(t["task_id"]) for t in failed) or "no task failed; the run was marked failed"
    raise OpsError(f"run {run_id} of {dag} failed after {elapsed(started)}: {names}")


def _log_tail(aws: Aws, environment: str, path: str) -> list[str]:
    try:
        content = field(rest(aws, environment, "GET", path), "content", (str, list), f"InvokeRestApi GET {path}")
    except (OpsError, ShapeError) as err:
        return [f"(no log: {printable(err)})"]
    if isinstance(content, list):  # Airflow 3: structured lines, each possibly holding newlines itself
        text = "\n".join(str(item.get("event", item)) if isinstance(item, dict) else str(item) for item in content)
    else:  # Airflow 2: one text
        text = content
    return printable_lines(text)[-LOG_TAIL_LINES:]
