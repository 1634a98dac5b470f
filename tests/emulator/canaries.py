"""Canaries: does *stock* moto still get wrong what each patch fixes?

Run in a fresh interpreter that never imports the patches
(``python -m tests.emulator.canaries`` prints ``{"patch": true, ...}``); each check
answers True while stock moto still needs the patch.  With ``--patched`` the same
checks run against the patched moto, where each must answer False: the test of the
patch.  ``test_patches.py`` fails on
a False: after a moto upgrade, that patch has become dead weight; delete it.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable

import boto3
import yaml
from moto import mock_aws

REGION = "eu-west-1"
CANARIES: dict[str, Callable[[], bool]] = {}


def canary(name: str) -> Callable[[Callable[[], bool]], Callable[[], bool]]:
    def register(check: Callable[[], bool]) -> Callable[[], bool]:
        CANARIES[name] = check
        return check

    return register


def cfn():
    return boto3.client("cloudformation", region_name=REGION)


def create_by_change_set(template: dict, name: str = "canary", parameters: list | None = None) -> None:
    cfn().create_change_set(
        StackName=name,
        ChangeSetName="create",
        ChangeSetType="CREATE",
        TemplateBody=yaml.safe_dump(template),
        Parameters=parameters or [],
    )
    cfn().execute_change_set(StackName=name, ChangeSetName="create")


TAGGED = {
    "Parameters": {"Tag": {"Type": "String", "Default": "a"}},
    "Resources": {
        "Bucket": {"Type": "AWS::S3::Bucket", "Properties": {"Tags": [{"Key": "t", "Value": {"Ref": "Tag"}}]}}
    },
}
BUCKET = {"Resources": {"Bucket": {"Type": "AWS::S3::Bucket"}}, "Outputs": {"BucketName": {"Value": {"Ref": "Bucket"}}}}


@canary("emr.steps_finish")
def emr_steps_never_finish() -> bool:
    emr = boto3.client("emr", region_name=REGION)
    cluster = emr.run_job_flow(
        Name="c",
        ReleaseLabel="emr-7.5.0",
        JobFlowRole="r",
        ServiceRole="r",
        Instances={"KeepJobFlowAliveWhenNoSteps": True, "InstanceCount": 1, "MasterInstanceType": "m5.xlarge"},
    )["JobFlowId"]
    step = emr.add_job_flow_steps(JobFlowId=cluster, Steps=[{"Name": "s", "HadoopJarStep": {"Jar": "x"}}])
    states = {
        emr.describe_step(ClusterId=cluster, StepId=step["StepIds"][0])["Step"]["Status"]["State"] for _ in range(5)
    }
    return not states & {"COMPLETED", "FAILED"}


@canary("cloudformation.change_set_outputs")
def change_set_stacks_have_no_outputs() -> bool:
    create_by_change_set(BUCKET)
    return not cfn().describe_stacks(StackName="canary")["Stacks"][0].get("Outputs")


@canary("cloudformation.empty_change_set")
def unchanged_update_is_an_error() -> bool:
    body = yaml.safe_dump(TAGGED)
    same = [{"ParameterKey": "Tag", "ParameterValue": "a"}]
    create_by_change_set(TAGGED, parameters=same)  # as `aws cloudformation deploy` creates stacks
    try:
        cfn().create_change_set(
            StackName="canary", ChangeSetName="same", ChangeSetType="UPDATE", TemplateBody=body, Parameters=same
        )
    except cfn().exceptions.ClientError:
        return True
    return cfn().describe_change_set(StackName="canary", ChangeSetName="same")["Status"] != "FAILED"


def tag_changed_to_b(change_set: str) -> None:
    """Stack ``canary`` of TAGGED, and a change set of the same template with Tag=b."""
    cfn().create_stack(StackName="canary", TemplateBody=yaml.safe_dump(TAGGED))
    cfn().create_change_set(
        StackName="canary",
        ChangeSetName=change_set,
        ChangeSetType="UPDATE",
        TemplateBody=yaml.safe_dump(TAGGED),
        Parameters=[{"ParameterKey": "Tag", "ParameterValue": "b"}],
    )


@canary("cloudformation.change_set_parameters")
def parameter_changes_are_ignored() -> bool:
    tag_changed_to_b("p")
    changes = cfn().describe_change_set(StackName="canary", ChangeSetName="p")["Changes"]
    return [c["ResourceChange"]["LogicalResourceId"] for c in changes] != ["Bucket"] or any(
        c["ResourceChange"]["Action"] != "Modify" for c in changes
    )


@canary("cloudformation.change_set_values")
def change_sets_carry_no_values() -> bool:
    tag_changed_to_b("v")
    changes = cfn().describe_change_set(StackName="canary", ChangeSetName="v", IncludePropertyValues=True)["Changes"]
    targets = [d.get("Target", {}) for c in changes for d in c["ResourceChange"].get("Details", [])]
    return not any(t.get("Name") == "Tags" and "b" in t.get("AfterValue", "") for t in targets)


@canary("cloudformation.validation_events")
def no_pre_deployment_validation() -> bool:
    boto3.client("logs", region_name=REGION).create_log_group(logGroupName="taken")
    cfn().create_stack(StackName="canary", TemplateBody=yaml.safe_dump(BUCKET))
    named = {
        "Resources": {
            **BUCKET["Resources"],
            "Logs": {"Type": "AWS::Logs::LogGroup", "Properties": {"LogGroupName": "taken"}},
        }
    }
    cfn().create_change_set(
        StackName="canary", ChangeSetName="n", ChangeSetType="UPDATE", TemplateBody=yaml.safe_dump(named)
    )
    try:
        found = cfn().describe_events(StackName="canary", ChangeSetName="n").get("OperationEvents", [])
    except Exception:  # stock moto: no such operation
        return True
    return not any(e.get("EventType") == "VALIDATION_ERROR" for e in found)


@canary("cloudformation.executed_change_sets_deleted")
def executed_change_sets_stay_listed() -> bool:
    create_by_change_set(BUCKET)
    return bool(cfn().list_change_sets(StackName="canary")["Summaries"])


@canary("cloudformation.get_azs_region")
def get_azs_answers_us_east_1() -> bool:
    template = {
        "Resources": {"Bucket": {"Type": "AWS::S3::Bucket"}},
        "Outputs": {"Zone": {"Value": {"Fn::Select": [0, {"Fn::GetAZs": ""}]}}},
    }
    cfn().create_stack(StackName="canary", TemplateBody=yaml.safe_dump(template))
    outputs = cfn().describe_stacks(StackName="canary")["Stacks"][0].get("Outputs", [])
    return not any(o["OutputValue"].startswith(REGION) for o in outputs)


@canary("s3.bucket_settings")
def bucket_versioning_is_ignored() -> bool:
    template = {
        "Resources": {
            "Bucket": {
                "Type": "AWS::S3::Bucket",
                "Properties": {"BucketName": "canary-bucket", "VersioningConfiguration": {"Status": "Enabled"}},
            }
        }
    }
    cfn().create_stack(StackName="canary", TemplateBody=yaml.safe_dump(template))
    return (
        boto3.client("s3", region_name=REGION).get_bucket_versioning(Bucket="canary-bucket").get("Status") != "Enabled"
    )


@canary("s3.bucket_lifecycle")
def bucket_lifecycle_is_ignored() -> bool:
    rule = {"Id": "Old", "Status": "Enabled", "NoncurrentVersionExpiration": {"NoncurrentDays": 9}}
    template = {
        "Resources": {
            "Bucket": {
                "Type": "AWS::S3::Bucket",
                "Properties": {"BucketName": "canary-bucket", "LifecycleConfiguration": {"Rules": [rule]}},
            }
        }
    }
    cfn().create_stack(StackName="canary", TemplateBody=yaml.safe_dump(template))
    try:
        boto3.client("s3", region_name=REGION).get_bucket_lifecycle_configuration(Bucket="canary-bucket")
    except Exception:
        return True
    return False


@canary("s3.bucket_policy")
def bucket_policies_are_skipped() -> bool:
    template = {
        "Resources": {
            "Bucket": {"Type": "AWS::S3::Bucket", "Properties": {"BucketName": "canary-bucket"}},
            "Policy": {
                "Type": "AWS::S3::BucketPolicy",
                "Properties": {
                    "Bucket": {"Ref": "Bucket"},
                    "PolicyDocument": {
                        "Version": "2012-10-17",
                        "Statement": [
                            {
                                "Effect": "Deny",
                                "Principal": "*",
                                "Action": "s3:*",
                                "Resource": "arn:aws:s3:::canary-bucket/*",
                            }
                        ],
                    },
                },
            },
        }
    }
    try:
        cfn().create_stack(StackName="canary", TemplateBody=yaml.safe_dump(template))
        boto3.client("s3", region_name=REGION).get_bucket_policy(Bucket="canary-bucket")
    except Exception:
        return True
    return False


@canary("kms.key_policy_object")
def key_policy_objects_fail() -> bool:
    template = {
        "Resources": {
            "Key": {
                "Type": "AWS::KMS::Key",
                "Properties": {
                    "KeyPolicy": {"Version": "2012-10-17", "Statement": []},
                    "Tags": [{"Key": "a", "Value": "b"}],
                },
            }
        }
    }
    try:
        cfn().create_stack(StackName="canary", TemplateBody=yaml.safe_dump(template))
    except Exception:
        return True
    return cfn().describe_stacks(StackName="canary")["Stacks"][0]["StackStatus"] != "CREATE_COMPLETE"


@canary("mwaa.environment")
def mwaa_environments_are_skipped() -> bool:
    template = {
        "Resources": {"Env": {"Type": "AWS::MWAA::Environment", "Properties": {"Name": "canary"}}},
        "Outputs": {"Arn": {"Value": {"Fn::GetAtt": ["Env", "Arn"]}}},
    }
    try:
        cfn().create_stack(StackName="canary", TemplateBody=yaml.safe_dump(template))
        outputs = cfn().describe_stacks(StackName="canary")["Stacks"][0].get("Outputs", [])
    except Exception:
        return True
    return not any(o["OutputValue"].startswith("arn:aws:airflow:") for o in outputs)


@canary("cloudformation.getatt_dotted")
def getatt_splits_at_every_dot() -> bool:
    template = (
        "Resources:\n  Topic:\n    Type: AWS::SNS::Topic\n"
        "Outputs:\n  Name:\n    Value: !GetAtt 'Topic.TopicName'\n"
        "  Dotted:\n    Value: !GetAtt 'Topic.Not.An.Attribute'\n"
    )
    try:
        cfn().create_stack(StackName="canary", TemplateBody=template)
    except Exception as err:  # stock moto: "does not support attribute type Not"
        return "attribute type Not " in str(err)
    return False


@canary("iam.role_managed_policy_arns")
def role_managed_policy_arns_are_ignored() -> bool:
    document = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "xray:Put*", "Resource": "*"}]}
    policy = boto3.client("iam").create_policy(PolicyName="tracing", PolicyDocument=json.dumps(document))["Policy"][
        "Arn"
    ]
    template = {
        "Resources": {
            "Role": {
                "Type": "AWS::IAM::Role",
                "Properties": {
                    "RoleName": "canary",
                    "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": []},
                    "ManagedPolicyArns": [policy],
                },
            }
        }
    }
    cfn().create_stack(StackName="canary", TemplateBody=yaml.safe_dump(template))
    attached = boto3.client("iam").list_attached_role_policies(RoleName="canary")["AttachedPolicies"]
    return policy not in [p["PolicyArn"] for p in attached]


@canary("cloudformation.resource_events")
def resources_have_no_events() -> bool:
    cfn().create_stack(StackName="canary", TemplateBody=yaml.safe_dump(BUCKET))
    events = cfn().describe_stack_events(StackName="canary")["StackEvents"]
    return not any(e["LogicalResourceId"] == "Bucket" for e in events)


@canary("cloudformation.drift_detection")
def drift_detection_is_missing() -> bool:
    cfn().create_stack(StackName="canary", TemplateBody=yaml.safe_dump(BUCKET))
    try:
        detection = cfn().detect_stack_drift(StackName="canary")["StackDriftDetectionId"]
        found = cfn().describe_stack_drift_detection_status(StackDriftDetectionId=detection)
    except Exception:
        return True
    return found.get("DetectionStatus") != "DETECTION_COMPLETE"


@canary("cloudformation.deleted_stack_outputs")
def deleted_stacks_recreate_their_resources() -> bool:
    template = {
        "Resources": {"Bucket": {"Type": "AWS::S3::Bucket", "Properties": {"BucketName": "canary-deleted"}}},
        "Outputs": {"Name": {"Value": {"Ref": "Bucket"}}},
    }
    stack_id = cfn().create_stack(StackName="canary", TemplateBody=yaml.safe_dump(template))["StackId"]
    cfn().delete_stack(StackName="canary")
    cfn().describe_stacks(StackName=stack_id)  # as `make destroy` follows the stack by id
    buckets = boto3.client("s3", region_name=REGION).list_buckets()["Buckets"]
    return any(b["Name"] == "canary-deleted" for b in buckets)


def main(argv: list[str]) -> None:
    if argv == ["--patched"]:  # the same checks against the emulator: each must now answer False
        from tests.emulator import patches

        patches.apply()
    results = {}
    for name, check in CANARIES.items():
        with mock_aws():
            try:
                results[name] = bool(check())
            except Exception as err:  # a canary that cannot run is reported, not hidden
                results[name] = f"{type(err).__name__}: {err}"
    print(json.dumps(results))


if __name__ == "__main__":
    main(sys.argv[1:])
