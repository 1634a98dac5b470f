"""The source bucket MWAA reads DAGs, requirements and plugins from.

MWAA requires versioning and a full public-access block. The bucket is
retained when the stack is deleted or the resource replaced: it holds the
DAGs and their history.
"""

from __future__ import annotations

from awacs import s3 as s3_actions
from awacs.aws import Bool, Condition, Deny, PolicyDocument, Principal, SecureTransport, Statement
from troposphere import GetAtt, Ref, Sub, Template, s3

from .settings import Settings
from .tagging import optional_tags


def add_source_bucket(template: Template, settings: Settings) -> s3.Bucket:
    bucket = template.add_resource(
        s3.Bucket(
            "EnvironmentBucket",
            DeletionPolicy="Retain",
            UpdateReplacePolicy="Retain",
            Metadata={
                "checkov": {
                    "skip": [
                        {
                            "id": "CKV_AWS_18",
                            "comment": "Holds only DAG code that CI writes with make sync; "
                            "server access logs would need "
                            "a second bucket per stack. Audit with CloudTrail S3 data events instead.",
                        }
                    ]
                }
            },
            VersioningConfiguration=s3.VersioningConfiguration(Status="Enabled"),
            PublicAccessBlockConfiguration=s3.PublicAccessBlockConfiguration(
                BlockPublicAcls=True,
                BlockPublicPolicy=True,
                IgnorePublicAcls=True,
                RestrictPublicBuckets=True,
            ),
            BucketEncryption=s3.BucketEncryption(
                ServerSideEncryptionConfiguration=[
                    s3.ServerSideEncryptionRule(
                        ServerSideEncryptionByDefault=s3.ServerSideEncryptionByDefault(SSEAlgorithm="AES256")
                    )
                ]
            ),
            OwnershipControls=s3.OwnershipControls(
                Rules=[s3.OwnershipControlsRule(ObjectOwnership="BucketOwnerEnforced")]
            ),
            **optional_tags(settings),
        )
    )
    template.add_resource(
        s3.BucketPolicy(
            "EnvironmentBucketPolicy",
            Bucket=Ref(bucket),
            PolicyDocument=PolicyDocument(
                Version="2012-10-17",
                Statement=[
                    Statement(
                        Sid="DenyInsecureTransport",
                        Effect=Deny,
                        Principal=Principal("*"),
                        Action=[s3_actions.Action("*")],
                        Resource=[GetAtt(bucket, "Arn"), Sub("${EnvironmentBucket.Arn}/*")],
                        Condition=Condition(Bool(SecureTransport, "false")),
                    )
                ],
            ),
        )
    )
    return bucket
