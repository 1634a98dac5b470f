#!/usr/bin/env python3
"""Operate a deployed mwaa-stack: the helpers behind `make deploy`, `diff`, `sync`,
`ui`, `airflow`, `trigger` and `destroy`.

Deploy and DAG sync go through the AWS CLI, as a user would run them; what needs
JSON handling or the MWAA API uses boto3.  Every AWS location comes from the
stack's outputs, never from a name typed by hand.

Every failure ends in one line on stderr, ``mwaa-stack: error: ...``, and a
non-zero exit: 2 for bad input (PARAMS, CONF, a missing confirmation), 1 for
everything AWS answered or could not be asked.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shlex
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import zipfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent
DAG_PREFIX = "dags"
SYNC_EXCLUDES = ("__pycache__/*", "*.pyc", ".DS_Store")
# The MWAA CLI endpoint answers stdout and stderr but no exit status (user
# guide, "Apache Airflow CLI command reference"); these mark a failed command.
CLI_FAILURE = re.compile(r"^(Traceback \(most recent call last\)|airflow command error:|error: |\w+(\.\w+)*(Error|Exception|NotFound): )", re.M)


class OpsError(Exception):
    """A failure to report in one line; ``code`` is the exit status."""

    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.code = code


class UsageError(OpsError):
    def __init__(self, message: str) -> None:
        super().__init__(message, 2)


# --- AWS access ------------------------------------------------------------------


class Aws:
    """boto3 clients and AWS CLI runs that share one region and profile."""

    def __init__(self, region: str | None, profile: str | None) -> None:
        import boto3

        self.profile = profile or None
        try:
            self.session = boto3.Session(profile_name=self.profile, region_name=region or None)
        except Exception as err:  # botocore ProfileNotFound and friends
            raise OpsError(str(err)) from None
        if not self.session.region_name:
            raise OpsError("no AWS region: set REGION=... (or AWS_REGION / a profile with a region)")
        self.region = self.session.region_name
        if self.session.get_credentials() is None:
            raise OpsError("no AWS credentials: set PROFILE=... or configure AWS_PROFILE / AWS_ACCESS_KEY_ID")

    def client(self, service: str):  # type: ignore[no-untyped-def]
        return self.session.client(service)

    def cli(self, *args: str, capture: bool = False) -> subprocess.CompletedProcess:
        command = [sys.executable, "-m", "awscli", *args, "--region", self.region]
        if self.profile:
            command += ["--profile", self.profile]
        return subprocess.run(command, text=True, capture_output=capture,
                              stdout=None if capture else sys.stdout, stderr=None if capture else subprocess.PIPE)


def describe(error: Exception) -> str:
    """One line for anything boto3 raises."""
    from botocore.exceptions import ClientError, EndpointConnectionError, NoCredentialsError

    if isinstance(error, ClientError):
        info = error.response.get("Error", {})
        return f"{error.operation_name}: {info.get('Code')}: {info.get('Message')}"
    if isinstance(error, EndpointConnectionError):
        return f"cannot reach {error.kwargs.get('endpoint_url')}: is the network (or the emulator) up?"
    if isinstance(error, NoCredentialsError):
        return "no AWS credentials: set PROFILE=... or configure AWS_PROFILE / AWS_ACCESS_KEY_ID"
    return f"{type(error).__name__}: {error}"


def stack_of(aws: Aws, name: str) -> dict[str, Any] | None:
    from botocore.exceptions import ClientError

    try:
        return aws.client("cloudformation").describe_stacks(StackName=name)["Stacks"][0]
    except ClientError as err:
        if "does not exist" in str(err):
            return None
        raise


class Outputs(dict):
    """A stack's outputs; a missing one is an error that says why, not a KeyError."""

    def __init__(self, stack: dict) -> None:
        super().__init__({o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])})
        self.stack = stack

    def __missing__(self, key: str) -> str:
        raise OpsError(f"stack {self.stack['StackName']} is {self.stack['StackStatus']} and has no output {key}: "
                       "run `make deploy` (after `make destroy YES=1` if its creation failed)")


def outputs_of(aws: Aws, name: str) -> Outputs:
    stack = stack_of(aws, name)
    if stack is None:
        raise OpsError(f"stack {name} does not exist in {aws.region}: run `make deploy` first")
    return Outputs(stack)


def table(rows: list[tuple[str, ...]], header: tuple[str, ...]) -> str:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(str(c).ljust(w) for c, w in zip(row, widths)).rstrip() for row in [header, *rows]]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


