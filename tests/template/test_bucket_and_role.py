"""The source bucket and the execution role: what MWAA needs, and nothing more."""

from __future__ import annotations

import json

from tests.template.conftest import Cfn

BUCKET = "EnvironmentBucket"
BUCKET_ARN = {"Fn::GetAtt": [BUCKET, "Arn"]}
BUCKET_OBJECTS = {"Fn::Sub": "${EnvironmentBucket.Arn}/*"}


def statements(cfn: Cfn) -> dict[str, dict]:
    doc = cfn.props("MwaaExecutionPolicy")["PolicyDocument"]
    assert doc["Version"] == "2012-10-17"
    by_sid = {s["Sid"]: s for s in doc["Statement"]}
    assert len(by_sid) == len(doc["Statement"]), "Sids are unique"
    return by_sid


def sub(value: dict) -> str:
    assert set(value) == {"Fn::Sub"}, value
    return value["Fn::Sub"]


def test_bucket_is_versioned_private_encrypted_and_retained(cfn: Cfn) -> None:
    bucket = cfn.resource(BUCKET)
    props = bucket["Properties"]
    assert props["VersioningConfiguration"] == {"Status": "Enabled"}
    assert props["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    [rule] = props["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert rule["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    assert props["OwnershipControls"]["Rules"] == [{"ObjectOwnership": "BucketOwnerEnforced"}]
    assert bucket["DeletionPolicy"] == "Retain" and bucket["UpdateReplacePolicy"] == "Retain"
    assert "BucketName" not in props, "a fixed name collides across stacks and regions"


def test_bucket_policy_denies_every_request_without_tls(cfn: Cfn) -> None:
    policy = cfn.props("EnvironmentBucketPolicy")
    assert policy["Bucket"] == {"Ref": BUCKET}
    [deny] = policy["PolicyDocument"]["Statement"]
    assert deny["Effect"] == "Deny" and deny["Principal"] == "*" and deny["Action"] == ["s3:*"]
    assert deny["Resource"] == [BUCKET_ARN, BUCKET_OBJECTS]
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_role_trusts_only_mwaa_and_has_no_fixed_name(cfn: Cfn) -> None:
    role = cfn.props("MwaaExecutionRole")
    assert role["Path"] == "/service-role/"
    assert "RoleName" not in role, "a fixed role name breaks a second stack or region"
    [trust] = role["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Effect"] == "Allow" and trust["Action"] == ["sts:AssumeRole"]
    assert sorted(trust["Principal"]["Service"]) == ["airflow-env.amazonaws.com", "airflow.amazonaws.com"]
    assert "Policies" not in role and "ManagedPolicyArns" not in role


def test_policy_is_attached_to_the_role_and_the_environment_waits_for_it(cfn: Cfn) -> None:
    policy = cfn.props("MwaaExecutionPolicy")
    assert policy["Roles"] == [{"Ref": "MwaaExecutionRole"}]
    assert "ManagedPolicyName" not in policy
    assert cfn.resource("MwaaEnvironment")["DependsOn"] == "MwaaExecutionPolicy"


def test_every_statement(cfn: Cfn) -> None:
    s = statements(cfn)
    account = "arn:${AWS::Partition}:%s:${AWS::Region}:${AWS::AccountId}:%s"
    expected = {
        "PublishEnvironmentMetrics": (
            "Allow",
            ["airflow:PublishMetrics"],
            [account % ("airflow", "environment/${EnvironmentName}")],
        ),
        "NoBucketListing": ("Deny", ["s3:ListAllMyBuckets"], ["*"]),
        "ReadSourceBucket": (
            "Allow",
            [
                "s3:GetBucketLocation",
                "s3:GetBucketPublicAccessBlock",
                "s3:GetBucketVersioning",
                "s3:GetEncryptionConfiguration",
                "s3:ListBucket",
                "s3:ListBucketVersions",
            ],
            [BUCKET_ARN],
        ),
        "ReadSourceObjects": ("Allow", ["s3:GetObject", "s3:GetObjectVersion"], [BUCKET_OBJECTS]),
        "CheckAccountPublicAccessBlock": ("Allow", ["s3:GetAccountPublicAccessBlock"], ["*"]),
        "UseEnvironmentLogs": (
            "Allow",
            [
                "logs:CreateLogGroup",
                "logs:CreateLogStream",
                "logs:GetLogEvents",
                "logs:GetLogGroupFields",
                "logs:GetLogRecord",
                "logs:GetQueryResults",
                "logs:PutLogEvents",
            ],
            [account % ("logs", "log-group:airflow-${EnvironmentName}-*")],
        ),
        "ListLogGroups": ("Allow", ["logs:DescribeLogGroups"], ["*"]),
        "PublishMetrics": ("Allow", ["cloudwatch:PutMetricData"], ["*"]),
        "UseCeleryQueue": (
            "Allow",
            [
                "sqs:ChangeMessageVisibility",
                "sqs:DeleteMessage",
                "sqs:GetQueueAttributes",
                "sqs:GetQueueUrl",
                "sqs:ReceiveMessage",
                "sqs:SendMessage",
            ],
            ["arn:${AWS::Partition}:sqs:${AWS::Region}:*:airflow-celery-*"],
        ),
        "RunEmrSteps": (
            "Allow",
            ["elasticmapreduce:AddJobFlowSteps", "elasticmapreduce:DescribeCluster", "elasticmapreduce:DescribeStep"],
            [account % ("elasticmapreduce", "cluster/*")],
        ),
    }
    for sid, (effect, actions, resources) in expected.items():
        statement = s[sid]
        assert statement["Effect"] == effect, sid
        assert sorted(statement["Action"]) == sorted(actions), sid
        got = [sub(r) if isinstance(r, dict) and "Fn::Sub" in r else r for r in statement["Resource"]]
        want = [r["Fn::Sub"] if isinstance(r, dict) and "Fn::Sub" in r else r for r in resources]
        assert got == want, sid
        assert "Condition" not in statement, sid
    kms = s["UseAwsOwnedQueueKey"]
    assert kms["Effect"] == "Allow" and "Resource" not in kms
    assert sorted(kms["Action"]) == ["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey*"]
    # The blog's version had a stray quote inside this ARN.
    assert [sub(r) for r in kms["NotResource"]] == ["arn:${AWS::Partition}:kms:*:${AWS::AccountId}:key/*"]
    assert kms["Condition"] == {"StringLike": {"kms:ViaService": [{"Fn::Sub": "sqs.${AWS::Region}.amazonaws.com"}]}}
    assert set(s) == set(expected) | {"UseAwsOwnedQueueKey"}


def test_no_wildcard_actions_and_no_hard_coded_partition(cfn: Cfn) -> None:
    policy = json.dumps(cfn.props("MwaaExecutionPolicy"))
    for statement in statements(cfn).values():
        for action in statement["Action"]:
            service, name = action.split(":")
            assert name != "*" and service != "*", action
    assert "arn:aws:" not in cfn.text, "ARNs use ${AWS::Partition} so the stack works in every partition"
    assert "${AWS::Partition}" in policy
