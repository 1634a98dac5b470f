"""out/mwaa-ci-roles.yaml: the roles a GitHub Actions pipeline assumes, read as data.  What a
reviewer checks first: who may assume each role (exactly one repository, one subject, our
audience), what each may do (the preview role executes nothing; a deploy role deploys only
through its own CloudFormation role and touches only its environment), and where (a pinned
environment's roles exist only in its account)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from templates.pipeline import Pipeline, PipelineEnvironment
from templates.settings import Settings
from templates.stack import build_ci_roles_template, text_of
from templates.target import Target
from tests.template.conftest import CI_ROLES, ROOT, Cfn, snapshot

ISSUER = "token.actions.githubusercontent.com"


@pytest.fixture(scope="module")
def roles() -> Cfn:
    return Cfn(CI_ROLES.read_text())


def statements(cfn: Cfn, role: str) -> list[dict]:
    return [s for policy in cfn.props(role)["Policies"] for s in policy["PolicyDocument"]["Statement"]]


def actions(cfn: Cfn, role: str) -> set[str]:
    found = set()
    for statement in statements(cfn, role):
        listed = statement["Action"]
        found |= set([listed] if isinstance(listed, str) else listed)
    return found


def trust(cfn: Cfn, role: str) -> dict:
    [statement] = cfn.props(role)["AssumeRolePolicyDocument"]["Statement"]
    return statement


def built(*environments: PipelineEnvironment, repository: str = "acme/data", provider: str = "") -> Cfn:
    return Cfn(text_of(build_ci_roles_template(Pipeline(repository, environments, provider))))


@pytest.mark.parametrize(
    ("role", "subject"),
    [("PreviewRole", "pull_request"), ("DeployDevRole", "environment:dev"), ("DeployPrdRole", "environment:prd")],
)
def test_each_pipeline_role_trusts_one_subject_of_one_repository_for_our_audience(roles, role, subject):
    statement = trust(roles, role)
    assert statement["Principal"] == {"Federated": {"Ref": "GitHubOidcProvider"}}
    assert statement["Action"] == ["sts:AssumeRoleWithWebIdentity"]
    # StringEquals, not StringLike: no wildcard in the subject can widen it.
    assert statement["Condition"] == {
        "StringEquals": {
            f"{ISSUER}:aud": "sts.amazonaws.com",
            f"{ISSUER}:sub": {"Fn::Sub": f"repo:${{GitHubRepository}}:{subject}"},
        }
    }


def test_the_repository_is_a_parameter_without_a_default_in_the_sample_and_no_wildcard_passes(roles):
    parameter = roles.parameter("GitHubRepository")
    assert "Default" not in parameter, "a sample must not trust a made-up owner's repository"
    pattern = re.compile(parameter["AllowedPattern"])
    assert pattern.fullmatch("acme/data-platform") and pattern.fullmatch("Org-1/repo.name_x")
    for widening in ("*", "acme/*", "acme/data:*", "acme/data:ref:refs/heads/main", "-acme/data", "acme//data"):
        assert not pattern.fullmatch(widening), widening


def test_github_repository_set_becomes_the_default():
    assert built(repository="acme/data").parameter("GitHubRepository")["Default"] == "acme/data"


def test_the_oidc_provider_is_github_s_for_our_audience_and_an_existing_one_is_used_as_given(roles):
    [(_, provider)] = roles.of_type("AWS::IAM::OIDCProvider").items()
    assert provider["Properties"] == {"Url": f"https://{ISSUER}", "ClientIdList": ["sts.amazonaws.com"]}
    existing = "arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com"
    own = built(PipelineEnvironment("dev", Settings(), None), provider=existing)
    assert own.of_type("AWS::IAM::OIDCProvider") == {}
    assert trust(own, "DeployDevRole")["Principal"] == {"Federated": existing}


def test_the_preview_role_makes_reads_and_deletes_change_sets_and_executes_nothing(roles):
    assert actions(roles, "PreviewRole") == {
        "cloudformation:CreateChangeSet",
        "cloudformation:DescribeChangeSet",
        "cloudformation:DeleteChangeSet",
        "cloudformation:ListChangeSets",
        "cloudformation:DescribeStacks",
        "cloudformation:DescribeStackEvents",
        "cloudformation:GetTemplate",
        "cloudformation:ListStackResources",
        "cloudformation:DescribeEvents",  # the change set's pre-deployment validation
        "logs:DescribeLogGroups",  # make diff's check for another stack's log groups
    }
    [statement, validation, _] = statements(roles, "PreviewRole")
    assert validation["Action"] == ["cloudformation:DescribeEvents"] and validation["Resource"] == statement["Resource"]
    assert statement["Resource"] == [
        {"Fn::Sub": "arn:${AWS::Partition}:cloudformation:${AWS::Region}:${AWS::AccountId}:stack/mwaa-*/*"}
    ]


@pytest.mark.parametrize("env", ["Dev", "Prd"])
def test_a_deploy_role_passes_only_its_own_cloudformation_role_and_holds_no_resource_permission(roles, env):
    granted = actions(roles, f"Deploy{env}Role")
    assert not {a for a in granted if a.startswith(("ec2:", "kms:Create", "iam:Create", "iam:Put", "s3:Create"))}
    [passing] = [s for s in statements(roles, f"Deploy{env}Role") if "iam:PassRole" in s["Action"]]
    assert passing["Resource"] == [{"Fn::GetAtt": [f"CloudFormation{env}Role", "Arn"]}]
    assert passing["Condition"] == {"StringEquals": {"iam:PassedToService": "cloudformation.amazonaws.com"}}
    assert "cloudformation:DeleteStack" not in granted and "cloudformation:CreateStack" not in granted


@pytest.mark.parametrize("env", ["dev", "prd"])
def test_a_deploy_role_reaches_only_its_own_stack_bucket_and_environment(roles, env):
    role = f"Deploy{env.title()}Role"
    for statement in statements(roles, role):
        for resource in statement["Resource"]:
            if statement["Action"] == ["logs:DescribeLogGroups"]:
                assert resource == "*"  # a listing action: matches only "*"
                continue
            text = resource["Fn::Sub"] if isinstance(resource, dict) and "Fn::Sub" in resource else str(resource)
            other = "prd" if env == "dev" else "dev"
            assert f"mwaa-{other}" not in text and "CloudFormation" + other.title() not in text, (role, text)
            assert f"mwaa-{env}" in text or f"CloudFormation{env.title()}Role" in text or "key/" in text, text


def test_cloudformation_s_role_is_assumed_only_by_cloudformation_of_this_account(roles):
    statement = trust(roles, "CloudFormationPrdRole")
    assert statement["Principal"] == {"Service": "cloudformation.amazonaws.com"}
    assert statement["Condition"] == {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}}


def test_roles_have_the_names_the_pipeline_looks_up(roles):
    names = {logical_id: r["Properties"]["RoleName"] for logical_id, r in roles.of_type("AWS::IAM::Role").items()}
    assert names == {
        "PreviewRole": "mwaa-ci-preview",
        "DeployDevRole": "mwaa-ci-deploy-dev",
        "CloudFormationDevRole": "mwaa-ci-cloudformation-dev",
        "DeployPrdRole": "mwaa-ci-deploy-prd",
        "CloudFormationPrdRole": "mwaa-ci-cloudformation-prd",
    }


def test_a_pinned_environment_s_roles_exist_only_in_its_account():
    cfn = built(
        PipelineEnvironment("dev", Settings(), None),
        PipelineEnvironment("prd", Settings(), Target("444455556666", "eu-west-1")),
    )
    assert cfn.data["Conditions"] == {"InPrdAccount": {"Fn::Equals": [{"Ref": "AWS::AccountId"}, "444455556666"]}}
    for logical_id in ("DeployPrdRole", "CloudFormationPrdRole"):
        assert cfn.resource(logical_id)["Condition"] == "InPrdAccount"
        assert cfn.data["Outputs"][f"{logical_id}Arn"]["Condition"] == "InPrdAccount"
    assert "Condition" not in cfn.resource("DeployDevRole") and "Condition" not in cfn.resource("PreviewRole")


def test_a_created_key_lets_cloudformation_create_one_in_this_region_only():
    cfn = built(PipelineEnvironment("prd", Settings(kms_key="create"), None))
    [creating] = [s for s in statements(cfn, "CloudFormationPrdRole") if s["Action"] == ["kms:CreateKey"]]
    assert creating["Condition"] == {"StringEquals": {"aws:RequestedRegion": {"Fn::Sub": "${AWS::Region}"}}}
    plain = built(PipelineEnvironment("dev", Settings(), None))
    assert "kms:CreateKey" not in actions(plain, "CloudFormationDevRole")


def build_copy(project: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "build.py"], cwd=project, capture_output=True, text=True, timeout=120)


def _project(tmp_path: Path, pipeline: str) -> Path:
    """A copy of what build.py reads, with ``pipeline`` as its pipeline.toml."""
    copy = tmp_path / "project"
    copy.mkdir()
    shutil.copy2(ROOT / "build.py", copy)
    for folder in ("templates", "environments", "out"):
        shutil.copytree(ROOT / folder, copy / folder, ignore=shutil.ignore_patterns("__pycache__"))
    (copy / "pipeline.toml").write_text(pipeline)
    return copy


@pytest.mark.parametrize(
    ("pipeline", "says"),
    [
        ('github_repository = "acme/*"\n', "github_repository"),
        ('github_repository = "acme/data"\nenvironments = ["nowhere"]\n', "environments"),
        ('environments = ["dev", "dev"]\n', "each environment once"),
        ('environments = "dev"\n', "a list of environment names"),
        ('oidc_provider_arn = "arn:aws:iam::1:oidc-provider/example.com"\n', "oidc_provider_arn"),
        ('branch = "main"\n', "one of github_repository, environments, oidc_provider_arn"),
        ("environments = [\n", "not valid TOML"),
    ],
)
def test_a_bad_pipeline_file_is_one_line_exit_2_and_nothing_written(tmp_path, pipeline, says):
    project = _project(tmp_path, pipeline)
    before = snapshot(project / "out")
    result = build_copy(project)
    assert result.returncode == 2, result.stdout + result.stderr
    [line] = result.stderr.splitlines()
    assert says in line and "pipeline.toml" in line and "Traceback" not in result.stderr, line
    assert snapshot(project / "out") == before


def test_an_environment_whose_template_would_be_the_ci_roles_is_refused(tmp_path):
    project = _project(tmp_path, 'environments = ["dev"]\n')
    (project / "environments" / "ci-roles.toml").write_text("")
    result = build_copy(project)
    assert result.returncode == 2 and "ci-roles.toml" in result.stderr and "rename it" in result.stderr
