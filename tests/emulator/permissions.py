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
# S3 operations IAM authorizes under another action's name, where moto names the operation
# (Service Authorization Reference, "Actions, resources, and condition keys for Amazon S3",
# and the S3 API Reference's "Permissions" section of each operation): a policy allows
# s3:ListBucket, never s3:HeadBucket, which is no IAM action.
IAM_ACTIONS = {
    "s3:HeadBucket": "s3:ListBucket",
    "s3:ListObjects": "s3:ListBucket",
    "s3:ListObjectsV2": "s3:ListBucket",
    "s3:HeadObject": "s3:GetObject",
    "s3:SelectObject": "s3:GetObject",
    "s3:SelectObjectContent": "s3:GetObject",
    "s3:CopyObject": "s3:PutObject",
    "s3:CreateMultipartUpload": "s3:PutObject",
    "s3:UploadPart": "s3:PutObject",
    "s3:UploadPartCopy": "s3:PutObject",
    "s3:CompleteMultipartUpload": "s3:PutObject",
    "s3:DeleteObjects": "s3:DeleteObject",
    "s3:ListParts": "s3:ListMultipartUploadParts",
    "s3:ListBuckets": "s3:ListAllMyBuckets",
    "s3:GetBucketLifecycleConfiguration": "s3:GetLifecycleConfiguration",
    "s3:PutBucketLifecycleConfiguration": "s3:PutLifecycleConfiguration",
    "s3:GetBucketEncryption": "s3:GetEncryptionConfiguration",
    "s3:PutBucketEncryption": "s3:PutEncryptionConfiguration",
}


def iam_action(action: str) -> str:
    """The action IAM authorizes ``action`` (service:Operation, as moto names it) under."""
    return IAM_ACTIONS.get(action, action)


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

    return as_moto_sees_it(resolve(policy["Properties"]["PolicyDocument"], values, physical))


def as_moto_sees_it(document: dict[str, Any]) -> dict[str, Any]:
    """A resolved policy document as moto can evaluate it (see the module's docstring)."""
    return {**document, "Statement": [_statement_as_moto_sees_it(s) for s in document["Statement"]]}


def _statement_as_moto_sees_it(statement: dict[str, Any]) -> dict[str, Any]:
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
        self._action = iam_action(self._action)  # decided as IAM decides it, named as IAM names it
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


def report(denied: list[tuple[str, str]], settings: Path | None) -> list[str]:
    """One line per refused action and resource, in the order first refused, naming the
    file that grants it (``settings``: the environment's file, when it has one)."""
    seen: dict[tuple[str, str], None] = dict.fromkeys(denied)
    where = (
        f"extra_policy_statements in {settings}" if settings else "extra_policy_statements of the environment's file"
    )
    return [f"denied: {action} on {resource} — add it to {where}" for action, resource in seen]
