"""Test-only patches that make moto a faithful enough AWS for this project.

EMR (the workflow):

Stock moto sets a step's state once (RUNNING, or PENDING behind another step)
and never moves it, so ``EmrStepSensor`` would wait forever.  Patched:

* A step finishes after it has been described ``polls`` times; the next
  pending step of the cluster then starts, and an idle cluster goes back to
  WAITING, as on EMR.
* How it finishes is scripted per step name: ``script_steps("app1", ["FAILED"])``
  makes the next step whose name contains ``app1`` fail, with EMR-style
  ``FailureDetails``; unscripted steps complete.
* ``AddJobFlowSteps`` on an unknown cluster answers EMR's error instead of an
  HTTP 500.

CloudFormation (deploy, diff, destroy), where stock moto 5.2.5 is wrong:

* ``AWS::MWAA::Environment`` is silently skipped: a stub resource now checks
  what MWAA checks at creation (role, versioned bucket with every public-access
  block, two subnets, security groups) and exposes Ref, Arn and WebserverUrl.
  The environments are kept in ``MWAA_ENVIRONMENTS`` for the MWAA API emulator.
* A stack made by ``aws cloudformation deploy`` (a change set) has no Outputs
  and no recorded parameters; executing a change set now rebuilds both.
* An unchanged re-deploy is a ValidationError instead of AWS's FAILED "didn't
  contain changes" change set, which ``--no-fail-on-empty-changeset`` accepts.
* Change sets ignore parameters: a parameter change now lists (Modify) the
  resources that use the parameter, and nothing else.
* An update "modifying" a type moto cannot update dropped the resource.
* ``Fn::GetAZs ''`` answered us-east-1's zones in every region.
* S3 buckets ignored VersioningConfiguration and PublicAccessBlockConfiguration.
* ``AWS::KMS::Key`` failed on a KeyPolicy given as an object and on Key/Value
  tags, both as CloudFormation takes them.
* Executed change sets stayed listed; AWS deletes a stack's change sets then.
* ``AWS::S3::BucketPolicy`` was skipped; it is now applied to the bucket.  moto
  enforces bucket policies without their conditions, so a ``Deny`` on
  ``aws:SecureTransport = false`` would refuse every request; the emulator is
  reached over plain HTTP where AWS is reached over TLS, so those statements
  are left out of moto's enforcement (``get-bucket-policy`` still shows them).
* A change set whose execution fails raised an error from ExecuteChangeSet and
  left the stack IN_PROGRESS forever; as on AWS, the stack now gets a FAILED
  event with the reason and rolls back (ROLLBACK_COMPLETE, which refuses updates).
* Deleting a stack failed on resources moto cannot delete (NAT gateways, managed
  policies...); those are now left behind silently, as a finished delete.

Used in-process (``apply()`` before ``ThreadedMotoServer`` starts) by the
tests, or as a drop-in ``moto_server``:
``python -m tests.emulator.moto_patches -H 127.0.0.1 -p PORT``, scripted then
through ``MOTO_EMR_STEP_OUTCOMES='{"app1": ["FAILED"]}'``.
"""

from __future__ import annotations

import json
import os
import sys
import threading

_lock = threading.Lock()
_outcomes: dict[str, list[str]] = {}
_settings = {"polls": 1}
_applied = False


def script_steps(name_contains: str, outcomes: list[str]) -> None:
    """The next steps whose name contains ``name_contains`` end in these states, in order."""
    assert all(o in ("COMPLETED", "FAILED", "CANCELLED") for o in outcomes), outcomes
    with _lock:
        _outcomes[name_contains] = list(outcomes)


def reset() -> None:
    with _lock:
        _outcomes.clear()
    MWAA_ENVIRONMENTS.clear()


def _outcome_for(step_name: str) -> str:
    with _lock:
        for key, queue in _outcomes.items():
            if key in step_name and queue:
                return queue.pop(0)
    return "COMPLETED"


