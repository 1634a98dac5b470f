"""The MWAA environment, its Parameters and the stack outputs."""

from __future__ import annotations

import pytest
from cfnlint.schema import PROVIDER_SCHEMA_MANAGER

from templates.catalogue import AIRFLOW_VERSIONS
from tests.template.conftest import Cfn, rendered


def _schema_log_modules() -> list[str]:
    """MWAA's log modules as AWS's resource schema names them (not the catalogue's copy)."""
    schema = PROVIDER_SCHEMA_MANAGER.get_resource_schema("us-east-1", "AWS::MWAA::Environment").schema
    return sorted(schema["definitions"]["LoggingConfiguration"]["properties"])


LOG_MODULES = _schema_log_modules()


def test_environment_properties(cfn: Cfn) -> None:
    env = cfn.props("MwaaEnvironment")
    for prop, parameter in {
        "Name": "EnvironmentName",
        "AirflowVersion": "AirflowVersion",
        "EnvironmentClass": "EnvironmentClass",
        "MinWorkers": "MinWorkers",
        "MaxWorkers": "MaxWorkers",
        "Schedulers": "Schedulers",
        "WebserverAccessMode": "WebserverAccessMode",
    }.items():
        assert env[prop] == {"Ref": parameter}, prop
    assert env["SourceBucketArn"] == {"Fn::GetAtt": ["EnvironmentBucket", "Arn"]}
    assert env["ExecutionRoleArn"] == {"Fn::GetAtt": ["MwaaExecutionRole", "Arn"]}
    assert env["DagS3Path"] == "dags"
    assert env["NetworkConfiguration"] == {
        "SecurityGroupIds": [{"Fn::GetAtt": ["SecurityGroup", "GroupId"]}],
        "SubnetIds": [{"Ref": "PrivateSubnet1"}, {"Ref": "PrivateSubnet2"}],
    }


def test_all_five_log_types_enabled_with_their_level_parameter(cfn: Cfn) -> None:
    logging = cfn.props("MwaaEnvironment")["LoggingConfiguration"]
    assert sorted(logging) == sorted(LOG_MODULES)
    for module in LOG_MODULES:
        assert logging[module] == {"Enabled": True, "LogLevel": {"Ref": f"{module}Level"}}
        parameter = cfn.parameter(f"{module}Level")
        assert parameter["Default"] == "INFO"
        assert parameter["AllowedValues"] == ["CRITICAL", "ERROR", "WARNING", "INFO", "DEBUG"]


def test_airflow_configuration_options(cfn: Cfn) -> None:
    options = cfn.props("MwaaEnvironment")["AirflowConfigurationOptions"]
    assert options == {"core.dag_run_conf_overrides_params": "true", "app.env": {"Ref": "AppEnv"}}


def test_parameters_defaults_and_constraints(cfn: Cfn) -> None:
    version = cfn.parameter("AirflowVersion")
    assert version["Default"] == "3.3.1", "the newest Airflow MWAA supports"
    assert "2.2.2" not in version["AllowedValues"]
    assert cfn.parameter("EnvironmentClass")["AllowedValues"] == [
        "mw1.micro",
        "mw1.small",
        "mw1.medium",
        "mw1.large",
        "mw1.xlarge",
        "mw1.2xlarge",
    ]
    assert cfn.parameter("EnvironmentClass")["Default"] == "mw1.small"
    assert cfn.parameter("WebserverAccessMode")["AllowedValues"] == [
        "PUBLIC_ONLY",
        "PRIVATE_ONLY",
        "PUBLIC_AND_PRIVATE",
    ]
    name = cfn.parameter("EnvironmentName")
    assert (name["MinLength"], name["MaxLength"], name["AllowedPattern"]) == (1, 80, r"^[a-zA-Z][0-9a-zA-Z\-_]*$")
    for p in ("MinWorkers", "MaxWorkers", "Schedulers"):
        assert cfn.parameter(p)["Type"] == "Number" and cfn.parameter(p)["MinValue"] == 1
    assert cfn.parameter("Schedulers")["MaxValue"] == 5
    cidrs = {
        "VpcCIDR": "10.192.0.0/16",
        "PublicSubnet1CIDR": "10.192.10.0/24",
        "PublicSubnet2CIDR": "10.192.11.0/24",
        "PrivateSubnet1CIDR": "10.192.20.0/24",
        "PrivateSubnet2CIDR": "10.192.21.0/24",
    }
    for p, default in cidrs.items():
        assert cfn.parameter(p)["Default"] == default, "quick-start defaults"
        assert "AllowedPattern" in cfn.parameter(p)
    declared = set(cfn.data["Parameters"])
    grouped = {
        p for g in cfn.data["Metadata"]["AWS::CloudFormation::Interface"]["ParameterGroups"] for p in g["Parameters"]
    }
    assert grouped == declared, "the console shows every parameter in a group"


