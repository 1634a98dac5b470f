"""``[target]`` in an environment's settings file pins it to one account and region: every
command that talks to AWS for it checks both first and refuses, in one line, before
anything else is sent.  The emulator's credentials are account 123456789012 (moto's)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.make.runs import ROOT, STACK, client, copy_project, error_lines, make

EMULATED_ACCOUNT = "123456789012"
OTHER_ACCOUNT = "111111111111"
AWS_TARGETS = [
    *("deploy", "diff", "sync", "destroy", "trigger", "status", "logs", "drift", "outputs", "ui", "airflow"),
    "upgrade-check",  # without FROM: it reads the environment's version
]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A copy of the project whose environments are ``elsewhere`` (pinned to another account)
    and ``here`` (pinned to the emulator's): the repository's own environments stay as they
    are.  The venv is the repository's (a link; the pins' times are kept, so make does not
    rebuild it)."""
    copy = copy_project(tmp_path / "project", folders=("ops", "templates", "out", "dags"))
    (copy / ".venv").symlink_to(ROOT / ".venv")
    (copy / "environments").mkdir()
    for env, account in (("elsewhere", OTHER_ACCOUNT), ("here", EMULATED_ACCOUNT)):
        pinned = f'[target]\naccount_id = "{account}"\nregion = "eu-west-1"\n'
        (copy / "environments" / f"{env}.toml").write_text(pinned)
    return copy


@pytest.mark.parametrize("target", AWS_TARGETS)
def test_credentials_of_another_account_are_refused_before_anything_is_sent(env, mwaa, project, target):
    result = make(env, target, project=project, ENV="elsewhere", YES="1", DAGS=str(project / "dags"), TO="3.3.1")
    assert result.returncode == 2, result.stdout + result.stderr
    [line] = error_lines(result)
    assert EMULATED_ACCOUNT in line and OTHER_ACCOUNT in line and "nothing sent" in line, line
    assert client(env, "cloudformation").describe_stacks()["Stacks"] == [], "no stack made or read"
    assert mwaa.requests == [], "the MWAA API was never asked"
    assert "preflight" not in result.stdout, "refused before the preflight's work, not after"


def test_region_given_otherwise_than_the_pin_is_refused(env, project):
    result = make(env, "outputs", project=project, ENV="here", REGION="us-east-1")
    assert result.returncode == 2
    [line] = error_lines(result)
    assert "REGION=us-east-1" in line and "pinned to eu-west-1" in line


def test_the_pinned_account_and_region_deploy_and_answer(env, project):
    deployed = make(env, "deploy", project=project, ENV="here", STACK_NAME="mwaa-here")
    assert deployed.returncode == 0, deployed.stdout + deployed.stderr
    outputs = make(env, "outputs", project=project, ENV="here", STACK_NAME="mwaa-here")
    assert outputs.returncode == 0 and "MwaaEnvironmentName" in outputs.stdout, outputs.stderr


def test_deploy_hands_cloudformation_the_role_given_and_it_stays_with_the_stack(env, project):
    trust = {"Statement": [{"Effect": "Allow", "Principal": {"Service": "cloudformation.amazonaws.com"}}]}
    role = client(env, "iam").create_role(
        RoleName="mwaa-ci-cloudformation-here", AssumeRolePolicyDocument=json.dumps(trust)
    )
    arn = role["Role"]["Arn"]
    deployed = make(env, "deploy", project=project, ENV="here", ROLE_ARN=arn)
    assert deployed.returncode == 0, deployed.stdout + deployed.stderr
    [stack] = client(env, "cloudformation").describe_stacks(StackName=STACK)["Stacks"]
    assert stack["RoleARN"] == arn


@pytest.mark.parametrize(
    ("role", "says"),
    [
        ("arn:aws:iam::123456789012:user/someone", "not an IAM role ARN"),
        ("mwaa-ci-cloudformation-here; rm -rf /", "not an IAM role ARN"),
        (f"arn:aws:iam::{OTHER_ACCOUNT}:role/mwaa-ci-cloudformation-here", f"a role of account {OTHER_ACCOUNT}"),
    ],
)
def test_a_role_that_is_no_role_of_the_pinned_account_is_refused_before_anything_is_sent(env, project, role, says):
    result = make(env, "deploy", project=project, ENV="here", ROLE_ARN=role)
    assert result.returncode == 2
    [line] = error_lines(result)
    assert line.startswith("mwaa-stack: error: ROLE_ARN") and says in line, line
    assert client(env, "cloudformation").describe_stacks()["Stacks"] == []


def test_an_environment_without_a_target_deploys_wherever_the_credentials_point(env):
    assert make(env, "deploy").returncode == 0


def test_make_environments_lists_each_with_its_pin_and_json_the_pinned_ones_only(env, project):
    (project / "environments" / "loose.toml").write_text('environment_class = "mw1.small"\n')
    (project / "pipeline.toml").write_text('environments = ["here", "loose"]\n')
    listed = make(env, "environments", project=project)
    assert listed.returncode == 0, listed.stderr
    rows = {line.split()[0]: line.split()[1:] for line in listed.stdout.splitlines()[2:]}
    assert rows["elsewhere"][2:] == [OTHER_ACCOUNT, "eu-west-1"] and rows["loose"][2:] == ["not", "pinned"]
    as_json = make(env, "environments", project=project, FORMAT="json")
    assert as_json.returncode == 0, as_json.stderr
    assert json.loads(as_json.stdout) == [
        {
            "name": name,
            "stack": f"mwaa-{name}",
            "template": "out/mwaa.yaml",
            "account_id": account,
            "region": "eu-west-1",
            # the roles out/mwaa-ci-roles.yaml makes in the pinned account, for what pipeline.toml names
            "deploy_role_arn": f"arn:aws:iam::{account}:role/mwaa-ci-deploy-{name}" if name == "here" else None,
            "cloudformation_role_arn": (
                f"arn:aws:iam::{account}:role/mwaa-ci-cloudformation-{name}" if name == "here" else None
            ),
        }
        for name, account in (("elsewhere", OTHER_ACCOUNT), ("here", EMULATED_ACCOUNT))
    ]
    bad = make(env, "environments", project=project, FORMAT="yaml")
    assert bad.returncode == 2 and error_lines(bad) == ["mwaa-stack: error: FORMAT='yaml': one of text, json"]


def test_a_settings_file_whose_name_is_no_environment_label_is_refused(env, project):
    (project / "environments" / "two words;rm.toml").write_text("")
    result = make(env, "environments", project=project, FORMAT="json")
    assert result.returncode == 2 and result.stdout == ""
    [line] = error_lines(result)
    assert "two words;rm.toml: the name is not an environment label" in line