def _patch_emr() -> None:
    from moto.core.utils import utcnow
    from moto.emr.exceptions import InvalidCluster
    from moto.emr.models import ElasticMapReduceBackend, Step

    describe_step = ElasticMapReduceBackend.describe_step

    def progressing_describe_step(self, cluster_id, step_id):  # type: ignore[no-untyped-def]
        if cluster_id not in self.clusters:
            raise InvalidCluster(cluster_id)
        step = describe_step(self, cluster_id, step_id)
        if step is None or step.state != "RUNNING":
            return step
        step._polls = getattr(step, "_polls", 0) + 1
        if step._polls < _settings["polls"]:
            return step
        now = utcnow()
        step.start_date_time = step.start_date_time or now
        step.end_date_time = now
        step.state = _outcome_for(step.name)
        if step.state == "FAILED":
            step.last_state_change_reason = "Step failed (scripted by the test emulator)"
        cluster = self.clusters[cluster_id]
        pending = [s for s in cluster.steps if s.state == "PENDING"]
        if pending:
            pending[0].state, pending[0].start_date_time = "RUNNING", now
        elif cluster.state == "RUNNING":
            cluster.state = "WAITING"
        return step

    add_job_flow_steps = ElasticMapReduceBackend.add_job_flow_steps

    def checked_add_job_flow_steps(self, job_flow_id, steps):  # type: ignore[no-untyped-def]
        if job_flow_id not in self.clusters:
            raise InvalidCluster(job_flow_id)
        cluster = self.clusters[job_flow_id]
        # moto leaves a step added to an idle cluster PENDING behind finished ones.
        added = add_job_flow_steps(self, job_flow_id, steps)
        pending = [s for s in cluster.steps if s.state == "PENDING"]
        if pending and not any(s.state == "RUNNING" for s in cluster.steps):
            pending[0].state, pending[0].start_date_time = "RUNNING", utcnow()
        return added

    status = Step.status.fget

    def status_with_failure_details(self):  # type: ignore[no-untyped-def]
        result = status(self)
        if self.state == "FAILED":
            result["FailureDetails"] = {
                "Reason": "Unknown Error.",
                "Message": self.last_state_change_reason,
                "LogFile": "s3://emulated-emr-logs/steps/",
            }
        return result

    ElasticMapReduceBackend.describe_step = progressing_describe_step
    ElasticMapReduceBackend.add_job_flow_steps = checked_add_job_flow_steps
    Step.status = property(status_with_failure_details)


# --- CloudFormation ------------------------------------------------------------

MWAA_ENVIRONMENTS: dict[tuple[str, str, str], "object"] = {}


def _declared_parameters(template_dict: dict) -> dict[str, dict]:
    return (template_dict or {}).get("Parameters", {}) or {}


def _effective_parameters(template_dict: dict, given: dict) -> dict[str, str]:
    """What CloudFormation resolves: each declared parameter's value or default."""
    values = {}
    for name, spec in _declared_parameters(template_dict).items():
        if name in given:
            values[name] = str(given[name])
        elif "Default" in spec:
            values[name] = str(spec["Default"])
    return values


def _references(node: object) -> set[str]:
    """Parameters and resources a template fragment refers to (Ref and ${...} in Sub)."""
    import re

    found: set[str] = set()
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "Ref" and isinstance(value, str):
                found.add(value)
            elif key == "Fn::Sub":
                text = value[0] if isinstance(value, list) else value
                if isinstance(text, str):
                    found.update(m.split(".")[0] for m in re.findall(r"\$\{([^}!]+)\}", text))
                if isinstance(value, list) and len(value) > 1:
                    found |= _references(value[1])
            else:
                found |= _references(value)
    elif isinstance(node, list):
        for item in node:
            found |= _references(item)
    return found


