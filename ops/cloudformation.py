"""CloudFormation as the actions use it: a stack and its outputs, the parameter list of an
update, its events, its resources and template, and the change sets of a preview.  No
printing here: the actions say what these return."""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from typing import Any

from botocore.exceptions import ClientError, WaiterError

from .aws import Aws
from .errors import OpsError
from .intrinsics import load_template

CAPABILITIES = ["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM"]
PREVIEW_PREFIX = "mwaa-stack-preview-"
EMPTY_CHANGE_SET = ("didn't contain changes", "No updates are to be performed")


def stack_of(aws: Aws, name: str) -> dict[str, Any] | None:
    """The stack as DescribeStacks answers it, or None when there is none of that name."""
    try:
        return aws.client("cloudformation").describe_stacks(StackName=name)["Stacks"][0]
    except ClientError as err:
        if "does not exist" in str(err):
            return None
        raise


class Outputs(dict[str, str]):
    """A stack's outputs; a missing one is an error that says why, not a KeyError."""

    def __init__(self, stack: Mapping[str, Any]) -> None:
        super().__init__({o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])})
        self.stack = stack

    def __missing__(self, key: str) -> str:
        raise OpsError(
            f"stack {self.stack['StackName']} is {self.stack['StackStatus']} and has no output {key}: "
            f"{why_no_outputs(self.stack['StackStatus'])}"
        )


def why_no_outputs(status: str) -> str:
    if status in ("ROLLBACK_COMPLETE", "ROLLBACK_FAILED", "REVIEW_IN_PROGRESS"):
        return "its creation failed or never ran; `make destroy YES=1` (the bucket is kept), then `make deploy`"
    if status.endswith("_IN_PROGRESS"):
        return "it is still being changed; wait for it to finish"
    return "run `make deploy` to bring it up to date"


def outputs_of(aws: Aws, name: str) -> Outputs:
    stack = stack_of(aws, name)
    if stack is None:
        raise OpsError(f"stack {name} does not exist in {aws.region}: run `make deploy` first")
    return Outputs(stack)


def merge_parameters(
    declared: Iterable[str], given: Mapping[str, str], previous: Iterable[str]
) -> list[dict[str, Any]]:
    """The Parameters of an update: a given value where there is one, else the stack's previous
    value; a declared parameter the stack never had and nobody gave keeps its template default."""
    previous = set(previous)
    return [
        {"ParameterKey": name, "ParameterValue": given[name]}
        if name in given
        else {"ParameterKey": name, "UsePreviousValue": True}
        for name in declared
        if name in given or name in previous
    ]


def event_ids(aws: Aws, stack: str) -> set[str]:
    """The events the stack already has: a follow shows only what comes after."""
    try:
        pages = aws.client("cloudformation").get_paginator("describe_stack_events").paginate(StackName=stack)
        return {e["EventId"] for page in pages for e in page["StackEvents"]}
    except ClientError:  # no such stack yet
        return set()


def new_events(aws: Aws, stack: str, seen: set[str]) -> list[dict[str, Any]]:
    """Every event not in ``seen``.  Events come newest first, a page at a time: read pages
    until one holds an event already seen (a poll may bring more than one page)."""
    new: list[dict[str, Any]] = []
    try:
        for page in aws.client("cloudformation").get_paginator("describe_stack_events").paginate(StackName=stack):
            fresh = [e for e in page["StackEvents"] if e["EventId"] not in seen]
            new += fresh
            if len(fresh) < len(page["StackEvents"]):
                break
    except ClientError:  # a deleted stack has no events to read by name
        pass
    return new


def recent_events(aws: Aws, stack: str) -> list[dict[str, Any]]:
    """The stack's latest events (newest first), or none when the stack does not exist."""
    try:
        return aws.client("cloudformation").describe_stack_events(StackName=stack)["StackEvents"]
    except ClientError:
        return []


def resource_count(aws: Aws, stack_id: str) -> int:
    """How many resources a delete goes through: the stack's, else its template's (a stack
    whose creation failed may not list them)."""
    cfn = aws.client("cloudformation")
    try:
        return len(cfn.list_stack_resources(StackName=stack_id)["StackResourceSummaries"])
    except ClientError:
        return len(deployed_template(aws, stack_id).get("Resources", {}))


def deployed_template(aws: Aws, stack: str) -> dict[str, Any]:
    body = aws.client("cloudformation").get_template(StackName=stack)["TemplateBody"]
    return body if isinstance(body, dict) else load_template(body)


