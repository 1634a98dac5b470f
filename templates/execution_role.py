"""The execution role MWAA's containers run as, and its managed policy.

Every statement is an awacs object; every ARN is built with the partition,
region and account pseudo parameters so the template works in any partition
and region, and no role or policy name is fixed (a fixed name collides when
the stack is deployed a second time in the same account).

Differences from the quick start's policy, on purpose:
- ``airflow:PublishMetrics`` names the environment the stack really creates.
- Log groups are ``airflow-<EnvironmentName>-*``, the names MWAA creates.
- S3 read access lists exact actions instead of ``s3:GetObject*``,
  ``s3:GetBucket*`` and ``s3:List*``: the wildcards expand to access-point and
  account-level actions that cannot apply to a bucket ARN.
- The ``s3:ListAllMyBuckets`` Deny is on ``*``: that action only exists on
  ``*``, so the quick start's Deny on the bucket ARN never matched anything.
- ``s3:GetAccountPublicAccessBlock`` is allowed (user guide): MWAA checks the
  account's public-access block before it reads the bucket.
- The workflow's EMR actions are allowed on this account's and region's
  clusters only.
- With a customer managed key the KMS statement names that key (no
  NotResource), used through SQS and S3 only; with the Secrets Manager backend
  the role reads secrets under the two configured prefixes and nothing else.
- The trust policy names this account and this environment (``aws:SourceAccount``,
  ``aws:SourceArn``), as the user guide's "Cross-service confused deputy
  prevention" page recommends for the execution role.

Extension points: ``extra_policy_statements`` (checked in ``extra_statements.py``)
join the managed policy; ``managed_policy_arns`` and ``permissions_boundary_arn``
go on the role.  With ``execution_role_arn`` nothing here is created: the team's
role must allow what :func:`execution_policy_statements` lists (README).
"""

from __future__ import annotations

from dataclasses import dataclass

import awacs.aws
from awacs import airflow, cloudwatch, elasticmapreduce, kms, logs, s3, secretsmanager, sqs, sts
from awacs.aws import (
    Action,
    Allow,
    ArnLike,
    Condition,
    Deny,
    PolicyDocument,
    Principal,
    Statement,
    StringEquals,
    StringLike,
)
from troposphere import AWSHelperFn, GetAtt, Ref, Sub, Template, iam

from .bucket import SourceBucket
from .errors import SettingsError
from .extra_statements import VARIABLE, ExtraStatement
from .settings import Settings
from .tagging import optional_tags

ACCOUNT_ARN = "arn:${AWS::Partition}:%s:${AWS::Region}:${AWS::AccountId}:%s"


@dataclass(frozen=True)
class ExecutionRole:
    arn: AWSHelperFn | str
    role: iam.Role | None = None  # None: the team's own role (execution_role_arn)
    policy: iam.ManagedPolicy | None = None


def account_arn(service: str, resource: str) -> Sub:
    """An ARN of ``service`` in this account and Region (the CI roles' policies use it too)."""
    return Sub(ACCOUNT_ARN % (service, resource))


KMS_ACTIONS = [kms.Decrypt, kms.DescribeKey, kms.Action("GenerateDataKey*"), kms.Encrypt]


def kms_statement(kms_key_arn: AWSHelperFn | str | None) -> Statement:
    if kms_key_arn is None:
        # With the AWS-owned key the queue's key is in MWAA's account: allow any
        # key that is *not* one of ours, and only when SQS uses it for us.
        return Statement(
            Sid="UseAwsOwnedQueueKey",
            Effect=Allow,
            Action=KMS_ACTIONS,
            NotResource=[Sub("arn:${AWS::Partition}:kms:*:${AWS::AccountId}:key/*")],
            Condition=Condition(StringLike("kms:ViaService", [Sub("sqs.${AWS::Region}.amazonaws.com")])),
        )
    return Statement(
        Sid="UseEnvironmentKey",
        Effect=Allow,
        Action=KMS_ACTIONS,
        Resource=[kms_key_arn],
        Condition=Condition(
            StringLike(
                "kms:ViaService", [Sub("sqs.${AWS::Region}.amazonaws.com"), Sub("s3.${AWS::Region}.amazonaws.com")]
            )
        ),
    )