# --- parameters -------------------------------------------------------------------


def template_parameters(template: Path) -> dict[str, dict]:
    from cfn_flip import load_yaml

    return load_yaml(template.read_text()).get("Parameters", {})


def parse_overrides(template: Path, tokens: list[str], defaults: dict[str, str]) -> dict[str, str]:
    """NAME=VALUE tokens, checked against the template's parameter constraints."""
    declared = template_parameters(template)
    values = {k: v for k, v in defaults.items() if k in declared}
    for token in tokens:
        name, sep, value = token.partition("=")
        if not sep or not name:
            raise UsageError(f"PARAMS: {token!r} is not NAME=VALUE")
        if name not in declared:
            raise UsageError(f"PARAMS: {name} is not a parameter of {template.name}; known: {', '.join(declared)}")
        values[name] = value
    for name, value in values.items():
        problem = violation(declared[name], value)
        if problem:
            raise UsageError(f"PARAMS: {name}={value!r} {problem}")
    return values


def violation(spec: dict, value: str) -> str | None:
    if "AllowedValues" in spec and value not in [str(v) for v in spec["AllowedValues"]]:
        return "must be one of " + ", ".join(str(v) for v in spec["AllowedValues"])
    if spec.get("Type") == "Number":
        try:
            number = float(value)
        except ValueError:
            return "must be a number"
        if "MinValue" in spec and number < float(spec["MinValue"]) or "MaxValue" in spec and number > float(spec["MaxValue"]):
            return f"must be between {spec.get('MinValue')} and {spec.get('MaxValue')}"
        return None
    if "AllowedPattern" in spec and not re.fullmatch(spec["AllowedPattern"], value):
        return f"must match {spec['AllowedPattern']}" + (f" ({spec['ConstraintDescription']})" if "ConstraintDescription" in spec else "")
    if not int(spec.get("MinLength", 0)) <= len(value) <= int(spec.get("MaxLength", 4096)):
        return f"must be {spec.get('MinLength', 0)}-{spec.get('MaxLength')} characters"
    return None


# --- deploy, diff, destroy ------------------------------------------------------------


def deploy(aws: Aws, args: argparse.Namespace) -> int:
    values = parse_overrides(args.template, args.params, {"EnvironmentName": args.stack, "AppEnv": args.env})
    command = [
        "cloudformation", "deploy", "--template-file", str(args.template), "--stack-name", args.stack,
        "--capabilities", "CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "--no-fail-on-empty-changeset",
        "--tags", "project=mwaa-stack", f"env={args.env}",
        "--parameter-overrides", *(f"{k}={v}" for k, v in values.items()),
    ]
    result = aws.cli(*command)
    if result.returncode != 0:
        failure = print_failure_events(aws, args.stack)
        lines = [line for line in (result.stderr or "").splitlines() if line.strip()]
        reason = failure or (lines[-1] if lines else "see the events above")
        if any("ROLLBACK_COMPLETE" in line for line in lines):
            reason = (f"it is ROLLBACK_COMPLETE: its creation failed ({failure}) and it cannot be updated; "
                      "`make destroy YES=1` (the bucket is kept), then deploy again")
        raise OpsError(f"deploy of stack {args.stack} failed: {reason}")
    print(f"\nStack {args.stack} outputs:")
    print(table(sorted(outputs_of(aws, args.stack).items()), ("Output", "Value")))
    return 0


def print_failure_events(aws: Aws, name: str) -> str | None:
    """Print the stack's failed events (or its latest ones); return the first failure's reason."""
    try:
        events = aws.client("cloudformation").describe_stack_events(StackName=name)["StackEvents"]
    except Exception:  # the stack may not exist at all; the CLI's message says why
        return None
    failed = [e for e in events if e.get("ResourceStatus", "").endswith("FAILED")]
    rows = [(str(e["Timestamp"])[:19], e["LogicalResourceId"], e["ResourceStatus"], e.get("ResourceStatusReason") or "")
            for e in (failed or events[:10])]
    if rows:
        print(f"\nStack {name} events{' (failures)' if failed else ''}:", file=sys.stderr)
        print(table(rows, ("Time", "Resource", "Status", "Reason")), file=sys.stderr)
    return failed[-1].get("ResourceStatusReason") if failed else None


