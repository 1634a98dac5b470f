"""The environment's Airflow: a UI login URL, one CLI command through a CLI token, and
a DAG run through the REST API (Airflow 3, `InvokeRestApi`) or the CLI (Airflow 2)."""

from __future__ import annotations

import base64
import json
import os
import re
import shlex
import sys
import urllib.error
import urllib.request
from typing import Any

from .aws import Aws, OpsError, UsageError, outputs_of

# The MWAA CLI endpoint answers stdout and stderr but no exit status (user guide,
# "Apache Airflow CLI command reference"); these mark a failed command.
CLI_FAILURE = re.compile(
    r"^(Traceback \(most recent call last\)|airflow command error:|error: |\w+(\.\w+)*(Error|Exception|NotFound): )",
    re.M,
)
# Airflow's KEY_REGEX and ID length limit: what a DAG id may be, checked before it reaches a URL.
DAG_ID = re.compile(r"[A-Za-z0-9_.-]{1,250}")


def environment_of(aws: Aws, stack: str) -> dict[str, Any]:
    """The MWAA environment the stack created, as GetEnvironment describes it."""
    name = outputs_of(aws, stack)["MwaaEnvironmentName"]
    return aws.client("mwaa").get_environment(Name=name)["Environment"]


def airflow_major(environment: dict[str, Any]) -> int:
    return int(str(environment["AirflowVersion"]).split(".")[0])


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
            body = json.loads(response.read())
    except urllib.error.HTTPError as err:
        detail = err.read().decode(errors="replace")[:200]
        raise OpsError(f"the Airflow CLI endpoint of {environment} answered {err.code}: {detail}") from None
    except urllib.error.URLError as err:
        raise OpsError(f"cannot reach the Airflow web server of {environment} at {url}: {err.reason}") from None
    except TimeoutError:
        raise OpsError(f"{url} did not answer within {aws.timeouts.read:g} s (READ_TIMEOUT=... raises it)") from None
    except ValueError:
        raise OpsError(f"{url} did not answer with JSON: is it an MWAA web server?") from None
    return base64.b64decode(body.get("stdout", "")).decode(), base64.b64decode(body.get("stderr", "")).decode()


def run_cli(aws: Aws, stack: str, command: str) -> int:
    """`make airflow`: exit 1 when stderr shows that the command failed, else 0."""
    command = command.strip()
    if not command:
        raise UsageError('CMD is empty: try make airflow CMD="dags list"')
    environment = outputs_of(aws, stack)["MwaaEnvironmentName"]
    out, err = cli(aws, environment, command)
    sys.stdout.write(out)
    sys.stderr.write(err)
    return 1 if CLI_FAILURE.search(err) else 0


def parse_conf(text: str) -> dict[str, Any]:
    try:
        conf = json.loads(text or "{}")
    except ValueError as err:
        raise UsageError(f"CONF is not JSON: {text!r} ({err})") from None
    if not isinstance(conf, dict):
        raise UsageError(f"CONF must be a JSON object, got {text!r}")
    return conf


def check_dag_id(dag: str) -> str:
    if not DAG_ID.fullmatch(dag):
        raise UsageError(f"DAG={dag!r} is not a DAG id: 1-250 letters, digits, '_', '.' or '-'")
    return dag


def trigger(aws: Aws, stack: str, dag: str, conf: dict[str, Any]) -> int:
    """Start a run of ``dag`` (checked by ``check_dag_id``) with ``conf`` (from ``parse_conf``)."""
    environment = environment_of(aws, stack)
    if airflow_major(environment) >= 3:
        return _trigger_rest(aws, environment["Name"], dag, conf)
    command = f"dags trigger {shlex.quote(dag)} --conf {shlex.quote(json.dumps(conf))}"
    out, err = cli(aws, environment["Name"], command)
    sys.stdout.write(out)
    sys.stderr.write(err)
    return 1 if CLI_FAILURE.search(err) else 0


def rest(aws: Aws, environment: str, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
    """One Airflow REST API call through InvokeRestApi (IAM-signed; no token to handle).
    ``path`` has no /api/v1 or /api/v2 prefix: MWAA routes it to the environment's API."""
    mwaa = aws.client("mwaa")
    request: dict[str, Any] = {"Name": environment, "Path": path, "Method": method}
    if body is not None:
        request["Body"] = body
    try:
        return mwaa.invoke_rest_api(**request)["RestApiResponse"]
    except (mwaa.exceptions.RestApiClientException, mwaa.exceptions.RestApiServerException) as err:
        status = err.response.get("RestApiStatusCode")
        detail = err.response.get("RestApiResponse", {})
        raise OpsError(
            f"Airflow answered {status} to {method} {path}: {json.dumps(detail.get('detail', detail))}"
        ) from None


def _trigger_rest(aws: Aws, environment: str, dag: str, conf: dict[str, Any]) -> int:
    """Airflow 3: the REST API (``logical_date`` is required and may be null)."""
    run = rest(aws, environment, "POST", f"/dags/{dag}/dagRuns", {"logical_date": None, "conf": conf})
    print(f"Triggered {dag} on {environment}: run {run.get('dag_run_id')} is {run.get('state')}")
    return 0
