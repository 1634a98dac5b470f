"""Log groups the template would create that MWAA made already.

With ``log_retention_days`` the template creates the ``airflow-<EnvironmentName>-<Module>``
groups (``templates/logs.py``).  On an environment that already runs, MWAA created those
groups itself, outside the stack, and CloudFormation cannot create a group that exists: the
update would fail half-way, 20 minutes in.  Found here before any change, by name, with
the way out (README, "Log retention on an environment that already exists").
"""

from __future__ import annotations

from typing import Any

from .aws import Aws
from .errors import OpsError
from .intrinsics import parameter_defaults, resolve


def planned_groups(body: dict[str, Any], values: dict[str, str]) -> dict[str, str]:
    """Logical id -> group name of each log group the template creates, for these parameter values."""
    groups = {}
    for logical_id, resource in body.get("Resources", {}).items():
        name = (
            resource.get("Properties", {}).get("LogGroupName")
            if resource.get("Type") == "AWS::Logs::LogGroup"
            else None
        )
        if name is not None:
            resolved = resolve(name, values, lambda *_: "")
            if isinstance(resolved, str) and resolved:
                groups[logical_id] = resolved
    return groups


def check_no_foreign_groups(
    aws: Aws, stack: str, body: dict[str, Any], overrides: dict[str, str], current: dict[str, Any] | None
) -> None:
    """Stop when a group the template creates exists in the account but not in ``stack``."""
    previous = {p["ParameterKey"]: p["ParameterValue"] for p in (current or {}).get("Parameters", [])}
    values = {**parameter_defaults(body), **previous, **overrides}
    planned = planned_groups(body, values)
    if not planned:
        return
    owned: set[str] = set()
    if current is not None:
        pages = aws.client("cloudformation").get_paginator("list_stack_resources").paginate(StackName=stack)
        owned = {
            r.get("PhysicalResourceId", "")
            for page in pages
            for r in page["StackResourceSummaries"]
            if r["ResourceType"] == "AWS::Logs::LogGroup"
        }
    logs = aws.client("logs")
    existing: set[str] = set()
    for prefix in sorted({name.rsplit("-", 1)[0] + "-" for name in planned.values()}):
        for page in logs.get_paginator("describe_log_groups").paginate(logGroupNamePrefix=prefix):
            existing |= {g["logGroupName"] for g in page.get("logGroups", [])}
    foreign = sorted(name for name in planned.values() if name in existing and name not in owned)
    if foreign:
        raise OpsError(
            f"log group(s) {', '.join(foreign)} already exist outside stack {stack} (MWAA made them for a running "
            "environment) and CloudFormation cannot create a group that exists; import them into the stack first "
            '(README, "Log retention on an environment that already exists"), or build with log_retention_days = 0'
        )