def preview(aws: Aws, args: argparse.Namespace) -> int:
    """A change set against the deployed stack, listed and deleted; never executed."""
    cfn = aws.client("cloudformation")
    declared = template_parameters(args.template)
    stack = stack_of(aws, args.stack)
    if stack is None:
        from cfn_flip import load_yaml

        resources = load_yaml(args.template.read_text())["Resources"]
        print(f"Stack {args.stack} does not exist in {aws.region}; `make deploy` would create {len(resources)} resources:")
        print(table(sorted(("Add", k, v["Type"]) for k, v in resources.items()), ("Action", "Resource", "Type")))
        return 0
    given = parse_overrides(args.template, args.params, {"EnvironmentName": args.stack, "AppEnv": args.env})
    previous = {p["ParameterKey"] for p in stack.get("Parameters", [])}
    parameters = [
        {"ParameterKey": k, "ParameterValue": given[k]} if k in given else {"ParameterKey": k, "UsePreviousValue": True}
        for k in declared if k in given or k in previous
    ]
    name = f"mwaa-stack-preview-{int(time.time())}"
    cfn.create_change_set(StackName=args.stack, ChangeSetName=name, ChangeSetType="UPDATE",
                          TemplateBody=args.template.read_text(), Parameters=parameters,
                          Capabilities=["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM"])
    try:
        change_set = wait_for_change_set(cfn, args.stack, name)
        if change_set["Status"] == "FAILED":
            reason = change_set.get("StatusReason", "")
            if "didn't contain changes" in reason or "No updates" in reason:
                print(f"No changes: stack {args.stack} already matches {args.template} and these parameters.")
                return 0
            raise OpsError(f"change set for {args.stack} failed: {reason}")
        rows = [
            (c["ResourceChange"]["Action"], c["ResourceChange"]["LogicalResourceId"], c["ResourceChange"]["ResourceType"],
             c["ResourceChange"].get("Replacement") or "")
            for c in change_set.get("Changes", [])
        ]
        print(f"Changes `make deploy` would make to stack {args.stack} (Replacement as CloudFormation reports it):")
        print(table(rows, ("Action", "Resource", "Type", "Replacement")))
        return 0
    finally:
        cfn.delete_change_set(StackName=args.stack, ChangeSetName=name)


def wait_for_change_set(cfn, stack: str, name: str) -> dict:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + 600
    while True:
        change_set = cfn.describe_change_set(StackName=stack, ChangeSetName=name)
        if change_set["Status"] in ("CREATE_COMPLETE", "FAILED"):
            return change_set
        if time.monotonic() > deadline:
            raise OpsError(f"change set {name} still {change_set['Status']} after 10 minutes")
        time.sleep(3)  # AWS builds change sets asynchronously


def destroy(aws: Aws, args: argparse.Namespace) -> int:
    outputs = outputs_of(aws, args.stack)
    bucket = outputs.get("EnvironmentBucketName", "(unknown)")
    if not args.yes:
        if not sys.stdin.isatty():
            raise UsageError(f"refusing to delete stack {args.stack} without confirmation: run `make destroy YES=1`")
        answer = input(f"Delete stack {args.stack} in {aws.region} and its MWAA environment? Type the stack name: ")
        if answer.strip() != args.stack:
            raise UsageError("not confirmed; nothing deleted")
    cfn = aws.client("cloudformation")
    cfn.delete_stack(StackName=args.stack)
    cfn.get_waiter("stack_delete_complete").wait(StackName=args.stack, WaiterConfig={"Delay": 15, "MaxAttempts": 240})
    print(f"Stack {args.stack} deleted.")
    print(f"Kept: source bucket {bucket} and every object in it (DeletionPolicy Retain): "
          f"your DAGs and their history. Empty and delete it yourself when you no longer need them.")
    return 0


# --- DAG sync -------------------------------------------------------------------------