def _patch_change_sets() -> None:
    from moto.cloudformation.models import ChangeSet, CloudFormationBackend
    from moto.cloudformation.responses import CloudFormationResponse

    def diff(self):  # type: ignore[no-untyped-def]
        from moto.cloudformation.models import Change

        old_template = self.stack.template_dict if self.stack.template else {}
        old = (old_template or {}).get("Resources", {}) or {}
        new = self.template_dict.get("Resources", {})
        old_params = getattr(self.stack, "_effective_parameters", {})
        new_params = _effective_parameters(self.template_dict, self.parameters)
        changed_params = {k for k in new_params if old_params.get(k) != new_params[k]}
        changes = [Change("Add", name, new[name]["Type"]) for name in new if name not in old]
        changes += [
            Change("Modify", name, new[name]["Type"])
            for name in new
            if name in old and (new[name] != old[name] or _references(new[name]) & changed_params)
        ]
        changes += [Change("Remove", name, old[name]["Type"]) for name in old if name not in new]
        return changes

    ChangeSet.diff = diff

    create_response = CloudFormationResponse.create_change_set

    def create_change_set_response(self):  # type: ignore[no-untyped-def]
        # AWS answers an unchanged update with a FAILED change set, not an error.
        self._validate_different_update = lambda *args, **kwargs: None
        try:
            return create_response(self)
        finally:
            del self._validate_different_update

    CloudFormationResponse.create_change_set = create_change_set_response

    create = CloudFormationBackend.create_change_set

    def create_change_set(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        change_set_id, stack_id = create(self, *args, **kwargs)
        change_set = self.change_sets[change_set_id]
        if change_set.change_set_type == "UPDATE":
            if change_set.changes:
                change_set.status, change_set.execution_status = "CREATE_COMPLETE", "AVAILABLE"
            else:
                change_set.status, change_set.execution_status = "FAILED", "UNAVAILABLE"
                change_set.status_reason = (
                    "The submitted information didn't contain changes. "
                    "Submit different information to create a change set."
                )
        return change_set_id, stack_id

    CloudFormationBackend.create_change_set = create_change_set

    execute = CloudFormationBackend.execute_change_set

    def execute_change_set(self, change_set_name, stack_name=None):  # type: ignore[no-untyped-def]
        change_set = self.describe_change_set(change_set_name)
        if change_set.execution_status != "AVAILABLE":
            from moto.cloudformation.exceptions import ValidationError

            raise ValidationError(message=f"ChangeSet [{change_set.change_set_id}] cannot be executed in its current status of [{change_set.status}]")
        stack = self.stacks[change_set.stack_id]
        try:
            execute(self, change_set_name, stack_name)
        except Exception as err:  # noqa: BLE001 - AWS reports a failed execution through the stack, not the call
            rolled_back(stack, change_set, err)
            return
        stack._parse_template()
        stack.output_map = stack._create_output_map()
        for export in stack.exports:
            self.exports[export.name] = export
        stack._effective_parameters = _effective_parameters(stack.template_dict, change_set.parameters)
        # Effective values, defaults included, so UsePreviousValue resolves as on AWS.
        stack.parameters = dict(stack._effective_parameters)
        stack.resource_map.input_parameters = dict(change_set.parameters)
        # "After you execute a change set, CloudFormation deletes all change sets
        # associated with the stack" (CloudFormation user guide).
        for change_set_id in [k for k, v in self.change_sets.items() if v.stack_id == stack.stack_id]:
            del self.change_sets[change_set_id]

    CloudFormationBackend.execute_change_set = execute_change_set

    def create_change_set_checked(self, stack_name, *args, **kwargs):  # type: ignore[no-untyped-def]
        from moto.cloudformation.exceptions import ValidationError

        for stack in self.stacks.values():
            if stack.name == stack_name and stack.status == "ROLLBACK_COMPLETE":
                raise ValidationError(message=f"Stack:{stack.stack_id} is in ROLLBACK_COMPLETE state and can not be updated.")
        return create_change_set(self, stack_name, *args, **kwargs)

    CloudFormationBackend.create_change_set = create_change_set_checked


def rolled_back(stack, change_set, error: Exception) -> None:  # type: ignore[no-untyped-def]
    """What AWS does when a change set fails: a FAILED event with the reason, then a rollback."""
    reason = getattr(error, "message", None) or str(error)
    creating = change_set.change_set_type == "CREATE"
    stack._add_stack_event("CREATE_FAILED" if creating else "UPDATE_FAILED", resource_status_reason=reason)
    change_set.execution_status = "EXECUTE_FAILED"
    if creating:
        stack.template = change_set.template  # a rolled-back stack keeps the template it failed with
        stack.resource_map.delete()
        stack.status = "ROLLBACK_COMPLETE"
    else:
        stack.status = "UPDATE_ROLLBACK_COMPLETE"
    stack._add_stack_event(stack.status)


def _patch_updates_and_deletes() -> None:
    from moto.cloudformation import parsing

    update = parsing.parse_and_update_resource

    def parse_and_update_resource(logical_id, resource_json, resources_map, account_id, region_name):  # type: ignore[no-untyped-def]
        updated = update(logical_id, resource_json, resources_map, account_id, region_name)
        return resources_map._parsed_resources.get(logical_id) if updated is None else updated

    parsing.parse_and_update_resource = parse_and_update_resource

    delete = parsing.ResourceMap.delete

    def tolerant_delete(self):  # type: ignore[no-untyped-def]
        try:
            delete(self)
        except Exception:  # noqa: BLE001 - moto cannot delete every type; AWS would have
            pass

    parsing.ResourceMap.delete = tolerant_delete

    clean_json = parsing.clean_json

    def region_aware_clean_json(resource_json, resources_map):  # type: ignore[no-untyped-def]
        if isinstance(resource_json, dict) and "Fn::GetAZs" in resource_json:
            from moto.ec2.models import ec2_backends

            region = clean_json(resource_json["Fn::GetAZs"], resources_map) or resources_map["AWS::Region"]
            backend = ec2_backends[resources_map["AWS::AccountId"]][region]
            return sorted(zone.name for zone in backend.describe_availability_zones())
        return clean_json(resource_json, resources_map)

    parsing.clean_json = region_aware_clean_json


def _patch_s3_bucket() -> None:
    from moto.s3.models import FakeBucket, s3_backends
    from moto.utilities.utils import get_partition

    create = FakeBucket.create_from_cloudformation_json.__func__

    def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):  # type: ignore[no-untyped-def]
        bucket = create(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs)
        properties = cloudformation_json.get("Properties", {})
        backend = s3_backends[account_id][get_partition(region_name)]
        status = properties.get("VersioningConfiguration", {}).get("Status")
        if status:
            backend.put_bucket_versioning(bucket.name, status)
        if properties.get("PublicAccessBlockConfiguration"):
            backend.put_public_access_block(bucket.name, properties["PublicAccessBlockConfiguration"])
        return bucket

    FakeBucket.create_from_cloudformation_json = classmethod(create_from_cloudformation_json)


