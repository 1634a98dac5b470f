"""What a team adopting the template can set, read back from the templates as data."""

from __future__ import annotations

import json

import pytest
from cfnlint.schema import PROVIDER_SCHEMA_MANAGER

from templates.extra_statements import parse_statements
from tests.template.conftest import ENVIRONMENT_TEMPLATES, ROOT, Cfn, rendered

ROLE = "arn:aws:iam::123456789012:role/service-role/team-mwaa"
BUCKET = "arn:aws:s3:::team-mwaa-dags"


def env_props(cfn: Cfn) -> dict:
    return cfn.props("MwaaEnvironment")


def policy_statements(cfn: Cfn) -> dict[str, dict]:
    return {s["Sid"]: s for s in cfn.props("MwaaExecutionPolicy")["PolicyDocument"]["Statement"]}


@pytest.fixture(scope="module")
def team() -> Cfn:
    return Cfn((ROOT / "out" / "mwaa-team.yaml").read_text())


@pytest.fixture(scope="module")
def byo() -> Cfn:
    return Cfn((ROOT / "out" / "mwaa-byo.yaml").read_text())


def test_every_writable_environment_property_can_be_set():
    """A property AWS adds to AWS::MWAA::Environment shows up here as a failure."""
    schema = PROVIDER_SCHEMA_MANAGER.get_resource_schema("us-east-1", "AWS::MWAA::Environment").schema
    read_only = {p.split("/")[2] for p in schema["readOnlyProperties"] if p.count("/") == 2}
    writable = set(schema["properties"]) - read_only
    set_somewhere: set[str] = set()
    for path in ENVIRONMENT_TEMPLATES:
        set_somewhere |= set(env_props(Cfn(path.read_text())))
    assert writable - set_somewhere == set(), "writable properties no template in out/ sets"
    assert len(writable) == 26


def test_web_servers_are_parameters_referenced_by_the_environment(team):
    assert team.parameter("MinWebservers")["Default"] == 2 and team.parameter("MaxWebservers")["Default"] == 4
    assert env_props(team)["MinWebservers"] == {"Ref": "MinWebservers"}
    assert env_props(team)["MaxWebservers"] == {"Ref": "MaxWebservers"}
    dev = Cfn((ROOT / "out" / "mwaa-dev.yaml").read_text())
    assert dev.parameter("MinWebservers")["Default"] == dev.parameter("MaxWebservers")["Default"] == 1


def test_replacement_strategy_and_endpoint_management_only_when_chosen(cfn, team, byo):
    assert "WorkerReplacementStrategy" not in env_props(cfn) and "EndpointManagement" not in env_props(cfn)
    assert env_props(team)["WorkerReplacementStrategy"] == "GRACEFUL"
    assert "EndpointManagement" not in env_props(team), "SERVICE is MWAA's default; stating it would replace"
    assert env_props(byo)["EndpointManagement"] == "CUSTOMER"


def test_customer_endpoints_output_the_services_the_vpc_owner_connects_to(cfn, byo):
    for name in ("WebserverVpcEndpointService", "DatabaseVpcEndpointService"):
        assert byo.data["Outputs"][name]["Value"] == {"Fn::GetAtt": ["MwaaEnvironment", name]}
        assert name not in cfn.data["Outputs"]


def test_public_and_private_is_allowed_and_guarded_by_a_rule(team):
    assert team.parameter("WebserverAccessMode")["Default"] == "PUBLIC_AND_PRIVATE"
    rule = team.data["Rules"]["PublicAndPrivateNeedsAirflow32"]
    assert rule["RuleCondition"] == {"Fn::Equals": [{"Ref": "WebserverAccessMode"}, "PUBLIC_AND_PRIVATE"]}
    [assertion] = rule["Assertions"]
    allowed, ref = assertion["Assert"]["Fn::Contains"]
    assert ref == {"Ref": "AirflowVersion"} and "3.3.1" in allowed and "3.0.6" not in allowed


def test_micro_rule_asserts_one_of_each(cfn):
    rule = cfn.data["Rules"]["MicroRunsOneOfEach"]
    asserted = {a["Assert"]["Fn::Equals"][0]["Ref"] for a in rule["Assertions"]}
    assert asserted == {"Schedulers", "MinWorkers", "MaxWorkers", "MinWebservers", "MaxWebservers"}