def sync(aws: Aws, args: argparse.Namespace) -> int:
    outputs = outputs_of(aws, args.stack)
    bucket, environment = outputs["EnvironmentBucketName"], outputs["MwaaEnvironmentName"]
    if not args.dags.is_dir():
        raise UsageError(f"DAGS: {args.dags} is not a folder")
    command = ["s3", "sync", str(args.dags), f"s3://{bucket}/{DAG_PREFIX}", "--no-progress"]
    for pattern in SYNC_EXCLUDES:
        command += ["--exclude", pattern]
    if args.delete:
        command.append("--delete")  # the destination is dags/ only: nothing else is touched
    result = aws.cli(*command)
    if result.returncode != 0:
        raise OpsError(f"s3 sync to s3://{bucket}/{DAG_PREFIX} failed: {(result.stderr or '').strip().splitlines()[-1:]}")
    if not args.delete:
        print(f"Synced {args.dags}/ to s3://{bucket}/{DAG_PREFIX}/ (objects only in S3 were kept; DELETE=1 removes them)")

    s3 = aws.client("s3")
    wanted: dict[str, str] = {}  # MWAA property prefix -> S3 key
    requirements = args.dags / "requirements.txt"
    if requirements.is_file():
        wanted["Requirements"] = f"{DAG_PREFIX}/requirements.txt"
    if args.plugins and args.plugins.is_dir():
        wanted["Plugins"] = upload_if_changed(aws, s3, bucket, "plugins.zip", zip_folder(args.plugins))
    if args.startup and args.startup.is_file():
        wanted["StartupScript"] = upload_if_changed(aws, s3, bucket, "startup.sh", args.startup.read_bytes())
    return point_environment_at(aws, s3, outputs.stack, environment, bucket, wanted)