def secrets_statement(settings: Settings) -> list[Statement]:
    if not settings.secrets_backend:
        return []
    prefixes = sorted({settings.secrets_connections_prefix, settings.secrets_variables_prefix})
    return [
        Statement(
            # The trailing * covers the random suffix Secrets Manager adds to ARNs.
            Sid="ReadAirflowSecrets",
            Effect=Allow,
            Action=[secretsmanager.DescribeSecret, secretsmanager.GetSecretValue],
            Resource=[account_arn("secretsmanager", f"secret:{prefix}/*") for prefix in prefixes],
        )
    ]


def execution_policy_statements(
    settings: Settings, bucket_arn: AWSHelperFn, bucket_objects_arn: AWSHelperFn, kms_key_arn: AWSHelperFn | str | None
) -> list[Statement]:
    own = _own_statements(settings, bucket_arn, bucket_objects_arn, kms_key_arn)
    return [*own, *extra_statements(settings, own)]


def extra_statements(settings: Settings, own: list[Statement]) -> list[Statement]:
    """The team's statements, refused when one reuses a Sid of the template's own (the Sids
    are read from the statements themselves, so there is no list to keep in step)."""
    sids = [st.Sid for st in own if getattr(st, "Sid", None)]
    for extra in settings.extra_policy_statements:
        if extra.sid in sids:
            raise SettingsError(
                "extra_policy_statements",
                extra.sid,
                "sids must be unique and not one of the template's own: " + ", ".join(sids),
            )
    return [extra_statement(s) for s in settings.extra_policy_statements]


def _own_statements(
    settings: Settings, bucket_arn: AWSHelperFn, bucket_objects_arn: AWSHelperFn, kms_key_arn: AWSHelperFn | str | None
) -> list[Statement]:
    return [
        Statement(
            Sid="PublishEnvironmentMetrics",
            Effect=Allow,
            Action=[airflow.PublishMetrics],
            Resource=[account_arn("airflow", "environment/${EnvironmentName}")],
        ),
        Statement(Sid="NoBucketListing", Effect=Deny, Action=[s3.ListAllMyBuckets], Resource=["*"]),
        Statement(
            Sid="ReadSourceBucket",
            Effect=Allow,
            Action=[
                s3.GetBucketLocation,
                s3.GetBucketPublicAccessBlock,
                s3.GetBucketVersioning,
                s3.GetEncryptionConfiguration,
                s3.ListBucket,
                s3.ListBucketVersions,
            ],
            Resource=[bucket_arn],
        ),
        Statement(
            Sid="ReadSourceObjects",
            Effect=Allow,
            Action=[s3.GetObject, s3.GetObjectVersion],
            Resource=[bucket_objects_arn],
        ),
        Statement(
            Sid="CheckAccountPublicAccessBlock",
            Effect=Allow,
            Action=[s3.GetAccountPublicAccessBlock],
            Resource=["*"],
        ),
        Statement(
            Sid="UseEnvironmentLogs",
            Effect=Allow,
            Action=[
                logs.CreateLogGroup,
                logs.CreateLogStream,
                logs.GetLogEvents,
                logs.GetLogGroupFields,
                logs.GetLogRecord,
                logs.GetQueryResults,
                logs.PutLogEvents,
            ],
            Resource=[account_arn("logs", "log-group:airflow-${EnvironmentName}-*")],
        ),
        Statement(
            # Listing log groups has no resource-level permissions.
            Sid="ListLogGroups",
            Effect=Allow,
            Action=[logs.DescribeLogGroups],
            Resource=["*"],
        ),
        Statement(Sid="PublishMetrics", Effect=Allow, Action=[cloudwatch.PutMetricData], Resource=["*"]),
        Statement(
            # MWAA owns the Celery queue; it lives in an account of the service's.
            Sid="UseCeleryQueue",
            Effect=Allow,
            Action=[
                sqs.ChangeMessageVisibility,
                sqs.DeleteMessage,
                sqs.GetQueueAttributes,
                sqs.GetQueueUrl,
                sqs.ReceiveMessage,
                sqs.SendMessage,
            ],
            Resource=[Sub("arn:${AWS::Partition}:sqs:${AWS::Region}:*:airflow-celery-*")],
        ),
        kms_statement(kms_key_arn),
        Statement(
            # The workflow (dags/): EmrAddStepsOperator adds steps, EmrStepSensor
            # polls them, both read the cluster for its log location.  The cluster
            # id is a run-time parameter, so the account's clusters are the scope.
            Sid="RunEmrSteps",
            Effect=Allow,
            Action=[elasticmapreduce.AddJobFlowSteps, elasticmapreduce.DescribeCluster, elasticmapreduce.DescribeStep],
            Resource=[account_arn("elasticmapreduce", "cluster/*")],
        ),
        *secrets_statement(settings),
    ]


