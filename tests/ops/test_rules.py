"""The offline evaluation of a template's Rules (ops/rules.py), on the committed templates."""

from __future__ import annotations

import pytest
from cfn_flip import load_yaml

from ops.rules import broken_rules, known_values
from tests.mwaa_files import ROOT

TEMPLATE = load_yaml((ROOT / "out" / "mwaa.yaml").read_text())
DECLARED = TEMPLATE["Parameters"]
MICRO = {"EnvironmentClass": "mw1.micro", "Schedulers": "1", "MinWorkers": "1", "MaxWorkers": "1"}


def broken(**values: str) -> list[str]:
    return broken_rules(TEMPLATE, known_values(DECLARED, values))


def test_the_defaults_break_no_rule():
    assert broken() == []


def test_micro_with_the_defaults_names_each_count_that_must_be_1():
    assert broken(EnvironmentClass="mw1.micro") == [
        f"MicroRunsOneOfEach: mw1.micro runs one scheduler, worker and web server: {name} must be 1"
        for name in ("Schedulers", "MaxWorkers", "MinWebservers", "MaxWebservers")
    ]


def test_a_complete_micro_passes():
    assert broken(**MICRO, MinWebservers="1", MaxWebservers="1") == []


@pytest.mark.parametrize("schedulers,ok", [("1", False), ("2", True), ("5", True), ("6", False)])
def test_larger_classes_take_two_to_five_schedulers(schedulers, ok):
    assert (broken(Schedulers=schedulers) == []) is ok


def test_public_and_private_needs_airflow_3_2():
    assert broken(WebserverAccessMode="PUBLIC_AND_PRIVATE") == []
    [message] = broken(WebserverAccessMode="PUBLIC_AND_PRIVATE", AirflowVersion="3.0.6")
    assert message.startswith("PublicAndPrivateNeedsAirflow32: WebserverAccessMode PUBLIC_AND_PRIVATE needs")


def test_unknown_values_never_break_a_rule():
    """PARAMS alone: a rule whose condition or assertion needs a value not given is left for later."""
    assert broken_rules(TEMPLATE, {"Schedulers": "7"}) == [], "the class is unknown"
    assert broken_rules(TEMPLATE, {"EnvironmentClass": "mw1.micro"}) == [], "the counts are unknown"
    assert broken_rules(TEMPLATE, {"EnvironmentClass": "mw1.micro", "Schedulers": "3"}) != []


def test_list_parameters_and_every_rule_function():
    template = {
        "Parameters": {"Subnets": {"Type": "List<AWS::EC2::Subnet::Id>"}, "Mode": {"Type": "String"}},
        "Rules": {
            "Each": {
                "RuleCondition": {"Fn::Or": [{"Fn::Equals": [{"Ref": "Mode"}, "strict"]}, {"Fn::Equals": ["a", "b"]}]},
                "Assertions": [
                    {"Assert": {"Fn::EachMemberIn": [{"Ref": "Subnets"}, ["subnet-1", "subnet-2"]]}},
                    {
                        "Assert": {
                            "Fn::And": [
                                {"Fn::EachMemberEquals": [["x", "x"], "x"]},
                                {"Fn::Not": [{"Fn::Equals": ["true", "x"]}]},
                            ]
                        }
                    },
                ],
            }
        },
    }
    assert broken_rules(template, {"Mode": "strict", "Subnets": "subnet-1,subnet-2"}) == []
    assert broken_rules(template, {"Mode": "strict", "Subnets": "subnet-1,subnet-9"}) == ["Each: assertion failed"]
    assert broken_rules(template, {"Mode": "loose", "Subnets": "subnet-9"}) == []
    template["Rules"]["Each"]["Assertions"][1]["Assert"]["Fn::And"][0]["Fn::EachMemberEquals"][0] = ["x", "y"]
    assert broken_rules(template, {"Mode": "strict", "Subnets": "subnet-1"}) == ["Each: assertion failed"]
