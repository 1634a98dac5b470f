"""S3 for CloudFormation: bucket settings and bucket policies.

* ``AWS::S3::Bucket`` ignored VersioningConfiguration, PublicAccessBlockConfiguration
  and LifecycleConfiguration.
* ``AWS::S3::BucketPolicy`` was skipped; it is now applied to the bucket.  moto
  enforces bucket policies without their conditions, so a ``Deny`` on
  ``aws:SecureTransport = false`` would refuse every request; the emulator is reached
  over plain HTTP where AWS is reached over TLS, so those statements are left out of
  moto's enforcement (``get-bucket-policy`` still shows them).
"""

from __future__ import annotations

import json

from .models import forget_cached_models


def apply_bucket_settings() -> None:
    from moto.s3.models import FakeBucket, s3_backends
    from moto.utilities.utils import get_partition

    create = FakeBucket.create_from_cloudformation_json.__func__

    def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
        bucket = create(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs)
        properties = cloudformation_json.get("Properties", {})
        backend = s3_backends[account_id][get_partition(region_name)]
        status = properties.get("VersioningConfiguration", {}).get("Status")
        if status:
            backend.put_bucket_versioning(bucket.name, status)
        if properties.get("PublicAccessBlockConfiguration"):
            backend.put_public_access_block(bucket.name, properties["PublicAccessBlockConfiguration"])
        rules = properties.get("LifecycleConfiguration", {}).get("Rules", [])
        if rules:  # CloudFormation's shape, bar the rule's Id, is the API's
            backend.put_bucket_lifecycle_configuration(
                bucket.name,
                [{"ID": r["Id"], "Filter": {"Prefix": ""}, **{k: v for k, v in r.items() if k != "Id"}} for r in rules],
            )
        return bucket

    FakeBucket.create_from_cloudformation_json = classmethod(create_from_cloudformation_json)


def apply_bucket_policy() -> None:
    from moto.core.common_models import CloudFormationModel
    from moto.s3.models import s3_backends

    class BucketPolicy(CloudFormationModel):
        __module__ = "moto.s3_bucket_policy_emulated"

        def __init__(self, bucket: str) -> None:
            self.bucket = bucket

        @staticmethod
        def cloudformation_type() -> str:
            return "AWS::S3::BucketPolicy"

        @property
        def physical_resource_id(self) -> str:
            return self.bucket

        @classmethod
        def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
            props = cloudformation_json["Properties"]
            document = props["PolicyDocument"]
            s3_backends[account_id]["aws"].put_bucket_policy(props["Bucket"], json.dumps(document).encode())
            return cls(props["Bucket"])

        @classmethod
        def update_from_cloudformation_json(
            cls, original_resource, new_resource_name, cloudformation_json, account_id, region_name
        ):
            return cls.create_from_cloudformation_json(new_resource_name, cloudformation_json, account_id, region_name)

        @classmethod
        def delete_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name):
            # resource_name is the physical id, the bucket's name (Properties hold an unresolved Ref).
            s3_backends[account_id]["aws"].delete_bucket_policy(resource_name)

        def delete(self, account_id: str, region_name: str) -> None:
            s3_backends[account_id]["aws"].delete_bucket_policy(self.bucket)

    forget_cached_models()

    from moto.iam.access_control import IAMPolicy, PermissionResult
    from moto.s3.models import FakeBucket

    def get_permission(self, action, resource):
        if self.policy is None:
            return PermissionResult.NEUTRAL
        document = json.loads(self.policy.decode())
        statements = document.get("Statement", [])
        statements = [
            statement
            for statement in (statements if isinstance(statements, list) else [statements])
            if statement.get("Condition") != {"Bool": {"aws:SecureTransport": "false"}}
        ]
        return IAMPolicy(json.dumps({**document, "Statement": statements})).is_action_permitted(action, resource)

    FakeBucket.get_permission = get_permission


def apply() -> None:
    apply_bucket_settings()
    apply_bucket_policy()