def _patch_kms_key() -> None:
    from moto.kms.models import Key

    create = Key.create_from_cloudformation_json.__func__

    def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):  # type: ignore[no-untyped-def]
        properties = dict(cloudformation_json.get("Properties", {}))
        if isinstance(properties.get("KeyPolicy"), dict):  # CloudFormation takes an object, moto a JSON string
            properties["KeyPolicy"] = json.dumps(properties["KeyPolicy"])
        # CloudFormation's Key/Value tags; moto's KMS wants the API's TagKey/TagValue.
        properties["Tags"] = [{"TagKey": t["Key"], "TagValue": t["Value"]} for t in properties.get("Tags", [])]
        return create(cls, resource_name, {**cloudformation_json, "Properties": properties}, account_id, region_name, **kwargs)

    Key.create_from_cloudformation_json = classmethod(create_from_cloudformation_json)


def _forget_cached_models() -> None:
    """moto finds CloudFormation models by scanning subclasses once; make it scan again."""
    from moto.cloudformation import parsing

    for cached in (parsing.get_model_list, parsing.get_model_map, parsing.get_name_type_map):
        cached.cache_clear()


def _add_bucket_policy() -> None:
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
        def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):  # type: ignore[no-untyped-def]
            props = cloudformation_json["Properties"]
            document = props["PolicyDocument"]
            s3_backends[account_id]["aws"].put_bucket_policy(props["Bucket"], json.dumps(document).encode())
            return cls(props["Bucket"])

        @classmethod
        def update_from_cloudformation_json(cls, original_resource, new_resource_name, cloudformation_json, account_id, region_name):  # type: ignore[no-untyped-def]
            return cls.create_from_cloudformation_json(new_resource_name, cloudformation_json, account_id, region_name)

        @classmethod
        def delete_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name):  # type: ignore[no-untyped-def]
            s3_backends[account_id]["aws"].delete_bucket_policy(cloudformation_json["Properties"]["Bucket"])

    _forget_cached_models()

    from moto.iam.access_control import IAMPolicy, PermissionResult
    from moto.s3.models import FakeBucket

    def get_permission(self, action, resource):  # type: ignore[no-untyped-def]
        if self.policy is None:
            return PermissionResult.NEUTRAL
        document = json.loads(self.policy.decode())
        statements = document.get("Statement", [])
        statements = [statement for statement in (statements if isinstance(statements, list) else [statements])
                      if statement.get("Condition") != {"Bool": {"aws:SecureTransport": "false"}}]
        return IAMPolicy(json.dumps({**document, "Statement": statements})).is_action_permitted(action, resource)

    FakeBucket.get_permission = get_permission


