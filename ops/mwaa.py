"""The MWAA API as the actions use it: the environment a stack created, its status, the
wait until an update settles, and the Airflow REST API through ``InvokeRestApi``."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, NamedTuple

from botocore.exceptions import ClientError

from templates.catalogue import TRANSITIONAL_STATUSES

from .aws import Aws, wait_for
from .bucket import Bucket
from .cloudformation import Outputs, outputs_of
from .errors import OpsError, field
from .sync_plan import dag_folder


def environment_of(aws: Aws, stack: str) -> dict[str, Any]:
    """The MWAA environment the stack created, as GetEnvironment describes it."""
    return environment_named(aws, outputs_of(aws, stack)["MwaaEnvironmentName"])


def environment_named(aws: Aws, name: str) -> dict[str, Any]:
    return aws.client("mwaa").get_environment(Name=name)["Environment"]


class StackEnvironment(NamedTuple):
    """What a release acts on (sync, rollback, make verify): the stack's outputs, its
    environment as GetEnvironment describes it, the bucket it reads its DAGs from and the
    DAG folder in it."""

    outputs: Outputs
    name: str
    environment: dict[str, Any]
    bucket: Bucket
    dag_path: str


def stack_environment(aws: Aws, stack: str) -> StackEnvironment:
    outputs = outputs_of(aws, stack)
    name = outputs["MwaaEnvironmentName"]
    environment = environment_named(aws, name)
    bucket = Bucket(aws, outputs["EnvironmentBucketName"])
    return StackEnvironment(outputs, name, environment, bucket, dag_folder(environment))


def airflow_major(environment: dict[str, Any]) -> int:
    return int(str(environment["AirflowVersion"]).split(".")[0])


def status_of(aws: Aws, name: str | None) -> str | None:
    """The environment's status, or None when there is none of that name (not created yet, or gone)."""
    if not name:
        return None
    try:
        return environment_named(aws, name).get("Status")
    except ClientError:
        return None


def settle(aws: Aws, name: str, seen: Callable[[str], None]) -> dict[str, Any]:
    """Wait (bounded by TIMEOUT) until the environment leaves MWAA's transitional statuses;
    ``seen`` hears each status once, as it changes.  The environment as it then is."""
    shown: list[str] = []

    def settled() -> dict[str, Any] | None:
        environment = environment_named(aws, name)
        status = environment.get("Status", "UNKNOWN")
        if not shown or shown[-1] != status:
            shown.append(status)
            seen(status)
        return environment if status not in TRANSITIONAL_STATUSES else None

    return wait_for(settled, f"{name} to finish updating", aws.timeouts)


def rest(
    aws: Aws,
    environment: str,
    method: str,
    path: str,
    body: dict[str, Any] | None = None,
    query: dict[str, str] | None = None,
) -> Any:
    """One Airflow REST API call through InvokeRestApi (IAM-signed; no token to handle).
    ``path`` has no /api/v1 or /api/v2 prefix: MWAA routes it to the environment's API."""
    mwaa = aws.client("mwaa")
    request: dict[str, Any] = {"Name": environment, "Path": path, "Method": method}
    if body is not None:
        request["Body"] = body
    if query is not None:
        request["QueryParameters"] = query
    try:
        return field(mwaa.invoke_rest_api(**request), "RestApiResponse", (dict, list), f"InvokeRestApi {method} {path}")
    except (mwaa.exceptions.RestApiClientException, mwaa.exceptions.RestApiServerException) as err:
        status = err.response.get("RestApiStatusCode")
        detail = err.response.get("RestApiResponse", {})
        raise OpsError(
            f"Airflow answered {status} to {method} {path}: {json.dumps(detail.get('detail', detail))}"
        ) from None
