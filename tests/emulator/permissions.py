"""The execution role's permissions, enforced by the emulator during ``make dag-test``.

The DAG runs as an IAM user that holds exactly the execution policy of the
environment's template (intrinsics resolved for the emulator's account and region),
with moto's IAM authorization switched on: a task calling an action the policy does
not allow fails with AccessDenied, as it would on MWAA, and every refused call is
recorded for the report (``denied: <service:Action> on <resource>``).

How far this goes: moto decides on the **action** for every service, and on the
**resource** only for S3 (bucket and object ARNs); other services are authorized as
if on ``*``, so a statement of theirs is given ``Resource: *`` here and a wrong ARN in
it goes unnoticed.  Condition keys are not evaluated; explicit Deny statements apply
where the action and resource match as above.  What passes here can still fail on
MWAA for a resource or condition; what fails here fails there too (bar moto's own
gaps), and the report names the action to add.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ops.intrinsics import load_template, parameter_defaults, pseudo_parameters, resolve

ACCOUNT = "123456789012"  # moto's default account
IDENTITY = "mwaa-execution-role"
SOURCE_BUCKET = "mwaa-dag-test-source"


def execution_policy(template: Path, region: str, environment: str) -> dict[str, Any] | None:
    """The template's execution policy as moto can evaluate it; None when the template
    uses a role it does not create (its policy is not known here)."""
    body = load_template(template.read_text(encoding="utf-8"))
    policy = body.get("Resources", {}).get("MwaaExecutionPolicy")
    if policy is None:
        return None
    values = {
        **pseudo_parameters(ACCOUNT, region, environment),
        **parameter_defaults(body),
        "EnvironmentName": environment,
    }

    def physical(logical_id: str, attribute: str | None) -> str:
        kind = body["Resources"][logical_id]["Type"]
        if kind == "AWS::S3::Bucket":
            return f"arn:aws:s3:::{SOURCE_BUCKET}" if attribute == "Arn" else SOURCE_BUCKET
        if kind == "AWS::KMS::Key":
            return f"arn:aws:kms:{region}:{ACCOUNT}:key/00000000-0000-0000-0000-000000000000"
        return f"{logical_id}-{attribute or 'name'}"

    document = resolve(policy["Properties"]["PolicyDocument"], values, physical)
    return {**document, "Statement": [_as_moto_sees_it(s) for s in document["Statement"]]}


def _as_moto_sees_it(statement: dict[str, Any]) -> dict[str, Any]:
    actions = statement.get("Action", [])
    actions = [actions] if isinstance(actions, str) else actions
    if statement["Effect"] == "Allow" and "Resource" in statement and not any(a.startswith("s3:") for a in actions):
        return {**statement, "Resource": "*"}  # moto authorizes these services' calls on "*"
    return statement


def create_identity(moto_url: str, region: str, document: dict[str, Any]) -> tuple[str, str]:
    """An IAM user holding exactly ``document``; its access key id and secret."""
    import boto3

    iam = boto3.client(
        "iam", endpoint_url=moto_url, region_name=region, aws_access_key_id="testing", aws_secret_access_key="testing"
    )
    iam.create_user(UserName=IDENTITY)
    iam.put_user_policy(UserName=IDENTITY, PolicyName="MwaaExecutionPolicy", PolicyDocument=json.dumps(document))
    key = iam.create_access_key(UserName=IDENTITY)["AccessKey"]
    return key["AccessKeyId"], key["SecretAccessKey"]


@contextlib.contextmanager
def enforced() -> Iterator[list[tuple[str, str]]]:
    """moto's IAM authorization on for every request; yields the (action, resource) of each
    refused call as it happens."""
    from moto.core.authorization import enable_iam_authentication
    from moto.iam.access_control import IAMRequestBase

    denied: list[tuple[str, str]] = []
    check = IAMRequestBase.check_action_permitted

    def recording(self: Any, resource: str) -> None:
        try:
            check(self, resource)
        except Exception as err:
            if "AccessDenied" in type(err).__name__ or "denied" in str(err).lower():
                denied.append((self._action, resource))
            raise

    IAMRequestBase.check_action_permitted = recording
    try:
        with enable_iam_authentication():
            yield denied
    finally:
        IAMRequestBase.check_action_permitted = check


def report(denied: list[tuple[str, str]]) -> list[str]:
    """One line per refused action and resource, in the order first refused."""
    seen: dict[tuple[str, str], None] = dict.fromkeys(denied)
    return [f"denied: {action} on {resource} — add it to extra_policy_statements" for action, resource in seen]