def _add_mwaa_environment() -> None:
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
            return attr in ("Arn", "WebserverUrl", "CeleryExecutorQueue", "DatabaseVpcEndpointService",
                            "WebserverVpcEndpointService")

        def get_cfn_attribute(self, attribute_name: str):  # type: ignore[no-untyped-def]
            if attribute_name == "Arn":
                return self.arn
            if attribute_name == "WebserverUrl":
                return self.webserver_url
            if self.has_cfn_attr(attribute_name):
                return f"emulated-{attribute_name}"
            raise UnformattedGetAttTemplateException()

        @staticmethod
        def _validate(account_id: str, region: str, props: dict) -> None:
            missing = [k for k in ("Name", "ExecutionRoleArn", "SourceBucketArn", "DagS3Path", "NetworkConfiguration")
                       if not props.get(k)]
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
            if block is None or not all(str(v).lower() == "true" for v in (
                    block.block_public_acls, block.ignore_public_acls, block.block_public_policy,
                    block.restrict_public_buckets)):
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
        def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):  # type: ignore[no-untyped-def]
            props = dict(cloudformation_json.get("Properties", {}))
            props.setdefault("Name", resource_name)
            cls._validate(account_id, region_name, props)
            environment = cls(account_id, region_name, props)
            MWAA_ENVIRONMENTS[(account_id, region_name, environment.name)] = environment
            return environment

        @classmethod
        def update_from_cloudformation_json(cls, original_resource, new_resource_name, cloudformation_json, account_id, region_name):  # type: ignore[no-untyped-def]
            props = dict(cloudformation_json.get("Properties", {}))
            props.setdefault("Name", original_resource.name)
            cls._validate(account_id, region_name, props)
            original_resource.props = {**original_resource.props, **props}
            return original_resource

        @classmethod
        def delete_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name):  # type: ignore[no-untyped-def]
            MWAA_ENVIRONMENTS.pop((account_id, region_name, resource_name), None)

        def delete(self, account_id: str, region_name: str) -> None:
            MWAA_ENVIRONMENTS.pop((account_id, region_name, self.name), None)

    _forget_cached_models()


def apply(step_polls: int | None = None) -> None:
    """Patch moto in this process; idempotent."""
    global _applied
    if step_polls is not None:
        _settings["polls"] = step_polls
    if _applied:
        return
    _patch_emr()
    _patch_change_sets()
    _patch_updates_and_deletes()
    _patch_s3_bucket()
    _patch_kms_key()
    _add_bucket_policy()
    _add_mwaa_environment()
    _applied = True


def main(argv: list[str]) -> None:
    apply(int(os.environ.get("MOTO_EMR_STEP_POLLS", "1")))
    for name, outcomes in json.loads(os.environ.get("MOTO_EMR_STEP_OUTCOMES", "{}")).items():
        script_steps(name, outcomes)
    from moto.server import main as moto_main

    moto_main(argv)


if __name__ == "__main__":
    main(sys.argv[1:])