def test_dag_folder_follows_the_setting(cfn, team):
    assert env_props(cfn)["DagS3Path"] == "dags"
    assert env_props(team)["DagS3Path"] == "teams/data/dags"
    assert "teams/data/dags/" in team.data["Outputs"]["EnvironmentBucketName"]["Description"]


def test_team_options_join_the_templates_own_as_strings(team):
    options = env_props(team)["AirflowConfigurationOptions"]
    assert options["core.dag_run_conf_overrides_params"] == "true"
    assert options["app.env"] == {"Ref": "AppEnv"}
    assert options["core.parallelism"] == "64" and options["core.default_task_retries"] == "2"
    assert options["scheduler.catchup_by_default"] == "false"


def test_an_option_equal_to_the_templates_own_is_accepted():
    cfn = rendered(airflow_configuration_options=(("core.dag_run_conf_overrides_params", "true"),))
    assert env_props(cfn)["AirflowConfigurationOptions"]["core.dag_run_conf_overrides_params"] == "true"


def test_disabled_logs_are_off_and_have_no_group_or_output(team):
    logging = env_props(team)["LoggingConfiguration"]
    assert logging["WebserverLogs"]["Enabled"] is False
    assert logging["WebserverLogs"]["LogLevel"] == {"Ref": "WebserverLogsLevel"}, "levels stay parameters"
    assert all(logging[m]["Enabled"] is True for m in ("DagProcessingLogs", "SchedulerLogs", "TaskLogs", "WorkerLogs"))
    assert "WebServerLogGroup" not in team.resources and "WebServerLogGroupArn" not in team.data["Outputs"]


def test_retention_creates_the_groups_mwaa_writes_to_before_the_environment(team, cfn):
    groups = team.of_type("AWS::Logs::LogGroup")
    assert set(groups) == {"DAGProcessingLogGroup", "SchedulerLogGroup", "TaskLogGroup", "WorkerLogGroup"}
    task = groups["TaskLogGroup"]["Properties"]
    assert task["LogGroupName"] == {"Fn::Sub": "airflow-${EnvironmentName}-Task"}
    assert task["RetentionInDays"] == 30
    assert task["KmsKeyId"] == {"Fn::GetAtt": ["MwaaKmsKey", "Arn"]}, "encrypted with the environment's key"
    assert set(groups) < set(team.resource("MwaaEnvironment")["DependsOn"])
    assert team.data["Outputs"]["TaskLogGroupArn"]["Value"] == {
        "Fn::GetAtt": ["MwaaEnvironment", "LoggingConfiguration.TaskLogs.CloudWatchLogGroupArn"]
    }
    assert not cfn.of_type("AWS::Logs::LogGroup"), "without a retention MWAA creates its own groups"


def test_extra_statements_join_the_managed_policy_with_substitutions(team):
    statements = policy_statements(team)
    landing = statements["ReadLandingZone"]
    assert landing["Effect"] == "Allow" and landing["Action"] == ["s3:GetObject", "s3:ListBucket"]
    assert landing["Resource"][0] == {"Fn::Sub": "arn:${AWS::Partition}:s3:::landing-${AWS::AccountId}"}
    glue = statements["UpdateTeamTables"]
    assert glue["Condition"] == {"StringEquals": {"aws:RequestedRegion": [{"Fn::Sub": "${AWS::Region}"}]}}
    assert "RunEmrSteps" in statements, "the template's own statements stay"


def test_a_plain_resource_is_not_substituted():
    [statement] = parse_statements(
        [{"sid": "Ship", "effect": "Deny", "actions": ["sqs:SendMessage"], "resources": ["arn:aws:sqs:eu-west-1:1:q"]}],
        (),
    )
    cfn = rendered(extra_policy_statements=(statement,))
    assert policy_statements(cfn)["Ship"] == {
        "Sid": "Ship",
        "Effect": "Deny",
        "Action": ["sqs:SendMessage"],
        "Resource": ["arn:aws:sqs:eu-west-1:1:q"],
    }


def test_role_takes_managed_policies_boundary_and_a_scoped_trust(team):
    role = team.props("MwaaExecutionRole")
    assert role["ManagedPolicyArns"] == [
        {"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:policy/data-team-tracing"}
    ]
    assert role["PermissionsBoundary"] == {
        "Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:policy/data-team-boundary"
    }
    [trust] = role["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Condition"]["StringEquals"] == {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}
    assert trust["Condition"]["ArnLike"]["aws:SourceArn"] == {
        "Fn::Sub": "arn:${AWS::Partition}:airflow:${AWS::Region}:${AWS::AccountId}:environment/${EnvironmentName}"
    }


