"""The workflows of .github/workflows/ run as written, offline: each job's steps in order in a
git checkout of a small copy of the project, against the emulator, with a stand-in ``gh``
on PATH that records the pull request's comment, and the variables a runner sets
(tests/make/actions.py).  One environment, ``here``, is pinned to the emulator's account and
named in pipeline.toml; ``dev`` is not pinned."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from ops.intrinsics import load_template, pseudo_parameters, resolve
from tests.emulator import permissions
from tests.emulator.permissions import as_moto_sees_it
from tests.make.actions import Runner, clean_env
from tests.make.runs import ROOT, build, client, copy_project

ACCOUNT = "123456789012"  # the emulator's
REPOSITORY = "acme/data"
PREVIEW_ROLE = f"arn:aws:iam::{ACCOUNT}:role/mwaa-ci-preview"
WORKFLOWS = ROOT / ".github" / "workflows"
NUMBER = 7
HEAD_SHA = "0123456789abcdef0123456789abcdef01234567"


def git(where: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-C", str(where), "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout


@pytest.fixture(scope="module")
def origin(tmp_path_factory) -> Path:
    """The team's repository on main: the project with environments dev and here, out/ built."""
    repo = copy_project(
        tmp_path_factory.mktemp("pipeline") / "origin",
        files=("pyproject.toml",),
        folders=("ops", "templates", "dags", "scripts", "vendor", ".github"),
    )
    (repo / "environments").mkdir()
    shutil.copy2(ROOT / "environments" / "dev.toml", repo / "environments" / "dev.toml")
    (repo / "environments" / "here.toml").write_text(
        f'environment_class = "mw1.small"\n\n[target]\naccount_id = "{ACCOUNT}"\nregion = "eu-west-1"\n'
    )
    (repo / "pipeline.toml").write_text(f'github_repository = "{REPOSITORY}"\nenvironments = ["here"]\n')
    (repo / ".gitignore").write_text((ROOT / ".gitignore").read_text())
    build(cwd=repo)
    git(repo, "init", "--quiet", "--initial-branch=main")
    git(repo, "add", "-A")
    git(repo, "commit", "--quiet", "-m", "main")
    return repo


@pytest.fixture
def checkout(origin, tmp_path) -> Path:
    """What actions/checkout with fetch-depth 0 leaves: a clone with origin/main; the venvs
    and preflight's images are the repository's (links; make sees them up to date)."""
    work = tmp_path / "work"
    git(tmp_path, "clone", "--quiet", str(origin), str(work))
    for venv in (".venv", ".venv-security", ".venv-airflow", ".venv-airflow2", ".cache"):
        (work / venv).symlink_to(ROOT / venv)
    for pins in ROOT.glob("requirements*"):  # a clone's files are new: make would reinstall the linked venvs
        os.utime(work / pins.name, ns=(pins.stat().st_atime_ns, pins.stat().st_mtime_ns))
    return work


@pytest.fixture
def gh(tmp_path) -> Path:
    """The stand-in gh on PATH (tests/make/stand_in_gh.py); its state: comments, calls, heads."""
    folder = tmp_path / "bin"
    folder.mkdir()
    script = folder / "gh"
    script.write_text(f'#!/bin/sh\nexec "{sys.executable}" "{ROOT / "tests" / "make" / "stand_in_gh.py"}" "$@"\n')
    script.chmod(0o755)
    state = tmp_path / "gh-state.json"
    state.write_text(json.dumps({"comments": [], "calls": [], "heads": {}}))
    return state


def runner(env, checkout, gh, event_name, event, *, tmp_path, variables=None, inputs=None) -> Runner:
    environment = clean_env(env) | {
        "PATH": f"{gh.parent / 'bin'}:{clean_env(env)['PATH']}",
        "GH_STANDIN_STATE": str(gh),
    }
    return Runner(
        checkout,
        environment,
        event_name,
        event,
        {"repository": REPOSITORY, "base_ref": "main" if event_name == "pull_request" else ""},
        variables or {},
        inputs or {},
        artifacts=tmp_path / "artifacts",
    )


