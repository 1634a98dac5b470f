"""The source bucket MWAA reads DAGs, requirements and plugins from.

MWAA requires versioning and a full public-access block. The bucket is
retained when the stack is deleted or the resource replaced: it holds the
DAGs and their history.  Noncurrent versions expire after
``noncurrent_version_days``, but the newest ten are always kept: an
environment may still be pinned to an older requirements or plugins version.

With ``source_bucket_arn`` the team brings its own bucket (versioned, every
public-access block on): nothing is created and every statement points at it.
"""

from __future__ import annotations

from dataclasses import dataclass

from awacs import s3 as s3_actions
from awacs.aws import Bool, Condition, Deny, PolicyDocument, Principal, SecureTransport, Statement
from troposphere import AWSHelperFn, GetAtt, Ref, Sub, Template, s3

from .settings import Settings
from .tagging import optional_tags

# Noncurrent versions always kept, whatever their age.
KEPT_NONCURRENT_VERSIONS = 10
ABORT_MULTIPART_UPLOADS_DAYS = 7


@dataclass(frozen=True)
class SourceBucket:
    arn: AWSHelperFn | str
    objects_arn: AWSHelperFn | str
    name: AWSHelperFn | str
    resource: s3.Bucket | None = None  # None: the team's own bucket


def add_source_bucket(template: Template, settings: Settings) -> SourceBucket:
    if settings.source_bucket_arn:
        arn = settings.source_bucket_arn
        return SourceBucket(arn=arn, objects_arn=f"{arn}/*", name=arn.split(":::", 1)[1])
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
            LifecycleConfiguration=s3.LifecycleConfiguration(
                Rules=[
                    s3.LifecycleRule(
                        Id="ExpireOldVersionsKeepNewestTen",
                        Status="Enabled",
                        NoncurrentVersionExpiration=s3.NoncurrentVersionExpiration(
                            NoncurrentDays=settings.noncurrent_version_days,
                            NewerNoncurrentVersions=KEPT_NONCURRENT_VERSIONS,
                        ),
                    ),
                    s3.LifecycleRule(
                        Id="AbortIncompleteUploads",
                        Status="Enabled",
                        AbortIncompleteMultipartUpload=s3.AbortIncompleteMultipartUpload(
                            DaysAfterInitiation=ABORT_MULTIPART_UPLOADS_DAYS
                        ),
                    ),
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
    return SourceBucket(
        arn=GetAtt(bucket, "Arn"), objects_arn=Sub(f"${{{bucket.title}.Arn}}/*"), name=Ref(bucket), resource=bucket
    )
