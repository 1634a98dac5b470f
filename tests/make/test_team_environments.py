"""The team samples deploy in the emulators, and the template's Rules stop a bad
combination of parameters before anything is sent."""

from __future__ import annotations

import json

from tests.make.runs import REGION, STACK, client, error_lines, make

ACCOUNT = "123456789012"


def outputs(env) -> dict[str, str]:
    described = client(env, "cloudformation").describe_stacks(StackName=STACK)["Stacks"][0]
    return {o["OutputKey"]: o["OutputValue"] for o in described["Outputs"]}


def stack_names(env) -> list[str]:
    return [s["StackName"] for s in client(env, "cloudformation").list_stacks()["StackSummaries"]]


def test_the_team_sample_deploys_with_everything_it_sets(env, mwaa):
    ec2, iam = client(env, "ec2"), client(env, "iam")
    for name, action in (("data-team-boundary", "*"), ("data-team-tracing", "xray:PutTraceSegments")):
        document = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": action, "Resource": "*"}]}
        iam.create_policy(PolicyName=name, PolicyDocument=json.dumps(document))
    vpc = ec2.describe_vpcs()["Vpcs"][0]["VpcId"]
    warehouse = ec2.create_security_group(GroupName="warehouse", Description="warehouse", VpcId=vpc)["GroupId"]
    result = make(env, "deploy", ENV="team", PARAMS=f"ExtraSecurityGroupIds={warehouse}")
    assert result.returncode == 0, result.stdout + result.stderr
    found = outputs(env)
    assert found["TaskLogGroupArn"] == f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:airflow-{STACK}-Task:*"
    assert "WebServerLogGroupArn" not in found, "web server logs are off in team.toml"
    assert len(found["NatGatewayPublicIps"].split(",")) == 2
    groups = {
        g["logGroupName"]: g.get("retentionInDays") for g in client(env, "logs").describe_log_groups()["logGroups"]
    }
    assert groups == {f"airflow-{STACK}-{m}": 30 for m in ("DAGProcessing", "Scheduler", "Task", "Worker")}
    environment = mwaa.state.only().props
    assert environment["DagS3Path"] == "teams/data/dags"
    assert environment["NetworkConfiguration"]["SecurityGroupIds"][1:] == [warehouse]
    assert environment["AirflowConfigurationOptions"]["core.parallelism"] == "64"
    role_name = found["MwaaExecutionRoleArn"].rsplit("/", 1)[1]
    role = iam.get_role(RoleName=role_name)["Role"]
    assert role["PermissionsBoundary"]["PermissionsBoundaryArn"].endswith(":policy/data-team-boundary")
    attached = [p["PolicyArn"] for p in iam.list_attached_role_policies(RoleName=role_name)["AttachedPolicies"]]
    assert f"arn:aws:iam::{ACCOUNT}:policy/data-team-tracing" in attached
    rules = client(env, "s3").get_bucket_lifecycle_configuration(Bucket=found["EnvironmentBucketName"])["Rules"]
    assert {r["ID"] for r in rules} == {"ExpireOldVersionsKeepNewestTen", "AbortIncompleteUploads"}
    sync = make(env, "sync", ENV="team", DAGS="dags")
    assert sync.returncode == 0, sync.stderr
    keys = [o["Key"] for o in client(env, "s3").list_objects_v2(Bucket=found["EnvironmentBucketName"])["Contents"]]
    assert "teams/data/dags/emr_steps.py" in keys and not [k for k in keys if k.startswith("dags/")]


def test_the_byo_sample_uses_the_given_role_bucket_and_vpc(env, mwaa):
    iam, s3, ec2 = client(env, "iam"), client(env, "s3"), client(env, "ec2")
    iam.create_role(
        RoleName="data-team-mwaa",
        Path="/service-role/",
        AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": []}),
    )
    s3.create_bucket(Bucket="data-team-mwaa-source", CreateBucketConfiguration={"LocationConstraint": REGION})
    s3.put_bucket_versioning(Bucket="data-team-mwaa-source", VersioningConfiguration={"Status": "Enabled"})
    s3.put_public_access_block(
        Bucket="data-team-mwaa-source",
        PublicAccessBlockConfiguration={
            k: True for k in ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")
        },
    )
    vpc = ec2.create_vpc(CidrBlock="10.60.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.60.{n}.0/24", AvailabilityZone=f"{REGION}{z}")["Subnet"]["SubnetId"]
        for n, z in ((1, "a"), (2, "b"))
    ]
    result = make(env, "deploy", ENV="byo", PARAMS=f"VpcId={vpc} PrivateSubnetIds={','.join(subnets)}")
    assert result.returncode == 0, result.stdout + result.stderr
    found = outputs(env)
    assert found["EnvironmentBucketName"] == "data-team-mwaa-source"
    assert found["WebserverVpcEndpointService"] and found["DatabaseVpcEndpointService"]
    assert [r["RoleName"] for r in iam.list_roles()["Roles"]] == ["data-team-mwaa"], "no role created"
    assert mwaa.state.only().props["EndpointManagement"] == "CUSTOMER"
    sync = make(env, "sync", DAGS="dags")
    assert sync.returncode == 0, sync.stderr
    assert "s3://data-team-mwaa-source/dags/" in sync.stdout


def test_params_that_break_a_rule_stop_deploy_and_diff_before_anything_is_sent(env):
    for target in ("deploy", "diff"):
        result = make(env, target, ENV="dev", PARAMS="Schedulers=2")
        assert result.returncode != 0
        [line] = error_lines(result)
        assert "MicroRunsOneOfEach" in line and "Schedulers must be 1" in line, line
    assert STACK not in stack_names(env)


def test_rules_see_the_stacks_current_values_when_params_change_one(env):
    assert make(env, "deploy", ENV="dev").returncode == 0
    result = make(env, "deploy", ENV="dev", PARAMS="EnvironmentClass=mw1.small")
    [line] = error_lines(result)
    assert "stack's current values" in line and "Schedulers must be between 2 and 5" in line, line
    params = client(env, "cloudformation").describe_stacks(StackName=STACK)["Stacks"][0]["Parameters"]
    assert {p["ParameterKey"]: p["ParameterValue"] for p in params}["EnvironmentClass"] == "mw1.micro"
