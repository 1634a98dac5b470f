"""CloudFormation, where stock moto 5.2.5 is wrong for deploy, diff and destroy:

* A stack made by ``aws cloudformation deploy`` (a change set) has no Outputs and no
  recorded parameters; executing a change set now rebuilds both.
* An unchanged re-deploy is a ValidationError instead of AWS's FAILED "didn't contain
  changes" change set, which ``--no-fail-on-empty-changeset`` accepts.
* Change sets ignore parameters: a parameter change now lists (Modify) the resources
  that use the parameter, and nothing else.
* Executed change sets stayed listed; AWS deletes a stack's change sets then.
* A change set whose execution fails raised an error from ExecuteChangeSet and left
  the stack IN_PROGRESS forever; as on AWS, the stack now gets a FAILED event with
  the reason and rolls back (ROLLBACK_COMPLETE, which refuses updates).
* An update "modifying" a type moto cannot update dropped the resource.
* Deleting a stack failed on resources moto cannot delete (NAT gateways, managed
  policies...); moto's own refusals are now left behind silently, as a finished delete,
  while any other error (a bug in a patch) fails the request loudly.
* Reading a deleted stack's outputs (DescribeStacks by stack id, as `make destroy`
  follows it) re-created every resource an output refers to; a deleted stack now has
  no outputs, as on AWS.
* ``Fn::GetAZs ''`` answered us-east-1's zones in every region.
* A stack's events named the stack only; each resource now has its CREATE_IN_PROGRESS
  and CREATE_COMPLETE (or CREATE_FAILED with the reason), as `make deploy` streams them.
* Drift detection (DetectStackDrift and its reads) is missing; the MWAA environment now
  reports the properties the MWAA API changed behind CloudFormation's back.
* Change sets carry no Details (property values before and after, with
  IncludePropertyValues) and no Replacement; and there is no pre-deployment validation
  (DescribeEvents): a resource named like an existing log group or role now fails the
  change set, as CloudFormation's name-conflict validation does.
* YAML's ``!GetAtt Res.A.B.C`` was split at every dot; CloudFormation splits at the
  first only (``LoggingConfiguration.TaskLogs.CloudWatchLogGroupArn`` is one attribute).
"""

from __future__ import annotations

import contextlib
import json
import re


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


def apply_change_sets() -> None:
    from moto.cloudformation.models import ChangeSet, CloudFormationBackend
    from moto.cloudformation.responses import CloudFormationResponse

    def diff(self):
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

    def create_change_set_response(self):
        # AWS answers an unchanged update with a FAILED change set, not an error.
        self._validate_different_update = lambda *args, **kwargs: None
        try:
            return create_response(self)
        finally:
            del self._validate_different_update

    CloudFormationResponse.create_change_set = create_change_set_response

    create = CloudFormationBackend.create_change_set

    def create_change_set(self, *args, **kwargs):
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

    def execute_change_set(self, change_set_name, stack_name=None):
        change_set = self.describe_change_set(change_set_name)
        if change_set.execution_status != "AVAILABLE":
            from moto.cloudformation.exceptions import ValidationError

            raise ValidationError(
                message=f"ChangeSet [{change_set.change_set_id}] cannot be executed "
                f"in its current status of [{change_set.status}]"
            )
        stack = self.stacks[change_set.stack_id]
        try:
            execute(self, change_set_name, stack_name)
        except Exception as err:
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

    def create_change_set_checked(self, stack_name, *args, **kwargs):
        from moto.cloudformation.exceptions import ValidationError

        for stack in self.stacks.values():
            if stack.name == stack_name and stack.status == "ROLLBACK_COMPLETE":
                raise ValidationError(
                    message=f"Stack:{stack.stack_id} is in ROLLBACK_COMPLETE state and can not be updated."
                )
        return create_change_set(self, stack_name, *args, **kwargs)

    CloudFormationBackend.create_change_set = create_change_set_checked


def rolled_back(stack, change_set, error: Exception) -> None:
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