def stack_status(aws: Aws, stack_id: str) -> str:
    return aws.client("cloudformation").describe_stacks(StackName=stack_id)["Stacks"][0]["StackStatus"]


def delete_leftover_previews(aws: Aws, stack: str) -> list[str]:
    """A preview interrupted before its own clean-up leaves a change set; the names deleted."""
    cfn = aws.client("cloudformation")
    deleted = []
    for summary in cfn.list_change_sets(StackName=stack).get("Summaries", []):
        if summary["ChangeSetName"].startswith(PREVIEW_PREFIX):
            cfn.delete_change_set(StackName=stack, ChangeSetName=summary["ChangeSetName"])
            deleted.append(summary["ChangeSetName"])
    return deleted


def create_preview(aws: Aws, stack: str, template: str, parameters: list[dict[str, Any]]) -> str:
    """A change set of ``template`` against ``stack``, never executed; its name."""
    name = f"{PREVIEW_PREFIX}{int(time.time())}"
    aws.client("cloudformation").create_change_set(
        StackName=stack,
        ChangeSetName=name,
        ChangeSetType="UPDATE",
        TemplateBody=template,
        Parameters=parameters,
        Capabilities=CAPABILITIES,
    )
    return name


def finished_change_set(aws: Aws, stack: str, name: str) -> dict[str, Any] | None:
    """The change set once CloudFormation has made it (bounded by TIMEOUT), or None when it
    holds no change."""
    cfn = aws.client("cloudformation")
    try:
        cfn.get_waiter("change_set_create_complete").wait(
            StackName=stack, ChangeSetName=name, WaiterConfig=aws.timeouts.waiter(3)
        )
    except WaiterError as err:
        reason = str((err.last_response or {}).get("StatusReason", ""))
        if any(marker in reason for marker in EMPTY_CHANGE_SET):
            return None
        raise OpsError(f"change set for {stack} failed: {reason or err}") from None
    return described_change_set(aws, stack, name)


def described_change_set(aws: Aws, stack: str, name: str) -> dict[str, Any]:
    """The change set with every page of its changes and each property's before and after."""
    cfn = aws.client("cloudformation")
    answer = cfn.describe_change_set(StackName=stack, ChangeSetName=name, IncludePropertyValues=True)
    changes = list(answer.get("Changes", []))
    while answer.get("NextToken"):
        answer = cfn.describe_change_set(
            StackName=stack, ChangeSetName=name, IncludePropertyValues=True, NextToken=answer["NextToken"]
        )
        changes += answer.get("Changes", [])
    return {**answer, "Changes": changes}


def validation_events(aws: Aws, stack: str, name: str) -> list[dict[str, Any]] | None:
    """The pre-deployment validation findings of a change set (DescribeEvents), or None when
    CloudFormation answers none (a Region or partition without the feature, no permission)."""
    cfn = aws.client("cloudformation")
    found: list[dict[str, Any]] = []
    token: dict[str, str] = {}
    try:
        while True:
            answer = cfn.describe_events(StackName=stack, ChangeSetName=name, **token)
            found += [e for e in answer.get("OperationEvents", []) if e.get("EventType") == "VALIDATION_ERROR"]
            if not answer.get("NextToken"):
                return found
            token = {"NextToken": answer["NextToken"]}
    except ClientError:
        return None


def delete_change_set(aws: Aws, stack: str, name: str) -> bool:
    """Whether the change set is gone (the caller says so when not)."""
    try:
        aws.client("cloudformation").delete_change_set(StackName=stack, ChangeSetName=name)
    except ClientError:
        return False
    return True


def update_parameters(aws: Aws, stack: Mapping[str, Any], values: Mapping[str, str]) -> None:
    """The stack updated with its own template, ``values`` over its previous parameters; waits."""
    cfn = aws.client("cloudformation")
    names = [p["ParameterKey"] for p in stack.get("Parameters", [])]
    cfn.update_stack(
        StackName=stack["StackName"],
        UsePreviousTemplate=True,
        Parameters=merge_parameters(names, values, names),
        Capabilities=CAPABILITIES,
    )
    cfn.get_waiter("stack_update_complete").wait(StackName=stack["StackName"], WaiterConfig=aws.timeouts.waiter(15))


def delete_empty_stack(aws: Aws, name: str) -> None:
    """Delete a stack that holds no resource (REVIEW_IN_PROGRESS) and wait until it is gone."""
    cfn = aws.client("cloudformation")
    cfn.delete_stack(StackName=name)
    cfn.get_waiter("stack_delete_complete").wait(StackName=name, WaiterConfig=aws.timeouts.waiter(5))
