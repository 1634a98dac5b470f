"""`make diff`'s second half: what `make deploy` would change in the deployed stack, from a
change set that is always deleted, never executed.  CloudFormation's own answer: each
resource's action and replacement, each property's value before and after
(``IncludePropertyValues``), and its pre-deployment validation of the change set
(DescribeEvents; CloudFormation User Guide, "Validate stack deployments").  Every value
comes from AWS and is printed through ``printable``."""

from __future__ import annotations

import sys
from typing import Any

from . import cloudformation
from .aws import Aws
from .cloudformation import merge_parameters, stack_of
from .console import table
from .errors import OpsError
from .log_groups import check_no_foreign_groups
from .overrides import Deployment
from .stack import check_rules_with_previous
from .text import printable

VALUE_LIMIT = 200  # of one property value shown; a policy document is summarised, not dumped


def preview(aws: Aws, stack: str, deployment: Deployment) -> None:
    current = stack_of(aws, stack)
    check_rules_with_previous(deployment, current)
    check_no_foreign_groups(aws, stack, deployment.body, deployment.values, current)
    if current is None:
        resources = deployment.body["Resources"]
        print(f"Stack {stack} does not exist in {aws.region}; `make deploy` would create {len(resources)} resources:")
        print(table(sorted(("Add", k, v["Type"]) for k, v in resources.items()), ("Action", "Resource", "Type")))
        return
    for leftover in cloudformation.delete_leftover_previews(aws, stack):
        print(f"(deleted change set {leftover}, left by an interrupted `make diff`)")
    previous = [p["ParameterKey"] for p in current.get("Parameters", [])]
    parameters = merge_parameters(deployment.body.get("Parameters", {}), deployment.values, previous)
    name = cloudformation.create_preview(aws, stack, deployment.text, parameters)
    try:
        try:
            change_set = cloudformation.finished_change_set(aws, stack, name)
        except OpsError:
            print_validation(aws, stack, name, file=sys.stderr)  # why it failed, where CloudFormation says
            raise
        if change_set is None:
            print(f"No changes: stack {stack} already matches {deployment.path} and these parameters.")
            return
        changes = [c["ResourceChange"] for c in change_set.get("Changes", [])]
        rows = [(c["Action"], c["LogicalResourceId"], c["ResourceType"], c.get("Replacement") or "") for c in changes]
        print(f"Changes `make deploy` would make to stack {stack} (Replacement as CloudFormation reports it):")
        print(table(rows, ("Action", "Resource", "Type", "Replacement")))
        print_values(changes)
        print_validation(aws, stack, name)
    finally:
        # Reported, not raised: the preview's own error matters more.
        if not cloudformation.delete_change_set(aws, stack, name):
            print(f"(could not delete change set {name}; the next `make diff` deletes it)", file=sys.stderr)


def value_lines(change: dict[str, Any]) -> list[str]:
    """One line per changed property: path, before → after, and whether it recreates."""
    lines = []
    for detail in change.get("Details", []):
        target = detail.get("Target") or {}
        if target.get("Attribute") != "Properties":
            continue  # tags and metadata: the table's row says enough
        path = target.get("Path") or f"/Properties/{target.get('Name', '?')}"
        before = printable(target["BeforeValue"], VALUE_LIMIT) if "BeforeValue" in target else "(none)"
        after = printable(target["AfterValue"], VALUE_LIMIT) if "AfterValue" in target else "(none)"
        recreation = target.get("RequiresRecreation")
        why = f" (recreation: {printable(recreation)})" if recreation and recreation != "Never" else ""
        lines.append(f"    {printable(path)}: {before} -> {after}{why}")
    return lines


def print_values(changes: list[dict[str, Any]]) -> None:
    shown = [(c, value_lines(c)) for c in changes if c.get("Action") == "Modify"]
    shown = [(c, lines) for c, lines in shown if lines]
    if not shown:
        return
    print("\nProperty values, before -> after (as CloudFormation reports them):")
    for change, lines in shown:
        print(f"  {printable(change['LogicalResourceId'])}")
        print("\n".join(lines))


def validation_lines(events: list[dict[str, Any]]) -> list[str]:
    lines = []
    for event in events:
        mode = printable(event.get("ValidationFailureMode") or "?")
        status = printable(event.get("ValidationStatus") or "?")
        where = printable(event.get("ValidationPath") or event.get("LogicalResourceId") or "the template")
        reason = printable(event.get("ValidationStatusReason") or "no reason given")
        lines.append(f"  {mode} ({status}) {printable(event.get('ValidationName') or '?')} at {where}: {reason}")
    return lines


def print_validation(aws: Aws, stack: str, name: str, file: Any = None) -> None:
    events = cloudformation.validation_events(aws, stack, name)
    if events is None:
        print("\nPre-deployment validation: CloudFormation gave no results for this change set.", file=file)
    elif not events:
        print("\nPre-deployment validation: no findings.", file=file)
    else:
        print("\nPre-deployment validation (FAIL stops the deploy; WARN does not):", file=file)
        print("\n".join(validation_lines(events)), file=file)