def pull_request(head_repository: str = REPOSITORY, labels: tuple[str, ...] = ()) -> dict:
    return {
        "pull_request": {
            "number": NUMBER,
            "head": {"sha": HEAD_SHA, "repo": {"full_name": head_repository}},
            "labels": [{"name": name} for name in labels],
        }
    }


def propose(checkout: Path) -> None:
    """A pull request's commit: a customer managed key for ``here``, which replaces its
    environment (KmsKey is create-only), and out/ rebuilt as the author would."""
    settings = checkout / "environments" / "here.toml"
    settings.write_text('kms_key = "create"\n' + settings.read_text())
    build(cwd=checkout)
    git(checkout, "checkout", "--quiet", "-b", "key")
    git(checkout, "commit", "--quiet", "-am", "a key of our own")


def state(gh: Path) -> dict:
    return json.loads(gh.read_text())


def step(job, name_part: str):
    [found] = [s for s in job.steps if name_part in s.name]
    return found


def test_merge_deploys_each_pinned_environment_with_its_roles_then_syncs(env, checkout, gh, tmp_path):
    run = runner(env, checkout, gh, "push", {"ref": "refs/heads/main"}, tmp_path=tmp_path)
    result = run.run_workflow(WORKFLOWS / "deploy.yml")
    [listing] = result["list"]
    assert listing.result == "success", [s.output for s in listing.steps]
    assert [e["name"] for e in json.loads(listing.outputs["matrix"])] == ["here"], "dev is not pinned"
    [deploy] = result["deploy"]
    assert deploy.result == "success", step(deploy, "make deploy").output
    assert deploy.credentials == {
        "role-to-assume": f"arn:aws:iam::{ACCOUNT}:role/mwaa-ci-deploy-here",
        "aws-region": "eu-west-1",
        "allowed-account-ids": ACCOUNT,
    }
    [stack] = client(env, "cloudformation").describe_stacks(StackName="mwaa-here")["Stacks"]
    assert stack["RoleARN"] == f"arn:aws:iam::{ACCOUNT}:role/mwaa-ci-cloudformation-here"
    bucket = next(o["OutputValue"] for o in stack["Outputs"] if o["OutputKey"] == "EnvironmentBucketName")
    keys = [o["Key"] for o in client(env, "s3").list_objects_v2(Bucket=bucket).get("Contents", [])]
    assert "dags/emr_steps.py" in keys, keys


def test_a_dispatch_for_an_environment_the_pipeline_does_not_deploy_deploys_nothing(env, checkout, gh, tmp_path):
    run = runner(env, checkout, gh, "workflow_dispatch", {}, tmp_path=tmp_path, inputs={"environment": "dev"})
    result = run.run_workflow(WORKFLOWS / "deploy.yml")
    [listing] = result["list"]
    listed = step(listing, "environments to deploy")
    assert listed.returncode == 2 and "environment dev: not one the pipeline deploys" in listed.output
    assert result["deploy"][0].result == "skipped"
    assert client(env, "cloudformation").describe_stacks()["Stacks"] == []