def zip_folder(folder: Path) -> bytes:
    """plugins.zip with fixed timestamps, so the same files give the same bytes (and no new version)."""
    with tempfile.TemporaryFile() as handle:
        with zipfile.ZipFile(handle, "w", zipfile.ZIP_DEFLATED) as archive:
            for path in sorted(p for p in folder.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
                info = zipfile.ZipInfo(path.relative_to(folder).as_posix(), date_time=(1980, 1, 1, 0, 0, 0))
                info.external_attr = 0o644 << 16
                archive.writestr(info, path.read_bytes(), zipfile.ZIP_DEFLATED)
        handle.seek(0)
        return handle.read()


def upload_if_changed(aws: Aws, s3, bucket: str, key: str, content: bytes) -> str:  # type: ignore[no-untyped-def]
    from botocore.exceptions import ClientError

    try:
        current = s3.head_object(Bucket=bucket, Key=key)["ETag"].strip('"')
    except ClientError:
        current = None
    if current != hashlib.md5(content).hexdigest():
        with tempfile.NamedTemporaryFile(suffix=Path(key).suffix) as handle:
            handle.write(content)
            handle.flush()
            result = aws.cli("s3", "cp", handle.name, f"s3://{bucket}/{key}", "--no-progress")
        if result.returncode != 0:
            raise OpsError(f"upload of s3://{bucket}/{key} failed")
    return key


def point_environment_at(aws: Aws, s3, stack: dict, environment: str, bucket: str, wanted: dict[str, str]) -> int:  # type: ignore[no-untyped-def]
    """Make the environment use the newest object versions; MWAA ignores a changed file otherwise.

    Where the template manages a file (a ``<Name>S3ObjectVersion`` parameter), the stack is
    updated with the new version, so CloudFormation stays the source of truth; otherwise the
    environment is updated through the MWAA API (drift detection will then report it).
    """
    if not wanted:
        return 0
    mwaa = aws.client("mwaa")
    current = mwaa.get_environment(Name=environment)["Environment"]
    managed = managed_paths(aws, stack)
    through_stack: dict[str, str] = {}
    through_api: dict[str, str] = {}
    for prop, key in sorted(wanted.items()):
        if prop in managed and managed[prop] != key:
            raise OpsError(f"the template reads {prop} from {managed[prop]} but sync uploads {key}: "
                           f"set {prop_setting(prop)} = \"{key}\" in the environment's settings file")
        latest = s3.head_object(Bucket=bucket, Key=key)
        if current.get(f"{prop}S3Path") == key and current.get(f"{prop}S3ObjectVersion"):
            in_use = s3.head_object(Bucket=bucket, Key=key, VersionId=current[f"{prop}S3ObjectVersion"])
            if in_use["ETag"] == latest["ETag"]:
                continue  # same content: a new version alone is no reason to restart MWAA
        if prop in managed:
            through_stack[f"{prop}S3ObjectVersion"] = latest["VersionId"]
        else:
            through_api[f"{prop}S3Path"] = key
            through_api[f"{prop}S3ObjectVersion"] = latest["VersionId"]
    if not through_stack and not through_api:
        print(f"Environment {environment} already uses the current {', '.join(sorted(wanted.values()))}.")
        return 0
    if through_stack:
        update_stack_parameters(aws, stack, through_stack)
    if through_api:
        mwaa.update_environment(Name=environment, **through_api)
    print(f"Updating environment {environment} (MWAA restarts its components; this takes a while):")
    for name, value in sorted({**through_stack, **through_api}.items()):
        print(f"  {name} = {value}" + ("  (stack parameter)" if name in through_stack else ""))
    return 0


def prop_setting(prop: str) -> str:
    return {"Requirements": "requirements_s3_path", "Plugins": "plugins_s3_path",
            "StartupScript": "startup_script_s3_path"}[prop]


def managed_paths(aws: Aws, stack: dict) -> dict[str, str]:
    """Files the deployed template names itself: MWAA property prefix -> object key."""
    from cfn_flip import load_yaml

    declared = {p["ParameterKey"] for p in stack.get("Parameters", [])}
    body = aws.client("cloudformation").get_template(StackName=stack["StackName"])["TemplateBody"]
    template = body if isinstance(body, dict) else load_yaml(body)
    environment = next((r.get("Properties", {}) for r in template.get("Resources", {}).values()
                        if r.get("Type") == "AWS::MWAA::Environment"), {})
    paths = {}
    for prop in ("Requirements", "Plugins", "StartupScript"):
        path = environment.get(f"{prop}S3Path")
        if f"{prop}S3ObjectVersion" in declared and path is not None:
            # If(HasXVersion, "key", NoValue) or a plain key
            paths[prop] = path["Fn::If"][1] if isinstance(path, dict) and "Fn::If" in path else path
    return paths


def update_stack_parameters(aws: Aws, stack: dict, values: dict[str, str]) -> None:
    """A stack update that changes these parameters only: same template, every other value kept."""
    cfn = aws.client("cloudformation")
    parameters = [
        {"ParameterKey": p["ParameterKey"], "ParameterValue": values[p["ParameterKey"]]}
        if p["ParameterKey"] in values else {"ParameterKey": p["ParameterKey"], "UsePreviousValue": True}
        for p in stack.get("Parameters", [])
    ]
    cfn.update_stack(StackName=stack["StackName"], UsePreviousTemplate=True, Parameters=parameters,
                     Capabilities=["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM"])
    cfn.get_waiter("stack_update_complete").wait(StackName=stack["StackName"],
                                                  WaiterConfig={"Delay": 15, "MaxAttempts": 240})


# --- the Airflow UI, CLI and REST API --------------------------------------------------


def environment_of(aws: Aws, stack: str) -> dict:
    name = outputs_of(aws, stack)["MwaaEnvironmentName"]
    return aws.client("mwaa").get_environment(Name=name)["Environment"]


def airflow_major(environment: dict) -> int:
    return int(environment["AirflowVersion"].split(".")[0])


def ui(aws: Aws, args: argparse.Namespace) -> int:
    environment = environment_of(aws, args.stack)
    token = aws.client("mwaa").create_web_login_token(Name=environment["Name"])
    plugin = "/pluginsv2" if airflow_major(environment) >= 3 else ""
    url = f"https://{token['WebServerHostname']}{plugin}/aws_mwaa/aws-console-sso?login=true#{token['WebToken']}"
    print(f"Airflow UI of {environment['Name']} (the link works once, for 60 seconds):\n{url}")
    if sys.stdout.isatty() and (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY") or sys.platform == "darwin"):
        import webbrowser

        webbrowser.open(url)
    return 0


def airflow_cli(aws: Aws, environment: str, command: str) -> tuple[str, str]:
    """Run one Airflow CLI command through a CLI token; returns decoded stdout and stderr."""
    import base64

    token = aws.client("mwaa").create_cli_token(Name=environment)
    request = urllib.request.Request(
        f"https://{token['WebServerHostname']}/aws_mwaa/cli", data=command.encode(), method="POST",
        headers={"Authorization": f"Bearer {token['CliToken']}", "Content-Type": "text/plain"},
    )
    try:
        with urllib.request.urlopen(request, timeout=300) as response:
            body = json.loads(response.read())
    except urllib.error.HTTPError as err:
        raise OpsError(f"the Airflow CLI endpoint of {environment} answered {err.code}: {err.read().decode(errors='replace')[:200]}") from None
    except urllib.error.URLError as err:
        raise OpsError(f"cannot reach the Airflow web server of {environment}: {err.reason}") from None
    return base64.b64decode(body.get("stdout", "")).decode(), base64.b64decode(body.get("stderr", "")).decode()


def airflow(aws: Aws, args: argparse.Namespace) -> int:
    command = " ".join(args.command).strip()
    if not command:
        raise UsageError('CMD is empty: try make airflow CMD="dags list"')
    environment = outputs_of(aws, args.stack)["MwaaEnvironmentName"]
    out, err = airflow_cli(aws, environment, command)
    sys.stdout.write(out)
    sys.stderr.write(err)
    return 1 if CLI_FAILURE.search(err) else 0


def trigger(aws: Aws, args: argparse.Namespace) -> int:
    try:
        conf = json.loads(args.conf)
    except ValueError as err:
        raise UsageError(f"CONF is not JSON: {args.conf!r} ({err})") from None
    if not isinstance(conf, dict):
        raise UsageError(f"CONF must be a JSON object, got {args.conf!r}")
    environment = environment_of(aws, args.stack)
    if airflow_major(environment) >= 3:
        return trigger_rest(aws, environment["Name"], args.dag, conf)
    command = f"dags trigger {shlex.quote(args.dag)} --conf {shlex.quote(json.dumps(conf))}"
    out, err = airflow_cli(aws, environment["Name"], command)
    sys.stdout.write(out)
    sys.stderr.write(err)
    return 1 if CLI_FAILURE.search(err) else 0


def trigger_rest(aws: Aws, environment: str, dag: str, conf: dict) -> int:
    """Airflow 3: the REST API through InvokeRestApi (IAM-signed; no token to handle)."""
    mwaa = aws.client("mwaa")
    try:
        answer = mwaa.invoke_rest_api(Name=environment, Path=f"/dags/{dag}/dagRuns", Method="POST",
                                      Body={"logical_date": None, "conf": conf})
    except (mwaa.exceptions.RestApiClientException, mwaa.exceptions.RestApiServerException) as err:
        status = err.response.get("RestApiStatusCode")
        detail = err.response.get("RestApiResponse", {})
        raise OpsError(f"Airflow answered {status} for DAG {dag}: {json.dumps(detail.get('detail', detail))}") from None
    run = answer["RestApiResponse"]
    print(f"Triggered {dag} on {environment}: run {run.get('dag_run_id')} is {run.get('state')}")
    return 0


# --- command line ------------------------------------------------------------------------


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="ops.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("--region", default=None)
    parser.add_argument("--profile", default=None)
    parser.add_argument("--stack", required=True)
    parser.add_argument("--env", default="dev")
    sub = parser.add_subparsers(dest="action", required=True)
    for name in ("deploy", "diff"):
        p = sub.add_parser(name)
        p.add_argument("--template", type=Path, default=ROOT / "out" / "mwaa.yaml")
        p.add_argument("params", nargs="*", metavar="NAME=VALUE")
    p = sub.add_parser("sync")
    p.add_argument("--dags", type=Path, default=ROOT / "dags")
    p.add_argument("--plugins", type=Path, default=ROOT / "plugins")
    p.add_argument("--startup", type=Path, default=ROOT / "startup.sh")
    p.add_argument("--delete", action="store_true")
    sub.add_parser("outputs")
    sub.add_parser("ui")
    p = sub.add_parser("airflow")
    p.add_argument("command", nargs=argparse.REMAINDER)
    p = sub.add_parser("trigger")
    p.add_argument("--dag", required=True)
    p.add_argument("--conf", default="{}")
    p = sub.add_parser("destroy")
    p.add_argument("--yes", action="store_true")
    return parser.parse_args(argv)


ACTIONS = {
    "deploy": deploy,
    "diff": preview,
    "sync": sync,
    "outputs": lambda aws, args: print(table(sorted(outputs_of(aws, args.stack).items()), ("Output", "Value"))) or 0,
    "ui": ui,
    "airflow": airflow,
    "trigger": trigger,
    "destroy": destroy,
}


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    try:
        return ACTIONS[args.action](Aws(args.region, args.profile), args)
    except OpsError as err:
        print(f"mwaa-stack: error: {err}", file=sys.stderr)
        return err.code
    except KeyboardInterrupt:
        print("mwaa-stack: error: interrupted", file=sys.stderr)
        return 130
    except Exception as err:  # boto3/botocore: one line, not a traceback
        if type(err).__module__.startswith(("botocore", "boto3")):
            print(f"mwaa-stack: error: {describe(err)}", file=sys.stderr)
            return 1
        raise


if __name__ == "__main__":
    sys.exit(main())