def test_own_role_and_bucket_create_neither(byo):
    kinds = {r["Type"] for r in byo.resources.values()}
    assert kinds == {"AWS::EC2::SecurityGroup", "AWS::EC2::SecurityGroupIngress", "AWS::MWAA::Environment"}
    props = env_props(byo)
    assert props["ExecutionRoleArn"] == "arn:aws:iam::123456789012:role/service-role/data-team-mwaa"
    assert props["SourceBucketArn"] == "arn:aws:s3:::data-team-mwaa-source"
    assert "DependsOn" not in byo.resource("MwaaEnvironment")
    outputs = byo.data["Outputs"]
    assert outputs["EnvironmentBucketName"]["Value"] == "data-team-mwaa-source"
    assert outputs["MwaaExecutionRoleArn"]["Value"] == props["ExecutionRoleArn"]


def test_own_bucket_is_what_the_created_roles_statements_name():
    cfn = rendered(source_bucket_arn=BUCKET)
    assert not cfn.of_type("AWS::S3::Bucket") and not cfn.of_type("AWS::S3::BucketPolicy")
    statements = policy_statements(cfn)
    assert statements["ReadSourceBucket"]["Resource"] == [BUCKET]
    assert statements["ReadSourceObjects"]["Resource"] == [BUCKET + "/*"]


def test_created_bucket_expires_old_versions_but_keeps_the_newest_ten(cfn, team):
    rules = {r["Id"]: r for r in cfn.props("EnvironmentBucket")["LifecycleConfiguration"]["Rules"]}
    expiry = rules["ExpireOldVersionsKeepNewestTen"]["NoncurrentVersionExpiration"]
    assert expiry == {"NoncurrentDays": 90, "NewerNoncurrentVersions": 10}
    assert rules["AbortIncompleteUploads"]["AbortIncompleteMultipartUpload"] == {"DaysAfterInitiation": 7}
    team_rules = team.props("EnvironmentBucket")["LifecycleConfiguration"]["Rules"]
    assert team_rules[0]["NoncurrentVersionExpiration"]["NoncurrentDays"] == 30


def test_extra_security_groups_are_a_parameter_joined_to_the_environments_own(team, cfn):
    assert team.parameter("ExtraSecurityGroupIds")["Type"] == "List<AWS::EC2::SecurityGroup::Id>"
    assert team.parameter("ExtraSecurityGroupIds")["Default"] == "sg-0123456789abcdef0"
    groups = env_props(team)["NetworkConfiguration"]["SecurityGroupIds"]
    assert json.dumps(groups).count('"ExtraSecurityGroupIds"') == 1 and "SecurityGroup" in json.dumps(groups)
    assert env_props(cfn)["NetworkConfiguration"]["SecurityGroupIds"] == [{"Fn::GetAtt": ["SecurityGroup", "GroupId"]}]
    assert "ExtraSecurityGroupIds" not in cfn.data["Parameters"]


def test_ingress_cidrs_open_https_only_from_those_ranges(team, cfn):
    [rule] = team.props("SecurityGroup")["SecurityGroupIngress"]
    assert (rule["IpProtocol"], rule["FromPort"], rule["ToPort"], rule["CidrIp"]) == ("tcp", 443, 443, "10.100.0.0/16")
    assert "SecurityGroupIngress" not in cfn.props("SecurityGroup")


def test_nat_addresses_are_an_output_one_per_nat(cfn):
    value = cfn.data["Outputs"]["NatGatewayPublicIps"]["Value"]["Fn::Join"][1]
    assert value == [{"Ref": "NatGateway1EIP"}, {"Ref": "NatGateway2EIP"}]
    dev = Cfn((ROOT / "out" / "mwaa-dev.yaml").read_text())
    assert dev.data["Outputs"]["NatGatewayPublicIps"]["Value"]["Fn::Join"][1] == [{"Ref": "NatGateway1EIP"}]
    private = Cfn((ROOT / "out" / "mwaa-private.yaml").read_text())
    assert "NatGatewayPublicIps" not in private.data["Outputs"]