@pytest.mark.parametrize(
    "pattern_param,good,bad",
    [
        ("EnvironmentName", "my-env_1", "1env"),
        ("VpcCIDR", "10.0.0.0/16", "10.0.0.0/8"),
        ("AppEnv", "prd", "has space"),
    ],
)
def test_parameter_patterns_accept_and_reject(cfn: Cfn, pattern_param: str, good: str, bad: str) -> None:
    import re

    pattern = cfn.parameter(pattern_param)["AllowedPattern"]
    assert re.match(pattern, good) and not re.match(pattern, bad)


def test_settings_become_parameter_defaults() -> None:
    cfn = rendered(
        environment_name="prd-airflow",
        airflow_version="2.11.0",
        environment_class="mw1.medium",
        min_workers=2,
        max_workers=10,
        schedulers=3,
        app_env="prd",
        task_log_level="WARNING",
        vpc_cidr="10.1.0.0/16",
        public_subnet_cidrs=("10.1.0.0/24", "10.1.1.0/24"),
        private_subnet_cidrs=("10.1.2.0/24", "10.1.3.0/24"),
    )
    defaults = {name: p["Default"] for name, p in cfn.data["Parameters"].items()}
    assert defaults["EnvironmentName"] == "prd-airflow" and defaults["AirflowVersion"] == "2.11.0"
    assert (defaults["MinWorkers"], defaults["MaxWorkers"], defaults["Schedulers"]) == (2, 10, 3)
    assert defaults["TaskLogsLevel"] == "WARNING" and defaults["AppEnv"] == "prd"
    assert defaults["PrivateSubnet2CIDR"] == "10.1.3.0/24"


def test_default_version_is_the_newest_supported() -> None:
    def key(v: str) -> tuple[int, ...]:
        return tuple(int(x) for x in v.split("."))

    assert AIRFLOW_VERSIONS[-1] == max(AIRFLOW_VERSIONS, key=key)


def test_outputs_are_exported_under_the_stack_name(cfn: Cfn) -> None:
    outputs = cfn.data["Outputs"]
    assert set(outputs) == {
        "MwaaEnvironmentName",
        "MwaaEnvironmentArn",
        "MwaaApacheAirflowUI",
        "EnvironmentBucketName",
        "EnvironmentBucketArn",
        "MwaaExecutionRoleArn",
        "VPC",
        "PublicSubnets",
        "PrivateSubnets",
        "NatGatewayPublicIps",
        "DAGProcessingLogGroupArn",
        "SchedulerLogGroupArn",
        "TaskLogGroupArn",
        "WebServerLogGroupArn",
        "WorkerLogGroupArn",
        "PublicSubnet1",
        "PublicSubnet2",
        "PrivateSubnet1",
        "PrivateSubnet2",
        "SecurityGroup",
    }
    for name, output in outputs.items():
        assert output["Export"] == {"Name": {"Fn::Sub": "${AWS::StackName}-" + name}}
        assert output["Description"]
    assert outputs["MwaaApacheAirflowUI"]["Value"] == {"Fn::Sub": "https://${MwaaEnvironment.WebserverUrl}"}
    assert outputs["MwaaEnvironmentArn"]["Value"] == {"Fn::GetAtt": ["MwaaEnvironment", "Arn"]}
    assert outputs["MwaaEnvironmentName"]["Value"] == {"Ref": "MwaaEnvironment"}
    assert outputs["EnvironmentBucketName"]["Value"] == {"Ref": "EnvironmentBucket"}
    assert outputs["PrivateSubnets"]["Value"] == {
        "Fn::Join": [",", [{"Ref": "PrivateSubnet1"}, {"Ref": "PrivateSubnet2"}]]
    }
    assert outputs["SecurityGroup"]["Value"] == {"Fn::GetAtt": ["SecurityGroup", "GroupId"]}
