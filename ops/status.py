"""`make status` and `make drift`: what the environment is, and how the stack differs from
what its template says.

status: one screen from GetEnvironment (status, version, size, last update with its
error, UI) and the scheduler's health from the Airflow REST API through InvokeRestApi.
drift: CloudFormation drift detection, bounded by TIMEOUT, each drifted resource with
its properties; the drift ``make sync`` itself causes (object versions set through the
MWAA API) is named as expected.
"""

from __future__ import annotations

from typing import Any

from templates.catalogue import S3_FILES

from .aws import Aws, wait_for
from .cloudformation import outputs_of
from .console import table
from .errors import OpsError, ShapeError, field
from .mwaa import airflow_major, environment_of, rest
from .text import printable

# What `make sync` changes through the MWAA API when the template does not name the file.
SYNC_PROPERTIES = {name for file in S3_FILES for name in (file.path_property, file.version_property)}


def status(aws: Aws, stack: str) -> int:
    environment = environment_of(aws, stack)
    last = environment.get("LastUpdate") or {}
    error = last.get("Error") or {}
    rows = [
        ("Environment", f"{environment['Name']} ({environment.get('Status', 'unknown')})"),
        ("Airflow", str(environment.get("AirflowVersion", ""))),
        ("Class", str(environment.get("EnvironmentClass", ""))),
        ("Workers", f"{environment.get('MinWorkers', '?')}-{environment.get('MaxWorkers', '?')}"),
        ("Schedulers", str(environment.get("Schedulers", "?"))),
        ("Web servers", f"{environment.get('MinWebservers', '?')}-{environment.get('MaxWebservers', '?')}"),
        ("Last update", _last_update(last, error)),
        ("UI", f"https://{environment['WebserverUrl']}" if environment.get("WebserverUrl") else "none yet"),
        ("Scheduler", _scheduler_health(aws, environment)),
    ]
    width = max(len(k) for k, _ in rows)
    for key, value in rows:
        print(f"{key:<{width}}  {printable(value)}")
    return 0


def _last_update(last: dict[str, Any], error: dict[str, Any]) -> str:
    if not last:
        return "none"
    when = last.get("CreatedAt")
    text = f"{last.get('Status', '?')} at {when.isoformat() if hasattr(when, 'isoformat') else when}"
    if last.get("Source"):
        text += f" ({last['Source']})"
    if error:
        text += f": {error.get('ErrorCode', '')} {error.get('ErrorMessage', '')}".rstrip()
    return text


def _scheduler_health(aws: Aws, environment: dict[str, Any]) -> str:
    if environment.get("Status") != "AVAILABLE":
        return f"not asked: the environment is {environment.get('Status')}"
    path = "/monitor/health" if airflow_major(environment) >= 3 else "/health"
    try:
        scheduler = field(rest(aws, environment["Name"], "GET", path), "scheduler", dict, f"InvokeRestApi GET {path}")
    except (OpsError, ShapeError) as err:
        return f"unknown: {err}"
    heartbeat = scheduler.get("latest_scheduler_heartbeat")
    return f"{scheduler.get('status', 'unknown')}" + (f" (last heartbeat {heartbeat})" if heartbeat else "")


def drift(aws: Aws, stack: str) -> int:
    outputs_of(aws, stack)  # the one message for a missing or failed stack
    cfn = aws.client("cloudformation")
    detection = cfn.detect_stack_drift(StackName=stack)["StackDriftDetectionId"]

    def detected() -> dict[str, Any] | None:
        found = cfn.describe_stack_drift_detection_status(StackDriftDetectionId=detection)
        return None if found["DetectionStatus"] == "DETECTION_IN_PROGRESS" else found

    found = wait_for(detected, f"drift detection of {stack}", aws.timeouts)
    if found["DetectionStatus"] == "DETECTION_FAILED":
        raise OpsError(f"drift detection of {stack} failed: {found.get('DetectionStatusReason', 'no reason given')}")
    drifts = cfn.describe_stack_resource_drifts(
        StackName=stack, StackResourceDriftStatusFilters=["MODIFIED", "DELETED"]
    )["StackResourceDrifts"]
    if not drifts:
        print(f"Stack {stack}: no drift; every checked resource matches its template.")
        return 0
    rows = []
    expected = False
    for item in sorted(drifts, key=lambda d: d["LogicalResourceId"]):
        paths = [d["PropertyPath"].lstrip("/") for d in item.get("PropertyDifferences", [])]
        rows.append(
            (item["LogicalResourceId"], item["ResourceType"], item["StackResourceDriftStatus"], ", ".join(paths))
        )
        expected |= item["ResourceType"] == "AWS::MWAA::Environment" and bool(paths) and set(paths) <= SYNC_PROPERTIES
    print(f"Stack {stack} has drifted ({found.get('DriftedStackResourceCount', len(drifts))} resource(s)):")
    print(table(rows, ("Resource", "Type", "Drift", "Properties")))
    if expected:
        print(
            "Expected: `make sync` points the environment at new requirements, plugins or startup script "
            "versions through the MWAA API when the template does not name them; name them in the settings "
            "(requirements_s3_path...) to have the stack carry the versions instead."
        )
    return 0 if expected and len(drifts) == 1 else 1
