"""A customer managed KMS key for the environment, when the settings ask for one.

MWAA encrypts its metadata database, logs and queue with it; the key cannot be
changed after creation (the environment is replaced).  The key policy lets the
account administer the key through IAM and lets CloudWatch Logs use it for
this account's log groups only, as MWAA requires (user guide, "Using customer
managed keys for encryption").  Rotation is on.
"""

from __future__ import annotations

from awacs import kms
from awacs.aws import Allow, ArnLike, Condition, PolicyDocument, Principal, Statement
from troposphere import AWSHelperFn, GetAtt, Sub, Template
from troposphere import kms as kms_resources

from .settings import Settings
from .tagging import optional_tags


def add_kms_key(template: Template, settings: Settings) -> AWSHelperFn | str | None:
    """The key ARN MWAA and the execution role use, or None for the AWS-owned key."""
    if not settings.kms_key:
        return None
    if settings.kms_key != "create":
        return settings.kms_key
    key = template.add_resource(
        kms_resources.Key(
            "MwaaKmsKey",
            Description=Sub("Encrypts the MWAA environment ${EnvironmentName}"),
            EnableKeyRotation=True,
            DeletionPolicy="Retain",  # logs and backups written with it stay readable
            UpdateReplacePolicy="Retain",
            KeyPolicy=PolicyDocument(
                Version="2012-10-17",
                Statement=[
                    Statement(
                        Sid="AccountAdministersKeyThroughIam",
                        Effect=Allow,
                        Principal=Principal("AWS", Sub("arn:${AWS::Partition}:iam::${AWS::AccountId}:root")),
                        Action=[kms.Action("*")],
                        Resource=["*"],
                    ),
                    Statement(
                        Sid="CloudWatchLogsEncryptsThisAccountsLogs",
                        Effect=Allow,
                        Principal=Principal("Service", Sub("logs.${AWS::Region}.amazonaws.com")),
                        Action=[
                            kms.Action("Encrypt*"),
                            kms.Action("Decrypt*"),
                            kms.Action("ReEncrypt*"),
                            kms.Action("GenerateDataKey*"),
                            kms.Action("Describe*"),
                        ],
                        Resource=["*"],
                        Condition=Condition(
                            ArnLike(
                                "kms:EncryptionContext:aws:logs:arn",
                                Sub("arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:*"),
                            )
                        ),
                    ),
                ],
            ),
            **optional_tags(settings),
        )
    )
    return GetAtt(key, "Arn")