def test_a_replacing_change_fails_review_with_one_comment_until_labelled_and_previews_the_change_set(
    env, checkout, gh, tmp_path
):
    deployed = subprocess.run(
        ["make", "--no-print-directory", "deploy", "ENV=here"],
        cwd=checkout,
        env=clean_env(env),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert deployed.returncode == 0, deployed.stdout + deployed.stderr
    propose(checkout)
    variables = {"AWS_PREVIEW_ROLE_ARN": PREVIEW_ROLE}
    first = runner(env, checkout, gh, "pull_request", pull_request(), tmp_path=tmp_path, variables=variables)
    result = first.run_workflow(WORKFLOWS / "review.yml")
    [review] = result["review"]
    checks = step(review, "Check, lint, preflight, review")
    assert review.result == "failure" and checks.returncode == 1, checks.output
    [comment] = state(gh)["comments"]
    assert comment["issue"] == str(NUMBER) and comment["body"].startswith("<!-- mwaa-stack review -->")
    assert "| `make lint` | passed |" in comment["body"] and "| `make preflight ENV=here` | passed |" in comment["body"]
    assert "DANGER: not accepted" in comment["body"] and "MwaaEnvironment" in comment["body"]
    assert "DANGER" in (tmp_path / "runner-review" / "review-summary.md").read_text()
    [preview] = result["preview"]
    assert preview.result == "success", [s.output for s in preview.steps]
    assert preview.credentials["role-to-assume"] == PREVIEW_ROLE
    [comment] = state(gh)["comments"]
    assert "<summary><code>make diff ENV=here</code></summary>" in comment["body"]
    preview_part = comment["body"].split("<!-- mwaa-stack preview -->")[1]
    assert "Changes `make deploy` would make to stack mwaa-here" in preview_part
    assert "\nModify  MwaaEnvironment " in preview_part, "the change set's lines, one per line"

    # the key's new role statement is a danger too (kms:CreateKey on *): both accepted
    allow = ("allow:MwaaEnvironment", "allow:CloudFormationHereRole")
    labelled = pull_request(labels=(*allow, "allow:$(touch pwned)", "bug"))
    again = runner(env, checkout, gh, "pull_request", labelled, tmp_path=tmp_path, variables=variables)
    result = again.run_workflow(WORKFLOWS / "review.yml")
    assert result["review"][0].result == "success", step(result["review"][0], "Check").output
    [comment] = state(gh)["comments"]  # the same comment, edited
    accepted = "Accepted by labels: `allow:CloudFormationHereRole`, `allow:MwaaEnvironment`."
    assert accepted in comment["body"] and "pwned" not in comment["body"]
    assert not (checkout / "pwned").exists()
    methods = [call["method"] for call in state(gh)["calls"] if call["method"] != "GET"]
    assert methods == ["POST", "PATCH", "PATCH", "PATCH"], "created once, then edited in place"


def test_a_fork_s_review_is_posted_by_review_comment_only_on_the_reviewed_head(env, origin, checkout, gh, tmp_path):
    propose(checkout)
    variables = {"AWS_PREVIEW_ROLE_ARN": PREVIEW_ROLE}
    fork = runner(
        env, checkout, gh, "pull_request", pull_request("stranger/data"), tmp_path=tmp_path, variables=variables
    )
    result = fork.run_workflow(WORKFLOWS / "review.yml")
    [review] = result["review"]
    assert "the review-comment workflow posts the review" in step(review, "Comment").output
    assert step(review, "Hand a fork").outcome == "success"
    assert result["preview"][0].result == "skipped", "a fork's code never holds AWS credentials"
    assert state(gh)["calls"] == []

    base = tmp_path / "base"  # review-comment.yml runs the default branch, never the fork's code
    git(tmp_path, "clone", "--quiet", str(origin), str(base))
    posted = {
        "workflow_run": {
            "event": "pull_request",
            "head_repository": {"full_name": "stranger/data"},
            "head_sha": HEAD_SHA,
            "id": 1,
        }
    }
    data = state(gh) | {"heads": {str(NUMBER): "f" * 40}}  # the pull request moved on: another head
    gh.write_text(json.dumps(data))
    stale = runner(env, base, gh, "workflow_run", posted, tmp_path=tmp_path).run_workflow(
        WORKFLOWS / "review-comment.yml"
    )
    refused = step(stale["post"][0], "Comment")
    assert refused.returncode == 2 and "is not at" in refused.output and state(gh)["comments"] == []
    gh.write_text(json.dumps(state(gh) | {"heads": {str(NUMBER): HEAD_SHA}}))
    done = runner(env, base, gh, "workflow_run", posted, tmp_path=tmp_path).run_workflow(
        WORKFLOWS / "review-comment.yml"
    )
    assert done["post"][0].result == "success", step(done["post"][0], "Comment").output
    [comment] = state(gh)["comments"]
    assert comment["issue"] == str(NUMBER) and "DANGER: not accepted" in comment["body"]


def _policy_user(env: dict[str, str], name: str, document: dict) -> dict[str, str]:
    """An IAM user holding exactly ``document``; the environment of a job with its key."""
    iam = client(env, "iam")
    iam.create_user(UserName=name)
    iam.put_user_policy(UserName=name, PolicyName=name, PolicyDocument=json.dumps(as_moto_sees_it(document)))
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return clean_env(env) | {"AWS_ACCESS_KEY_ID": key["AccessKeyId"], "AWS_SECRET_ACCESS_KEY": key["SecretAccessKey"]}


def _role_policy(checkout: Path, logical_id: str) -> dict:
    """The inline policy of one role of the checkout's out/mwaa-ci-roles.yaml, resolved for the
    emulator's account and region."""
    body = load_template((checkout / "out" / "mwaa-ci-roles.yaml").read_text())
    values = {**pseudo_parameters(ACCOUNT, "eu-west-1", "mwaa-ci-roles"), "GitHubRepository": REPOSITORY}

    def physical(name: str, attribute: str | None) -> str:
        return f"arn:aws:iam::{ACCOUNT}:role/{body['Resources'][name]['Properties']['RoleName']}"

    [policy] = body["Resources"][logical_id]["Properties"]["Policies"]
    return resolve(policy["PolicyDocument"], values, physical)


def test_the_roles_own_policies_deploy_sync_and_preview_and_the_preview_role_cannot_deploy(env, checkout):
    """With moto's IAM authorization on (actions for every service; resources for S3 only:
    tests/emulator/permissions.py), each job runs as a user that holds exactly its role's
    policy: every call the make targets send must be allowed."""
    trust = {"Statement": [{"Effect": "Allow", "Principal": {"Service": "cloudformation.amazonaws.com"}}]}
    service_role = client(env, "iam").create_role(
        RoleName="mwaa-ci-cloudformation-here", AssumeRolePolicyDocument=json.dumps(trust)
    )["Role"]["Arn"]
    deployer = _policy_user(env, "ci-deploy", _role_policy(checkout, "DeployHereRole"))
    previewer = _policy_user(env, "ci-preview", _role_policy(checkout, "PreviewRole"))

    def make_as(job_env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            ["make", "--no-print-directory", *args],
            cwd=checkout,
            env=job_env,
            capture_output=True,
            text=True,
            timeout=300,
        )

    with permissions.enforced() as denied:
        for args in (("deploy", "ENV=here", f"ROLE_ARN={service_role}"), ("sync", "ENV=here")):
            done = make_as(deployer, *args)
            assert done.returncode == 0 and denied == [], (args, denied, done.stdout[-2000:], done.stderr[-2000:])
        settings = checkout / "environments" / "here.toml"
        settings.write_text(settings.read_text() + '\n[tags]\nteam = "data"\n')  # a property, not a parameter
        build(cwd=checkout)
        previewed = make_as(previewer, "diff", "ENV=here", "BASE=")
        assert previewed.returncode == 0 and denied == [], (denied, previewed.stdout[-2000:], previewed.stderr)
        assert "Modify  MwaaEnvironment" in previewed.stdout
    before = client(env, "cloudformation").get_template(StackName="mwaa-here")["TemplateBody"]
    with permissions.enforced() as denied:
        refused = make_as(previewer, "deploy", "ENV=here")
        assert refused.returncode != 0 and denied, "the preview role may not deploy"
    assert client(env, "cloudformation").get_template(StackName="mwaa-here")["TemplateBody"] == before