def _substituted(text: str) -> Sub | str:
    return Sub(text) if VARIABLE.search(text) else text


def extra_statement(extra: ExtraStatement) -> Statement:
    optional: dict[str, object] = {}
    if extra.conditions:
        optional["Condition"] = Condition(
            [
                getattr(awacs.aws, operator.replace(":", ""))(key, [_substituted(v) for v in values])
                for operator, tests in sorted(extra.conditions.items())
                for key, values in sorted(tests.items())
            ]
        )
    return Statement(
        Sid=extra.sid,
        Effect=Allow if extra.effect == "Allow" else Deny,
        Action=[Action(*action.split(":", 1)) for action in extra.actions],
        Resource=[_substituted(r) for r in extra.resources],
        **optional,
    )


def trust_policy() -> PolicyDocument:
    return PolicyDocument(
        Version="2012-10-17",
        Statement=[
            Statement(
                Effect=Allow,
                Principal=Principal("Service", ["airflow-env.amazonaws.com", "airflow.amazonaws.com"]),
                Action=[sts.AssumeRole],
                Condition=Condition(
                    [
                        ArnLike("aws:SourceArn", account_arn("airflow", "environment/${EnvironmentName}")),
                        StringEquals("aws:SourceAccount", Ref("AWS::AccountId")),
                    ]
                ),
            )
        ],
    )


def add_execution_role(
    template: Template, settings: Settings, bucket: SourceBucket, kms_key_arn: AWSHelperFn | str | None = None
) -> ExecutionRole:
    if settings.execution_role_arn:
        return ExecutionRole(arn=settings.execution_role_arn)
    optional: dict[str, object] = {}
    if settings.managed_policy_arns:
        optional["ManagedPolicyArns"] = [_substituted(arn) for arn in settings.managed_policy_arns]
    if settings.permissions_boundary_arn:
        optional["PermissionsBoundary"] = _substituted(settings.permissions_boundary_arn)
    role = template.add_resource(
        iam.Role(
            "MwaaExecutionRole",
            Path="/service-role/",
            AssumeRolePolicyDocument=trust_policy(),
            **optional,
            **optional_tags(settings),
        )
    )
    policy = template.add_resource(
        iam.ManagedPolicy(
            "MwaaExecutionPolicy",
            Description=Sub("Execution policy of the MWAA environment ${EnvironmentName}"),
            Roles=[Ref(role)],
            PolicyDocument=PolicyDocument(
                Version="2012-10-17",
                Statement=execution_policy_statements(settings, bucket.arn, bucket.objects_arn, kms_key_arn),
            ),
        )
    )
    return ExecutionRole(arn=GetAtt(role, "Arn"), role=role, policy=policy)
