"""The MWAA environment as a CloudFormation resource, and the backend that holds them.

Stock moto skips ``AWS::MWAA::Environment`` silently.  This model checks what MWAA
checks at creation (role, versioned bucket with every public-access block, two
subnets in two zones, security groups) and exposes Ref, Arn, WebserverUrl, the
endpoint services and each log type's ``LoggingConfiguration.<Logs>.CloudWatchLogGroupArn``
(the ``airflow-<name>-<Module>`` groups MWAA writes to); the environments live in
``mwaa_backend``, which the MWAA API (``responses``) serves.
"""

from __future__ import annotations

import time
from typing import Any

from templates.catalogue import LOG_MODULES

from ..patches.models import forget_cached_models


class MwaaBackend:
    """Every emulated environment, keyed by (account, region, name).

    An update through the MWAA API answers ``statuses`` to successive GetEnvironment calls
    (UPDATING ``polls`` times unless a test scripts others, such as CREATING_SNAPSHOT), then
    ends AVAILABLE, or UPDATE_FAILED with ``error`` (ErrorCode, ErrorMessage), or ``final``
    when a test scripted one (``script_update``).
    """

    def __init__(self) -> None:
        self.environments: dict[tuple[str, str, str], Any] = {}
        self.script_update()

    def script_update(
        self,
        polls: int = 1,
        error: tuple[str, str] | None = None,
        statuses: tuple[str, ...] | None = None,
        final: str | None = None,
    ) -> None:
        self.update_statuses = ("UPDATING",) * polls if statuses is None else statuses
        self.update_error, self.update_final = error, final

    def get(self, account: str, region: str, name: str) -> Any:
        return self.environments.get((account, region, name))

    def only(self) -> Any:
        """The one environment a test created."""
        [environment] = self.environments.values()
        return environment

    def reset(self) -> None:
        self.environments.clear()
        self.script_update()


mwaa_backend = MwaaBackend()

# LoggingConfiguration key -> the suffix of the log group MWAA writes to.
LOG_GROUP_SUFFIXES = {m.configuration: m.group_suffix for m in LOG_MODULES}


