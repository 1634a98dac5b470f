"""The structural variants and the sample environments, read from the generated templates."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from tests.template.conftest import ENVIRONMENT_TEMPLATES, ROOT, Cfn, rendered

OUT = ROOT / "out"
NETWORK_TYPES = {
    "AWS::EC2::VPC",
    "AWS::EC2::Subnet",
    "AWS::EC2::InternetGateway",
    "AWS::EC2::VPCGatewayAttachment",
    "AWS::EC2::NatGateway",
    "AWS::EC2::EIP",
    "AWS::EC2::RouteTable",
    "AWS::EC2::Route",
    "AWS::EC2::SubnetRouteTableAssociation",
    "AWS::EC2::VPCEndpoint",
}
INTERFACE_SERVICES = {
    "airflow.api",
    "airflow.env",
    "airflow.ops",
    "logs",
    "monitoring",
    "ecr.api",
    "ecr.dkr",
    "kms",
    "sqs",
}
KEY_ARN = "arn:aws:kms:eu-west-1:123456789012:key/0a1b2c3d-4e5f-6789-abcd-ef0123456789"


def load(name: str) -> Cfn:
    return Cfn((OUT / name).read_text())


def types(cfn: Cfn) -> Counter:
    return Counter(r["Type"] for r in cfn.resources.values())


def statements(cfn: Cfn) -> dict[str, dict]:
    return {s["Sid"]: s for s in cfn.props("MwaaExecutionPolicy")["PolicyDocument"]["Statement"]}


def test_existing_vpc_creates_no_network_and_takes_typed_parameters():
    cfn = load("mwaa-existing-vpc.yaml")
    assert not NETWORK_TYPES & set(types(cfn))
    assert cfn.parameter("VpcId")["Type"] == "AWS::EC2::VPC::Id"
    assert cfn.parameter("PrivateSubnetIds")["Type"] == "List<AWS::EC2::Subnet::Id>"
    assert "Default" not in cfn.parameter("VpcId"), "the deployer names the VPC"
    assert not {"VpcCIDR", "PublicSubnet1CIDR", "PrivateSubnet1CIDR"} & set(cfn.data["Parameters"])
    assert cfn.props("SecurityGroup")["VpcId"] == {"Ref": "VpcId"}
    assert cfn.props("MwaaEnvironment")["NetworkConfiguration"]["SubnetIds"] == {"Ref": "PrivateSubnetIds"}
    assert cfn.data["Outputs"]["PrivateSubnets"]["Value"] == {"Fn::Join": [",", {"Ref": "PrivateSubnetIds"}]}


def test_existing_vpc_ids_from_settings_become_parameter_defaults():
    cfn = rendered(
        network="existing",
        vpc_id="vpc-0123456789abcdef0",
        private_subnet_ids=("subnet-0a1b2c3d4e5f67890", "subnet-1a1b2c3d4e5f67890"),
    )
    assert cfn.parameter("VpcId")["Default"] == "vpc-0123456789abcdef0"
    assert cfn.parameter("PrivateSubnetIds")["Default"] == "subnet-0a1b2c3d4e5f67890,subnet-1a1b2c3d4e5f67890"


def test_single_nat_gateway_serves_both_private_subnets():
    cfn = load("mwaa-dev.yaml")
    assert types(cfn)["AWS::EC2::NatGateway"] == 1 and types(cfn)["AWS::EC2::EIP"] == 1
    for n in (1, 2):
        assert cfn.props(f"DefaultPrivateRoute{n}")["NatGatewayId"] == {"Ref": "NatGateway1"}
    assert cfn.props("NatGateway1")["SubnetId"] == {"Ref": "PublicSubnet1"}
    assert (cfn.parameter("EnvironmentClass")["Default"], cfn.parameter("Schedulers")["Default"]) == ("mw1.micro", 1)


def test_private_routing_has_no_internet_path_and_every_endpoint_mwaa_needs():
    cfn = load("mwaa-private.yaml")
    found = types(cfn)
    for absent in ("AWS::EC2::InternetGateway", "AWS::EC2::NatGateway", "AWS::EC2::EIP", "AWS::EC2::Route"):
        assert absent not in found, absent
    assert not [k for k in cfn.resources if k.startswith("PublicSubnet")]
    assert not {"PublicSubnet1CIDR", "PublicSubnet2CIDR"} & set(cfn.data["Parameters"])
    endpoints = cfn.of_type("AWS::EC2::VPCEndpoint")
    gateway = cfn.props("S3GatewayEndpoint")
    assert gateway["VpcEndpointType"] == "Gateway"
    assert gateway["ServiceName"] == {"Fn::Sub": "com.amazonaws.${AWS::Region}.s3"}
    assert gateway["RouteTableIds"] == [{"Ref": "PrivateRouteTable1"}, {"Ref": "PrivateRouteTable2"}]
    interface = {
        e["Properties"]["ServiceName"]["Fn::Sub"].removeprefix("com.amazonaws.${AWS::Region}."): e["Properties"]
        for e in endpoints.values()
        if e["Properties"]["VpcEndpointType"] == "Interface"
    }
    assert set(interface) == INTERFACE_SERVICES
    for props in interface.values():
        assert props["PrivateDnsEnabled"] is True
        assert props["SubnetIds"] == [{"Ref": "PrivateSubnet1"}, {"Ref": "PrivateSubnet2"}]
        assert props["SecurityGroupIds"] == [{"Fn::GetAtt": ["SecurityGroup", "GroupId"]}]
    assert cfn.parameter("WebserverAccessMode")["Default"] == "PRIVATE_ONLY"


def test_endpoints_can_also_serve_a_public_routing_vpc():
    cfn = rendered(vpc_endpoints=True)
    assert types(cfn)["AWS::EC2::VPCEndpoint"] == 10 and types(cfn)["AWS::EC2::NatGateway"] == 2


def test_customer_managed_key_with_the_key_policy_mwaa_requires():
    cfn = load("mwaa-prd.yaml")
    key = cfn.resource("MwaaKmsKey")
    assert key["Properties"]["EnableKeyRotation"] is True
    assert key["DeletionPolicy"] == "Retain" and key["UpdateReplacePolicy"] == "Retain"
    policy = {s["Sid"]: s for s in key["Properties"]["KeyPolicy"]["Statement"]}
    root = policy["AccountAdministersKeyThroughIam"]
    assert root["Principal"] == {"AWS": {"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:root"}}
    logs = policy["CloudWatchLogsEncryptsThisAccountsLogs"]
    assert logs["Principal"] == {"Service": {"Fn::Sub": "logs.${AWS::Region}.amazonaws.com"}}
    assert logs["Condition"] == {
        "ArnLike": {
            "kms:EncryptionContext:aws:logs:arn": {
                "Fn::Sub": "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:*"
            }
        }
    }
    assert not any(s["Principal"] == "*" or s["Principal"] == {"AWS": "*"} for s in policy.values())
    assert cfn.props("MwaaEnvironment")["KmsKey"] == {"Fn::GetAtt": ["MwaaKmsKey", "Arn"]}
    use = statements(cfn)["UseEnvironmentKey"]
    assert use["Resource"] == [{"Fn::GetAtt": ["MwaaKmsKey", "Arn"]}] and "NotResource" not in use
    assert use["Condition"] == {
        "StringLike": {
            "kms:ViaService": [
                {"Fn::Sub": "sqs.${AWS::Region}.amazonaws.com"},
                {"Fn::Sub": "s3.${AWS::Region}.amazonaws.com"},
            ]
        }
    }
    assert "UseAwsOwnedQueueKey" not in statements(cfn)


def test_existing_key_arn_is_used_as_given():
    cfn = rendered(kms_key=KEY_ARN)
    assert "AWS::KMS::Key" not in types(cfn)
    assert cfn.props("MwaaEnvironment")["KmsKey"] == KEY_ARN
    assert statements(cfn)["UseEnvironmentKey"]["Resource"] == [KEY_ARN]


def test_optional_files_take_their_object_version_from_a_parameter():
    cfn = load("mwaa-prd.yaml")
    env = cfn.props("MwaaEnvironment")
    for name, path in (
        ("Requirements", "dags/requirements.txt"),
        ("Plugins", "plugins.zip"),
        ("StartupScript", "startup.sh"),
    ):
        assert env[f"{name}S3Path"] == {"Fn::If": [f"Has{name}Version", path, {"Ref": "AWS::NoValue"}]}
        assert env[f"{name}S3ObjectVersion"] == {
            "Fn::If": [f"Has{name}Version", {"Ref": f"{name}S3ObjectVersion"}, {"Ref": "AWS::NoValue"}]
        }
        assert cfn.parameter(f"{name}S3ObjectVersion")["Default"] == ""
        assert cfn.data["Conditions"][f"Has{name}Version"] == {
            "Fn::Not": [{"Fn::Equals": [{"Ref": f"{name}S3ObjectVersion"}, ""]}]
        }
    default = load("mwaa.yaml").props("MwaaEnvironment")
    assert not {"RequirementsS3Path", "PluginsS3Path", "StartupScriptS3Path", "KmsKey"} & set(default)


def test_secrets_manager_backend_reads_only_its_prefixes():
    cfn = load("mwaa-prd.yaml")
    options = cfn.props("MwaaEnvironment")["AirflowConfigurationOptions"]
    assert options["secrets.backend"] == "airflow.providers.amazon.aws.secrets.secrets_manager.SecretsManagerBackend"
    assert json.loads(options["secrets.backend_kwargs"]) == {
        "connections_prefix": "airflow/connections",
        "variables_prefix": "airflow/variables",
    }
    read = statements(cfn)["ReadAirflowSecrets"]
    assert sorted(read["Action"]) == ["secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue"]
    assert [r["Fn::Sub"] for r in read["Resource"]] == [
        f"arn:${{AWS::Partition}}:secretsmanager:${{AWS::Region}}:${{AWS::AccountId}}:secret:airflow/{kind}/*"
        for kind in ("connections", "variables")
    ]
    assert "ReadAirflowSecrets" not in statements(load("mwaa.yaml"))


def test_maintenance_window_and_tags_on_everything_that_takes_them():
    prd = load("mwaa-prd.yaml")
    env = prd.props("MwaaEnvironment")
    assert env["WeeklyMaintenanceWindowStart"] == "SUN:03:00"
    expected = {"environment": "prd", "cost-center": "data-platform"}
    assert env["Tags"] == expected
    untaggable = {
        "AWS::IAM::ManagedPolicy",
        "AWS::S3::BucketPolicy",
        "AWS::EC2::SecurityGroupIngress",
        "AWS::EC2::VPCGatewayAttachment",
        "AWS::EC2::Route",
        "AWS::EC2::SubnetRouteTableAssociation",
        "AWS::MWAA::Environment",
    }
    for logical_id, resource in prd.resources.items():
        if resource["Type"] in untaggable:
            continue
        tags = {t["Key"]: t["Value"] for t in resource["Properties"]["Tags"]}
        assert {k: tags.get(k) for k in expected} == expected, logical_id


def test_explicit_availability_zones_are_used_as_given():
    cfn = rendered(availability_zones=("eu-west-1b", "eu-west-1c"))
    assert [cfn.props(f"PrivateSubnet{n}")["AvailabilityZone"] for n in (1, 2)] == ["eu-west-1b", "eu-west-1c"]
    assert [cfn.props(f"PublicSubnet{n}")["AvailabilityZone"] for n in (1, 2)] == ["eu-west-1b", "eu-west-1c"]


# Variants not in out/, linted and gated as the committed ones are.
MATRIX = {
    "existing-key": dict(kms_key=KEY_ARN),
    "zones-endpoints": dict(availability_zones=("eu-west-1b", "eu-west-1c"), vpc_endpoints=True),
    "existing-ids": dict(
        network="existing",
        vpc_id="vpc-0123456789abcdef0",
        private_subnet_ids=("subnet-0a1b2c3d4e5f67890", "subnet-1a1b2c3d4e5f67890"),
        kms_key="create",
        secrets_backend=True,
        secrets_connections_prefix="team/conn",
    ),
    "private-cmk": dict(
        routing="private",
        vpc_endpoints=True,
        kms_key="create",
        plugins_s3_path="plugins/p.zip",
        tags=(("team", "data"),),
    ),
}


@pytest.fixture(scope="module")
def matrix(tmp_path_factory) -> list[Path]:
    from templates.settings import Settings
    from templates.stack import render

    folder = tmp_path_factory.mktemp("variants")
    paths = []
    for name, settings in MATRIX.items():
        path = folder / f"mwaa-{name}.yaml"
        path.write_text(render(Settings(**settings)))
        paths.append(path)
    return paths


def test_every_variant_is_cfn_lint_clean(matrix):
    result = subprocess.run(
        [
            str(Path(sys.executable).with_name("cfn-lint")),
            "--include-checks",
            "I",
            "--regions",
            "eu-west-1",
            "--",
            *map(str, matrix),
        ],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


SECURITY_PYTHON = ROOT / ".venv-security" / "bin" / "python"


def gates(*paths: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(SECURITY_PYTHON), "-m", "scripts.security_gates", *map(str, paths)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_every_variant_passes_checkov_and_parliament(matrix):
    result = gates(*matrix)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "checkov: 0 failed" in result.stdout and "parliament: no unwaived finding" in result.stdout


def test_gates_fail_on_a_wildcard_policy_and_an_unversioned_public_bucket(tmp_path):
    from cfn_flip import dump_yaml, load_yaml

    template = load_yaml((OUT / "mwaa.yaml").read_text())
    template["Resources"]["MwaaExecutionPolicy"]["Properties"]["PolicyDocument"]["Statement"].append(
        {"Sid": "Everything", "Effect": "Allow", "Action": "s3:*", "Resource": "*"}
    )
    bucket = template["Resources"]["EnvironmentBucket"]["Properties"]
    del bucket["VersioningConfiguration"]
    bucket["PublicAccessBlockConfiguration"]["BlockPublicPolicy"] = False
    broken = tmp_path / "broken.yaml"
    broken.write_text(dump_yaml(template))
    result = gates(broken)
    assert result.returncode == 1
    assert "CKV_AWS_21" in result.stdout and "CKV_AWS_54" in result.stdout  # versioning, public policy block
    assert "Everything: RESOURCE_STAR" in result.stdout


@pytest.mark.parametrize("path", ENVIRONMENT_TEMPLATES, ids=lambda p: p.name)
def test_each_template_describes_what_it_creates(path):
    cfn = Cfn(path.read_text())
    description = cfn.data["Description"]
    nat_gateways = len(cfn.of_type("AWS::EC2::NatGateway"))
    assert ("NAT gateway" in description) == (nat_gateways > 0), description
    assert ("one NAT gateway" in description) == (nat_gateways == 1), description
    assert ("public and private subnets" in description) == ("PublicSubnet1" in cfn.resources), description
    assert ("VPC endpoints" in description) == bool(cfn.of_type("AWS::EC2::VPCEndpoint")), description
    assert ("existing VPC" in description) == ("VPC" not in cfn.resources), description
    assert ("the given execution role" in description) == (not cfn.of_type("AWS::IAM::Role")), description
    assert ("the given source bucket" in description) == (not cfn.of_type("AWS::S3::Bucket")), description
    assert ("log groups kept" in description) == bool(cfn.of_type("AWS::Logs::LogGroup")), description
    assert ("left to the VPC owner" in description) == (
        "EndpointManagement" in cfn.resource("MwaaEnvironment")["Properties"]
    )


def test_log_level_parameters_say_which_logs(cfn):
    described = {
        name: cfn.parameter(name)["Description"] for name in cfn.data["Parameters"] if name.endswith("LogsLevel")
    }
    assert described["DagProcessingLogsLevel"] == "Lowest level of the DAG processing logs sent to CloudWatch"
    assert len(set(described.values())) == 5
