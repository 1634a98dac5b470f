"""PARAMS parsing and checks against the committed templates' parameters: pure, no AWS."""

from __future__ import annotations

import pytest
from cfn_flip import load_yaml

from ops.errors import UsageError
from ops.overrides import parse_overrides, read_template, split_params
from tests.mwaa_files import ROOT

DEFAULT = load_yaml((ROOT / "out" / "mwaa.yaml").read_text())["Parameters"]
EXISTING_VPC = load_yaml((ROOT / "out" / "mwaa-existing-vpc.yaml").read_text())["Parameters"]


def parse(text: str, declared: dict = DEFAULT) -> dict[str, str]:
    return parse_overrides(declared, split_params(text), {"EnvironmentName": "mwaa-x", "AppEnv": "x"}, "t.yaml")


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ("MaxWorkers=NaN", "MaxWorkers='NaN' must be a whole number"),
        ("MaxWorkers=2.5", "must be a whole number"),
        ("MaxWorkers=1e1", "must be a whole number"),
        ("MaxWorkers=", "must be a whole number"),
        ("MaxWorkers=26", "must be between 1 and 25"),
        ("MinWorkers=0", "must be between 1 and 25"),
        ("MaxWorkers=3 MaxWorkers=4", "MaxWorkers is given twice"),
        ("--help", "looks like an option"),
        ("--template=other.yaml", "looks like an option"),
        ("-MaxWorkers=3", "looks like an option"),
        ("MaxWorkerz=3", "MaxWorkerz is not a parameter of t.yaml"),
        ("MaxWorkers", "'MaxWorkers' is not NAME=VALUE"),
        ("=3", "is not NAME=VALUE"),
        ("Max-Workers=3", "is not NAME=VALUE"),
        ("EnvironmentClass=mw1.huge", "must be one of mw1.micro"),
        ("WebserverAccessMode=public_only", "must be one of"),
        ("VpcCIDR=10.192.0.300/16", "is not an IPv4 CIDR block"),
        ("VpcCIDR=10.192.0.0", "is not an IPv4 CIDR block"),
        ("PrivateSubnet1CIDR=10.192.20.5/24", "host bits set"),
        ("PublicSubnet1CIDR=10.192.10.0/29", "must match"),
        ("EnvironmentName=1bad", "must match"),
        ("EnvironmentName=" + "a" * 81, "characters"),
        ("AppEnv='has space'", "must match"),
        ("AppEnv='unbalanced", "No closing quotation"),
    ],
)
def test_bad_params_are_refused_with_the_reason(params, message):
    with pytest.raises(UsageError, match=None) as raised:
        parse(params)
    assert message in str(raised.value)
    assert raised.value.code == 2


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ("VpcId=vpc-xyz", "must be a AWS::EC2::VPC::Id"),
        ("PrivateSubnetIds=subnet-0a1b2c3d,sub-1", "comma-separated list of AWS::EC2::Subnet::Id"),
        ("PrivateSubnetIds=", "comma-separated list"),
    ],
)
def test_aws_id_parameters_take_ids_of_their_shape(params, message):
    with pytest.raises(UsageError) as raised:
        parse(params, EXISTING_VPC)
    assert message in str(raised.value)


def test_good_params_keep_their_values_and_the_defaults():
    values = parse("MaxWorkers=5 MinWorkers=+2 EnvironmentClass=mw1.medium VpcCIDR=10.1.0.0/16")
    assert values == {
        "EnvironmentName": "mwaa-x",
        "AppEnv": "x",
        "MaxWorkers": "5",
        "MinWorkers": "+2",
        "EnvironmentClass": "mw1.medium",
        "VpcCIDR": "10.1.0.0/16",
    }
    ids = parse("VpcId=vpc-0a1b2c3d4e5f67890 PrivateSubnetIds=subnet-0a1b2c3d,subnet-1a2b3c4d", EXISTING_VPC)
    assert ids["PrivateSubnetIds"] == "subnet-0a1b2c3d,subnet-1a2b3c4d"


def test_params_split_like_words_but_run_nothing():
    assert split_params("AppEnv='a;b' EnvironmentName='x$(touch y)'") == ["AppEnv=a;b", "EnvironmentName=x$(touch y)"]
    with pytest.raises(UsageError, match="AppEnv='a;b' must match"):
        parse("AppEnv='a;b'")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "does not exist"),
        ("folder", "is not a file"),
        ("Resources: [unclosed", "is not YAML or JSON"),
        ("Resources: {Day: 2026-13-45}", "is not YAML or JSON: month must be in 1..12"),
        ("Resources: " + "[" * 100_000, "is not YAML or JSON"),
        ("Resources: {? [a]: b}", "is not YAML or JSON"),
        ("just: text\n", "is not a CloudFormation template"),
        (b"\xff\xfe", "is not UTF-8"),
    ],
)
def test_a_template_that_is_not_one_is_refused(tmp_path, content, message):
    path = tmp_path / "t.yaml"
    if content == "folder":
        path.mkdir()
    elif isinstance(content, bytes):
        path.write_bytes(content)
    elif content is not None:
        path.write_text(content)
    with pytest.raises(UsageError) as raised:
        read_template(path)
    assert message in str(raised.value)