def apply_updates_and_deletes() -> None:
    from moto.cloudformation import parsing

    update = parsing.parse_and_update_resource

    def parse_and_update_resource(logical_id, resource_json, resources_map, account_id, region_name):
        updated = update(logical_id, resource_json, resources_map, account_id, region_name)
        return resources_map._parsed_resources.get(logical_id) if updated is None else updated

    parsing.parse_and_update_resource = parse_and_update_resource

    delete = parsing.ResourceMap.delete

    def tolerant_delete(self):
        """moto's own refusals (DependencyViolation, DeleteConflict...) are left behind, as a
        finished delete; an error of another origin is a bug, re-raised, never hidden."""
        bugs: list[Exception] = []
        own = self._delete_resource

        def delete_resource(parsed_resource, resource_json):
            try:
                own(parsed_resource, resource_json)
            except Exception as err:
                if not type(err).__module__.startswith("moto."):
                    bugs.append(err)
                raise

        self._delete_resource = delete_resource
        try:
            with contextlib.suppress(Exception):
                delete(self)
        finally:
            del self._delete_resource
        if bugs:
            raise bugs[0]

    parsing.ResourceMap.delete = tolerant_delete

    from moto.cloudformation.models import Stack

    # A deleted stack's resource map creates a resource again when something reads it.
    for name, gone in (("outputs", None), ("exports", []), ("stack_resources", [])):
        original = getattr(Stack, name)

        def unless_deleted(self, original=original, gone=gone):
            return gone if self.status == "DELETE_COMPLETE" else original.fget(self)

        setattr(Stack, name, property(unless_deleted))

    clean_json = parsing.clean_json

    def region_aware_clean_json(resource_json, resources_map):
        if isinstance(resource_json, dict) and "Fn::GetAZs" in resource_json:
            from moto.ec2.models import ec2_backends

            region = clean_json(resource_json["Fn::GetAZs"], resources_map) or resources_map["AWS::Region"]
            backend = ec2_backends[resources_map["AWS::AccountId"]][region]
            return sorted(zone.name for zone in backend.describe_availability_zones())
        return clean_json(resource_json, resources_map)

    parsing.clean_json = region_aware_clean_json


def apply_getatt_split() -> None:
    from moto.cloudformation import models, responses, utils

    stock = utils.yaml_tag_constructor

    def yaml_tag_constructor(loader, tag, node):
        if tag == "!GetAtt" and not isinstance(node.value, list):
            return {"Fn::GetAtt": node.value.split(".", 1)}
        return stock(loader, tag, node)

    # Both modules register the constructor by the name they imported, on every parse.
    models.yaml_tag_constructor = yaml_tag_constructor
    responses.yaml_tag_constructor = yaml_tag_constructor


def apply_drift_detection() -> None:
    """DetectStackDrift and its two reads, which stock moto lacks.  Only the MWAA environment
    can drift here: the MWAA API (``make sync``) changes its properties behind CloudFormation's
    back; every other resource is in sync."""
    import datetime
    import uuid

    from moto.cloudformation.responses import CloudFormationResponse
    from moto.core.responses import ActionResult

    detections: dict[str, dict] = {}

    def drifted(stack) -> list[dict]:
        now = datetime.datetime.now(datetime.UTC)
        found = []
        for logical_id in stack.resource_map:
            resource = stack.resource_map[logical_id]
            expected, actual = getattr(resource, "template_props", None), getattr(resource, "props", None)
            if expected is None or actual is None:
                continue
            differences = [
                {
                    "PropertyPath": f"/{key}",
                    "ExpectedValue": json.dumps(expected.get(key)),
                    "ActualValue": json.dumps(actual.get(key)),
                    "DifferenceType": "ADD" if key not in expected else "NOT_EQUAL",
                }
                for key in sorted(set(expected) | set(actual))
                if expected.get(key) != actual.get(key)
            ]
            if differences:
                found.append(
                    {
                        "StackId": stack.stack_id,
                        "LogicalResourceId": logical_id,
                        "PhysicalResourceId": resource.physical_resource_id,
                        "ResourceType": resource.cloudformation_type(),
                        "ExpectedProperties": json.dumps(expected, sort_keys=True, default=str),
                        "ActualProperties": json.dumps(actual, sort_keys=True, default=str),
                        "PropertyDifferences": differences,
                        "StackResourceDriftStatus": "MODIFIED",
                        "Timestamp": now,
                    }
                )
        return found

    def detect_stack_drift(self):
        stack = self.cloudformation_backend.get_stack(self._get_param("StackName"))
        detection = str(uuid.uuid4())
        drifts = drifted(stack)
        detections[detection] = {
            "StackId": stack.stack_id,
            "StackDriftDetectionId": detection,
            "StackDriftStatus": "DRIFTED" if drifts else "IN_SYNC",
            "DetectionStatus": "DETECTION_COMPLETE",
            "DriftedStackResourceCount": len(drifts),
            "Timestamp": datetime.datetime.now(datetime.UTC),
        }
        return ActionResult({"StackDriftDetectionId": detection})

    def describe_stack_drift_detection_status(self):
        return ActionResult(detections[self._get_param("StackDriftDetectionId")])

    def describe_stack_resource_drifts(self):
        stack = self.cloudformation_backend.get_stack(self._get_param("StackName"))
        return ActionResult({"StackResourceDrifts": drifted(stack)})

    CloudFormationResponse.detect_stack_drift = detect_stack_drift
    CloudFormationResponse.describe_stack_drift_detection_status = describe_stack_drift_detection_status
    CloudFormationResponse.describe_stack_resource_drifts = describe_stack_resource_drifts


