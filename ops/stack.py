"""The stack's life: deploy (through `aws cloudformation deploy`), preview a change
(`make diff`), destroy, and what to print when one of them fails."""

from __future__ import annotations

import sys
from typing import Any

from . import cloudformation, progress
from .aws import Aws
from .cloudformation import CAPABILITIES, outputs_of, stack_of, why_no_outputs
from .console import confirm, minutes, table
from .errors import OpsError
from .log_groups import check_no_foreign_groups
from .overrides import Deployment, check_rules
from .rules import known_values
from .text import printable_lines


def deploy(aws: Aws, stack: str, env: str, deployment: Deployment, role_arn: str = "") -> None:
    """Create or update ``stack`` from the checked ``deployment``, tagged with ``env``; with
    ``role_arn``, CloudFormation acts as that service role (the pipeline's deploy role holds no
    resource permission: templates/ci_roles.py), and keeps it for the stack's later updates."""
    current = stack_of(aws, stack)
    check_rules_with_previous(deployment, current)
    check_no_foreign_groups(aws, stack, deployment.body, deployment.values, current)
    if current is not None:
        _ready_for_deploy(aws, current)
    seen = cloudformation.event_ids(aws, stack)
    running = aws.cli_in_background(
        "cloudformation",
        "deploy",
        "--template-file",
        str(deployment.path),
        "--stack-name",
        stack,
        "--capabilities",
        *CAPABILITIES,
        "--no-fail-on-empty-changeset",
        *(("--role-arn", role_arn) if role_arn else ()),
        "--tags",
        "project=mwaa-stack",
        f"env={env}",
        "--parameter-overrides",
        *(f"{k}={v}" for k, v in deployment.values.items()),
    )
    environment = deployment.values.get("EnvironmentName")
    took = progress.follow_stack(aws, stack, len(deployment.body["Resources"]), running.finished, seen, environment)
    result = running.result()
    for line in printable_lines(result.stdout):
        print(line)
    if result.returncode != 0:
        failure = print_failure_events(aws, stack)
        lines = [line for line in (result.stderr or "").splitlines() if line.strip()]
        raise OpsError(f"deploy of stack {stack} failed: {failure or (lines[-1] if lines else 'see the events above')}")
    print_outputs(aws, stack, heading=f"\nStack {stack} outputs:")
    print(f"\nDeploy of {stack} finished in {minutes(took)}.")


def check_rules_with_previous(deployment: Deployment, current: dict[str, Any] | None) -> None:
    """The template's Rules on the values the stack will really have: PARAMS over the stack's
    previous values over the template's defaults (PARAMS alone were checked offline)."""
    previous = {p["ParameterKey"]: p["ParameterValue"] for p in (current or {}).get("Parameters", [])}
    declared = deployment.body.get("Parameters", {})
    values = known_values(declared, {k: v for k, v in previous.items() if k in declared}, deployment.values)
    check_rules(deployment.body, values, "the parameters (PARAMS over the stack's current values)")


def _ready_for_deploy(aws: Aws, current: dict[str, Any]) -> None:
    """Explain (or clear) the states in which `aws cloudformation deploy` would only fail."""
    name, status = current["StackName"], current["StackStatus"]
    if status == "ROLLBACK_COMPLETE":
        failure = print_failure_events(aws, name)
        raise OpsError(
            f"stack {name} is ROLLBACK_COMPLETE: its creation failed ({failure or 'see the events above'}) "
            "and it cannot be updated; `make destroy YES=1` (the bucket is kept), then deploy again"
        )
    if status == "REVIEW_IN_PROGRESS":
        # A first deploy interrupted between its change set and its execution: the stack
        # holds no resource at all, so deleting it loses nothing.
        print(
            f"Stack {name} is REVIEW_IN_PROGRESS: an earlier first deploy was interrupted before it created "
            "anything. Deleting that empty stack, then deploying."
        )
        cloudformation.delete_empty_stack(aws, name)
    elif status.endswith("_IN_PROGRESS"):
        raise OpsError(f"stack {name} is {status}: another change is running; wait for it to finish")


def print_outputs(aws: Aws, stack: str, heading: str | None = None) -> None:
    outputs = outputs_of(aws, stack)
    if not outputs:
        raise OpsError(
            f"stack {stack} is {outputs.stack['StackStatus']} and has no outputs: "
            + why_no_outputs(outputs.stack["StackStatus"])
        )
    if heading:
        print(heading)
    print(table(sorted(outputs.items()), ("Output", "Value")))


def print_failure_events(aws: Aws, name: str) -> str | None:
    """Print the stack's failed events (or its latest ones); return the latest failure's reason."""
    events = cloudformation.recent_events(aws, name)  # none when the stack does not exist at all
    failed = [e for e in events if e.get("ResourceStatus", "").endswith("FAILED")]
    rows = [
        (str(e["Timestamp"])[:19], e["LogicalResourceId"], e["ResourceStatus"], e.get("ResourceStatusReason") or "")
        for e in (failed or events[:10])
    ]
    if rows:
        print(f"\nStack {name} events{' (failures)' if failed else ''}:", file=sys.stderr)
        print(table(rows, ("Time", "Resource", "Status", "Reason")), file=sys.stderr)
    return failed[-1].get("ResourceStatusReason") if failed else None


def destroy(aws: Aws, stack: str, confirmed: bool) -> None:
    """Delete the stack and its environment; the retained source bucket and its objects stay."""
    outputs = outputs_of(aws, stack)
    bucket = outputs.get("EnvironmentBucketName", "(unknown)")
    if not confirmed:
        confirm(
            stack,
            f"Delete stack {stack} in {aws.region} and its MWAA environment?",
            f"refusing to delete stack {stack} without confirmation: run `make destroy YES=1`",
            "nothing deleted",
        )
    stack_id = outputs.stack["StackId"]
    total = cloudformation.resource_count(aws, stack_id)
    seen = cloudformation.event_ids(aws, stack_id)
    aws.client("cloudformation").delete_stack(StackName=stack)

    def deleted() -> bool:
        status = cloudformation.stack_status(aws, stack_id)
        if status == "DELETE_FAILED":
            raise OpsError(f"deleting stack {stack} failed: {print_failure_events(aws, stack_id) or 'see the events'}")
        return status == "DELETE_COMPLETE"

    environment = outputs.get("MwaaEnvironmentName")
    took = progress.follow_stack(aws, stack_id, total, deleted, seen, environment, f"stack {stack} to be deleted")
    print(f"Stack {stack} deleted in {minutes(took)}.")
    print(
        f"Kept: source bucket {bucket} and every object in it (DeletionPolicy Retain): "
        "your DAGs and their history. Empty and delete it yourself when you no longer need them."
    )
