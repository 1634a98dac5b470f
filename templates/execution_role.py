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
"""

from __future__ import annotations

from dataclasses import dataclass

from awacs import airflow, cloudwatch, elasticmapreduce, kms, logs, s3, secretsmanager, sqs, sts
from awacs.aws import Allow, Condition, Deny, PolicyDocument, Principal, Statement, StringLike
from troposphere import AWSHelperFn, GetAtt, Ref, Sub, Template, iam
from troposphere import s3 as s3_resources

from .settings import Settings
from .tagging import optional_tags

ACCOUNT_ARN = "arn:${AWS::Partition}:%s:${AWS::Region}:${AWS::AccountId}:%s"


@dataclass(frozen=True)
class ExecutionRole:
    role: iam.Role
    policy: iam.ManagedPolicy


def _arn(service: str, resource: str) -> Sub:
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
            Resource=[_arn("secretsmanager", f"secret:{prefix}/*") for prefix in prefixes],
        )
    ]


def execution_policy_statements(
    settings: Settings, bucket_arn: AWSHelperFn, bucket_objects_arn: AWSHelperFn, kms_key_arn: AWSHelperFn | str | None
) -> list[Statement]:
    return [
        Statement(
            Sid="PublishEnvironmentMetrics",
            Effect=Allow,
            Action=[airflow.PublishMetrics],
            Resource=[_arn("airflow", "environment/${EnvironmentName}")],
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
            Resource=[_arn("logs", "log-group:airflow-${EnvironmentName}-*")],
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
            Resource=[_arn("elasticmapreduce", "cluster/*")],
        ),
        *secrets_statement(settings),
    ]


def add_execution_role(
    template: Template, settings: Settings, bucket: s3_resources.Bucket, kms_key_arn: AWSHelperFn | str | None = None
) -> ExecutionRole:
    role = template.add_resource(
        iam.Role(
            "MwaaExecutionRole",
            Path="/service-role/",
            AssumeRolePolicyDocument=PolicyDocument(
                Version="2012-10-17",
                Statement=[
                    Statement(
                        Effect=Allow,
                        Principal=Principal("Service", ["airflow-env.amazonaws.com", "airflow.amazonaws.com"]),
                        Action=[sts.AssumeRole],
                    )
                ],
            ),
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
                Statement=execution_policy_statements(
                    settings, GetAtt(bucket, "Arn"), Sub(f"${{{bucket.title}.Arn}}/*"), kms_key_arn
                ),
            ),
        )
    )
    return ExecutionRole(role=role, policy=policy)