def apply_resource_events() -> None:
    from moto.cloudformation import models, parsing

    create_resource = parsing.parse_and_create_resource

    def event(stack, logical_id: str, kind: str, status: str, physical: str = "", reason: str | None = None) -> None:
        stack.events.append(models.Event(stack.stack_id, stack.name, logical_id, physical, kind, status, reason, None))

    def parse_and_create_resource(logical_id, resource_json, resources_map, account_id, region_name):
        stack = getattr(resources_map, "stack_for_events", None)
        kind = resource_json.get("Type", "") if isinstance(resource_json, dict) else ""
        if stack is None or not kind:
            return create_resource(logical_id, resource_json, resources_map, account_id, region_name)
        event(stack, logical_id, kind, "CREATE_IN_PROGRESS")
        try:
            instance = create_resource(logical_id, resource_json, resources_map, account_id, region_name)
        except Exception as err:
            event(stack, logical_id, kind, "CREATE_FAILED", reason=str(getattr(err, "message", err)))
            raise
        event(stack, logical_id, kind, "CREATE_COMPLETE", physical=str(getattr(instance, "physical_resource_id", "")))
        return instance

    parsing.parse_and_create_resource = parse_and_create_resource

    for name in ("create_resources", "update"):  # create_stack, and every change set's apply
        original = getattr(models.Stack, name)

        def with_events(self, *args, __original=original, **kwargs):
            self.resource_map.stack_for_events = self
            try:
                return __original(self, *args, **kwargs)
            finally:
                self.resource_map.stack_for_events = None

        setattr(models.Stack, name, with_events)

    apply_change_set = models.ChangeSet.apply

    def apply_with_events(self):
        self.stack.resource_map.stack_for_events = self.stack
        try:
            return apply_change_set(self)
        finally:
            self.stack.resource_map.stack_for_events = None

    models.ChangeSet.apply = apply_with_events


def apply() -> None:
    apply_resource_events()
    apply_drift_detection()
    apply_change_sets()
    apply_change_set_values()
    apply_updates_and_deletes()
    apply_getatt_split()


def _shown(value: object) -> str:
    """A property value as CloudFormation's BeforeValue/AfterValue carries it: a string."""
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True, separators=(",", ":"))


def _resolved(value: object, parameters: dict[str, str]) -> object:
    """A property with its parameter references replaced by their values (what CloudFormation
    shows as before and after); other intrinsics left as written."""
    if isinstance(value, dict) and set(value) == {"Ref"} and value["Ref"] in parameters:
        return parameters[value["Ref"]]
    if isinstance(value, dict):
        return {k: _resolved(v, parameters) for k, v in value.items()}
    if isinstance(value, list):
        return [_resolved(v, parameters) for v in value]
    return value


def _create_only(resource_type: str) -> set[str]:
    """The top-level properties whose change replaces the resource, from its registry schema
    (make review's reading of it)."""
    from ops.review.engine import create_only

    return {path[0] for path in create_only(resource_type) or () if len(path) == 1}


def property_details(old: dict, new: dict, old_params: dict, new_params: dict) -> tuple[list[dict], str]:
    """The Details of a Modify change, values included, and its Replacement."""
    before = _resolved(old.get("Properties", {}) or {}, old_params)
    after = _resolved(new.get("Properties", {}) or {}, new_params)
    create_only = _create_only(new["Type"])
    details = []
    for name in sorted(set(before) | set(after)):
        if before.get(name) == after.get(name):
            continue
        target = {
            "Attribute": "Properties",
            "Name": name,
            "Path": f"/Properties/{name}",
            "RequiresRecreation": "Always" if name in create_only else "Never",
            "AttributeChangeType": "Add" if name not in before else "Remove" if name not in after else "Modify",
        }
        if name in before:
            target["BeforeValue"] = _shown(before[name])
        if name in after:
            target["AfterValue"] = _shown(after[name])
        raw_old, raw_new = (old.get("Properties") or {}).get(name), (new.get("Properties") or {}).get(name)
        source = "ParameterReference" if raw_old == raw_new else "DirectModification"
        details.append({"Target": target, "Evaluation": "Static", "ChangeSource": source})
    replaced = any(d["Target"]["RequiresRecreation"] == "Always" for d in details)
    return details, "True" if replaced else "False"