def apply() -> None:
    import hashlib

    from moto.cloudformation.exceptions import UnformattedGetAttTemplateException, ValidationError
    from moto.core.common_models import CloudFormationModel
    from moto.ec2.models import ec2_backends
    from moto.iam.models import iam_backends
    from moto.s3.models import s3_backends

    class MwaaEnvironment(CloudFormationModel):
        __module__ = "moto.mwaa_emulated"  # moto's model registry wants "moto.<service>"

        def __init__(self, account_id: str, region: str, props: dict) -> None:
            self.account_id, self.region, self.props = account_id, region, props
            self.name = props["Name"]
            self.arn = f"arn:aws:airflow:{region}:{account_id}:environment/{self.name}"
            digest = hashlib.sha1(self.arn.encode()).hexdigest()
            # Not an AWS host name: the MWAA API emulator serves it (see mwaa_api.py).
            self.webserver_url = f"{digest[:8]}-{digest[8:12]}.c{digest[12:14]}.{region}.airflow.amazonaws.com"
            self.updates: list[dict] = []
            # What CloudFormation last set, against which drift detection compares ``props``.
            self.template_props = dict(props)
            self.status = "AVAILABLE"
            self.last_update: dict[str, Any] = {"Status": "SUCCESS", "CreatedAt": time.time(), "Source": "Console"}
            self._updating, self._script, self._final = False, [], None
            self._error: tuple[str, str] | None = None

        def begin_update(self, backend: MwaaBackend) -> None:
            self._script, self._error, self._final = (
                list(backend.update_statuses),
                backend.update_error,
                backend.update_final,
            )
            self.status, self._updating = "UPDATING", True
            self.last_update = {"Status": "PENDING", "CreatedAt": time.time(), "Source": "Console"}

        def observe(self) -> None:
            """A GetEnvironment call: an update in progress answers its next scripted status."""
            if not self._updating:
                return
            if self._script:
                self.status = self._script.pop(0)
                return
            self._updating = False
            if self._final is not None:
                self.status, self.last_update["Status"] = self._final, "FAILED"
            elif self._error is None:
                self.status, self.last_update["Status"] = "AVAILABLE", "SUCCESS"
            else:
                self.status, self.last_update["Status"] = "UPDATE_FAILED", "FAILED"
                self.last_update["Error"] = {"ErrorCode": self._error[0], "ErrorMessage": self._error[1]}

        @staticmethod
        def cloudformation_name_type() -> str:
            return "Name"

        @staticmethod
        def cloudformation_type() -> str:
            return "AWS::MWAA::Environment"

        @property
        def physical_resource_id(self) -> str:
            return self.name

        @classmethod
        def has_cfn_attr(cls, attr: str) -> bool:
            return attr in (
                "Arn",
                "WebserverUrl",
                "CeleryExecutorQueue",
                "DatabaseVpcEndpointService",
                "WebserverVpcEndpointService",
                *(f"LoggingConfiguration.{logs}.CloudWatchLogGroupArn" for logs in LOG_GROUP_SUFFIXES),
            )

        def get_cfn_attribute(self, attribute_name: str):
            if attribute_name == "Arn":
                return self.arn
            if attribute_name == "WebserverUrl":
                return self.webserver_url
            if attribute_name.startswith("LoggingConfiguration.") and self.has_cfn_attr(attribute_name):
                suffix = LOG_GROUP_SUFFIXES[attribute_name.split(".")[1]]
                return f"arn:aws:logs:{self.region}:{self.account_id}:log-group:airflow-{self.name}-{suffix}:*"
            if self.has_cfn_attr(attribute_name):
                return f"emulated-{attribute_name}"
            raise UnformattedGetAttTemplateException()

        @staticmethod
        def _validate(account_id: str, region: str, props: dict) -> None:
            missing = [
                k
                for k in ("Name", "ExecutionRoleArn", "SourceBucketArn", "DagS3Path", "NetworkConfiguration")
                if not props.get(k)
            ]
            if missing:
                raise ValidationError(message=f"AWS::MWAA::Environment needs {', '.join(missing)}")
            iam = iam_backends[account_id]["aws"]
            if not any(role.arn == props["ExecutionRoleArn"] for role in iam.roles.values()):
                raise ValidationError(message=f"MWAA execution role not found: {props['ExecutionRoleArn']}")
            bucket_name = props["SourceBucketArn"].split(":::", 1)[-1]
            bucket = s3_backends[account_id]["aws"].buckets.get(bucket_name)
            if bucket is None:
                raise ValidationError(message=f"MWAA source bucket not found: {bucket_name}")
            if bucket.versioning_status != "Enabled":
                raise ValidationError(message="Provided bucket does not have versioning enabled")
            block = bucket.public_access_block
            if block is None or not all(
                str(v).lower() == "true"
                for v in (
                    block.block_public_acls,
                    block.ignore_public_acls,
                    block.block_public_policy,
                    block.restrict_public_buckets,
                )
            ):
                raise ValidationError(message="Provided bucket does not have BlockPublicAccess set")
            network = props["NetworkConfiguration"]
            subnets = network.get("SubnetIds") or []
            if len(subnets) != 2:
                raise ValidationError(message="MWAA needs exactly 2 subnets")
            ec2 = ec2_backends[account_id][region]
            found = ec2.describe_subnets(subnet_ids=subnets)
            if len({s.availability_zone for s in found}) != 2:
                raise ValidationError(message="MWAA needs its 2 subnets in different Availability Zones")
            ec2.describe_security_groups(group_ids=network.get("SecurityGroupIds") or [])

        @classmethod
        def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
            props = dict(cloudformation_json.get("Properties", {}))
            props.setdefault("Name", resource_name)
            cls._validate(account_id, region_name, props)
            environment = cls(account_id, region_name, props)
            mwaa_backend.environments[(account_id, region_name, environment.name)] = environment
            return environment

        @classmethod
        def update_from_cloudformation_json(
            cls, original_resource, new_resource_name, cloudformation_json, account_id, region_name
        ):
            props = dict(cloudformation_json.get("Properties", {}))
            props.setdefault("Name", original_resource.name)
            cls._validate(account_id, region_name, props)
            original_resource.props = {**original_resource.props, **props}
            original_resource.template_props = dict(original_resource.props)
            return original_resource

        @classmethod
        def delete_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name):
            mwaa_backend.environments.pop((account_id, region_name, resource_name), None)

        def delete(self, account_id: str, region_name: str) -> None:
            mwaa_backend.environments.pop((account_id, region_name, self.name), None)

    forget_cached_models()