def apply_change_set_values() -> None:
    """Modify changes carry Details (each property's before and after values, with
    IncludePropertyValues) and Replacement; and CloudFormation's pre-deployment validation:
    a resource that names a log group or an IAM role that already exists fails the change set
    (FAIL mode: resource name conflict), reported through DescribeEvents.  The StatusReason of
    such a change set is this emulator's wording: AWS's exact text was not checked."""
    import datetime
    import uuid

    from moto.cloudformation.models import ChangeSet, CloudFormationBackend
    from moto.cloudformation.responses import CloudFormationResponse
    from moto.core.responses import ActionResult

    diff = ChangeSet.diff

    def diff_with_values(self):
        changes = diff(self)
        old = ((self.stack.template_dict if self.stack.template else {}) or {}).get("Resources", {}) or {}
        new = self.template_dict.get("Resources", {})
        old_params = getattr(self.stack, "_effective_parameters", {})
        new_params = _effective_parameters(self.template_dict, self.parameters)
        for change in changes:
            if change.action == "Modify":
                name = change.logical_resource_id
                change._details, change.replacement = property_details(old[name], new[name], old_params, new_params)
                change.details = change._details
        return changes

    ChangeSet.diff = diff_with_values

    describe = CloudFormationResponse.describe_change_set

    def describe_change_set(self):
        with_values = str(self._get_param("IncludePropertyValues", "false")).lower() == "true"
        change_set = self.cloudformation_backend.describe_change_set(self._get_param("ChangeSetName"))
        for change in getattr(change_set, "changes", None) or []:
            full = getattr(change, "_details", None)
            if full is not None:
                change.details = (
                    full
                    if with_values
                    else [
                        {**d, "Target": {k: v for k, v in d["Target"].items() if not k.endswith("Value")}} for d in full
                    ]
                )
        return describe(self)

    CloudFormationResponse.describe_change_set = describe_change_set

    events: dict[str, list[dict]] = {}  # change set id -> its validation events

    def conflicts(backend, change_set) -> list[dict]:
        from moto.iam.models import iam_backends
        from moto.logs.models import logs_backends

        account, region = backend.account_id, backend.region_name
        params = _effective_parameters(change_set.template_dict, change_set.parameters)
        old = ((change_set.stack.template_dict if change_set.stack.template else {}) or {}).get("Resources", {}) or {}
        found = []
        for logical_id, resource in (change_set.template_dict.get("Resources") or {}).items():
            if logical_id in old:
                continue  # an existing resource keeps its own name
            props = _resolved(resource.get("Properties") or {}, params)
            if resource["Type"] == "AWS::Logs::LogGroup":
                key, taken = "LogGroupName", set(logs_backends[account][region].groups)
            elif resource["Type"] == "AWS::IAM::Role":
                key, taken = "RoleName", {r.name for r in iam_backends[account]["global"].roles.values()}
            else:
                continue
            name = props.get(key)
            if isinstance(name, str) and name in taken:
                found.append(
                    {
                        "EventId": str(uuid.uuid4()),
                        "StackId": change_set.stack.stack_id,
                        "OperationId": change_set.change_set_id,
                        "EventType": "VALIDATION_ERROR",
                        "LogicalResourceId": logical_id,
                        "ResourceType": resource["Type"],
                        "Timestamp": datetime.datetime.now(datetime.UTC),
                        "ValidationFailureMode": "FAIL",
                        "ValidationName": "NAME_CONFLICT_VALIDATION",
                        "ValidationStatus": "FAILED",
                        "ValidationStatusReason": f"Resource of type '{resource['Type']}' with identifier "
                        f"'{name}' already exists.",
                        "ValidationPath": f"/Resources/{logical_id}/Properties/{key}",
                    }
                )
        return found

    create = CloudFormationBackend.create_change_set

    def create_change_set(self, *args, **kwargs):
        change_set_id, stack_id = create(self, *args, **kwargs)
        change_set = self.change_sets[change_set_id]
        events[change_set_id] = conflicts(self, change_set)
        if events[change_set_id]:
            change_set.status, change_set.execution_status = "FAILED", "UNAVAILABLE"
            change_set.status_reason = "The change set failed pre-deployment validation."
        return change_set_id, stack_id

    CloudFormationBackend.create_change_set = create_change_set

    def describe_events(self):
        name = self._get_param("ChangeSetName")
        change_set = self.cloudformation_backend.describe_change_set(name)
        return ActionResult({"OperationEvents": events.get(change_set.change_set_id, [])})

    CloudFormationResponse.describe_events = describe_events
