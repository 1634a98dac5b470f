"""make review: template pairs made from the project's own templates with one mutation each.
Expected replacements come from AWS's registry schemas as cfn-lint's own loader reads them,
never from the engine's answer."""

from __future__ import annotations

import copy
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from cfnlint.schema import PROVIDER_SCHEMA_MANAGER

from ops.intrinsics import load_template
from ops.review import render
from ops.review.engine import review

ROOT = Path(__file__).resolve().parents[2]


def template(name: str = "mwaa.yaml") -> dict:
    return load_template((ROOT / "out" / name).read_text())


def create_only(kind: str) -> set[str]:
    schema = PROVIDER_SCHEMA_MANAGER.get_resource_schema("us-east-1", kind).schema
    return {p.removeprefix("/properties/").replace("/", ".") for p in schema.get("createOnlyProperties", [])}


def mutated(change, name: str = "mwaa.yaml") -> tuple[dict, dict]:
    old = template(name)
    new = copy.deepcopy(old)
    change(new)
    return old, new


def resource(result, logical_id: str):
    [found] = [r for r in result.resources if r.id == logical_id]
    return found


def danger_ids(result) -> list[str]:
    return sorted(d["id"] for d in result.dangers)


ENVIRONMENT_REPLACEMENTS = {
    "Name": lambda p: p.update(Name="other"),
    "KmsKey": lambda p: p.update(KmsKey="arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"),
    "NetworkConfiguration.SubnetIds": lambda p: p["NetworkConfiguration"].update(SubnetIds=[{"Ref": "PublicSubnet1"}]),
    "EndpointManagement": lambda p: p.update(EndpointManagement="CUSTOMER"),
}


@pytest.mark.parametrize("path", sorted(ENVIRONMENT_REPLACEMENTS))
def test_each_way_the_environment_is_replaced_is_a_danger(path):
    assert path in create_only("AWS::MWAA::Environment"), "the schema says this replaces the environment"
    old, new = mutated(lambda t: ENVIRONMENT_REPLACEMENTS[path](t["Resources"]["MwaaEnvironment"]["Properties"]))
    result = review("out/mwaa.yaml", old, new)
    environment = resource(result, "MwaaEnvironment")
    assert environment.replacement == "always" and f"{path} is create-only" in environment.because
    [danger] = [d for d in result.dangers if d["id"] == "MwaaEnvironment"]
    assert "new, empty environment" in danger["why"] and "run history" in danger["why"]


def test_a_property_that_is_not_create_only_is_an_update():
    assert "MaxWorkers" not in create_only("AWS::MWAA::Environment")
    old, new = mutated(lambda t: t["Resources"]["MwaaEnvironment"]["Properties"].update(MaxWorkers=9))
    result = review("out/mwaa.yaml", old, new)
    assert resource(result, "MwaaEnvironment").replacement == "never" and result.dangers == []
    assert resource(result, "MwaaEnvironment").paths == [("MaxWorkers", {"Ref": "MaxWorkers"}, 9)]


def test_a_new_bucket_name_replaces_the_source_bucket_and_says_the_old_one_stays():
    assert "BucketName" in create_only("AWS::S3::Bucket")
    old, new = mutated(lambda t: t["Resources"]["EnvironmentBucket"]["Properties"].update(BucketName="renamed"))
    result = review("out/mwaa.yaml", old, new)
    assert resource(result, "EnvironmentBucket").replacement == "always"
    [danger] = [d for d in result.dangers if d["id"] == "EnvironmentBucket"]
    assert "source bucket" in danger["why"] and "replaced" in danger["why"]


def test_a_security_groups_description_replaces_it_and_the_environment_only_updates():
    assert "GroupDescription" in create_only("AWS::EC2::SecurityGroup")
    assert "NetworkConfiguration.SecurityGroupIds" not in create_only("AWS::MWAA::Environment")
    old, new = mutated(lambda t: t["Resources"]["SecurityGroup"]["Properties"].update(GroupDescription="x"))
    result = review("out/mwaa.yaml", old, new)
    assert resource(result, "SecurityGroup").replacement == "always"
    # The self-referencing ingress rule names the group in create-only properties: replaced too.
    assert {"GroupId", "SourceSecurityGroupId"} & create_only("AWS::EC2::SecurityGroupIngress")
    assert resource(result, "SecurityGroupIngress").because.endswith("refers to SecurityGroup, which is replaced")
    assert "MwaaEnvironment" not in [r.id for r in result.resources], "a reference through an updatable property"
    assert result.dangers == []


def test_a_new_vpc_cidr_cascades_to_the_subnets_and_the_environment():
    assert "CidrBlock" in create_only("AWS::EC2::VPC") and "VpcId" in create_only("AWS::EC2::Subnet")
    old, new = mutated(lambda t: t["Resources"]["VPC"]["Properties"].update(CidrBlock="10.1.0.0/16"))
    result = review("out/mwaa.yaml", old, new)
    assert resource(result, "PrivateSubnet1").because == "VpcId refers to VPC, which is replaced"
    environment = resource(result, "MwaaEnvironment")
    assert environment.replacement == "always" and "refers to PrivateSubnet1" in environment.because
    assert environment.properties == [], "no property of the environment changed in the text"
    assert "MwaaEnvironment" in danger_ids(result)
    comment = render.markdown("HEAD", [result], frozenset())
    assert "```mermaid" in comment and "VPC --> PrivateSubnet1" in comment
    assert "PrivateSubnet1 --> MwaaEnvironment" in comment


def test_outputs_parameters_and_their_traps():
    def change(t):
        exported = next(name for name, o in t["Outputs"].items() if "Export" in o)
        del t["Outputs"][exported]
        t["Parameters"]["EnvironmentClass"]["AllowedValues"].remove("mw1.2xlarge")
        t["Parameters"]["MaxWorkers"]["Default"] = 7

    old, new = mutated(change)
    result = review("out/mwaa.yaml", old, new)
    assert "EnvironmentClass" in danger_ids(result)
    assert any(o["exported"] and o["action"] == "remove" for o in result.outputs)
    assert any("exported output removed" in d["why"] for d in result.dangers)
    assert "MaxWorkers" not in danger_ids(result)
    assert any("MaxWorkers" in n and "reaches new stacks only" in n for n in result.notes)


def test_iam_network_and_bucket_weakening_are_dangers():
    def change(t):
        statements = t["Resources"]["MwaaExecutionPolicy"]["Properties"]["PolicyDocument"]["Statement"]
        statements[:] = [s for s in statements if s.get("Sid") != "NoBucketListing"]
        statements.append({"Effect": "Allow", "Action": ["s3:*"], "Resource": ["*"]})
        trust = t["Resources"]["MwaaExecutionRole"]["Properties"]["AssumeRolePolicyDocument"]["Statement"]
        trust.append({"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": ["sts:AssumeRole"]})
        t["Resources"]["SecurityGroup"]["Properties"].setdefault("SecurityGroupIngress", []).append(
            {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "CidrIp": "0.0.0.0/0"}
        )
        bucket = t["Resources"]["EnvironmentBucket"]["Properties"]
        bucket["VersioningConfiguration"]["Status"] = "Suspended"
        bucket["PublicAccessBlockConfiguration"]["BlockPublicPolicy"] = False

    old, new = mutated(change)
    result = review("out/mwaa.yaml", old, new)
    whys = {d["why"] for d in result.dangers}
    assert any("a Deny of s3:ListAllMyBuckets is removed" in w for w in whys)
    assert any("a new Allow of s3:*" in w for w in whys)
    assert any("trust policy is widened" in w for w in whys)
    assert any("ingress from 0.0.0.0/0 on tcp 443" in w for w in whys)
    assert any("versioning is no longer Enabled" in w for w in whys)
    assert any("BlockPublicPolicy" in w for w in whys)


def test_whole_variants_templates_added_removed_and_unchanged():
    variant = review("out/mwaa.yaml", template("mwaa.yaml"), template("mwaa-private.yaml"))
    removed = {r.id for r in variant.resources if r.action == "remove"}
    assert {"InternetGateway", "NatGateway1", "NatGateway2"} <= removed
    added = review("out/mwaa-new.yaml", None, template("mwaa-dev.yaml"))
    assert added.status == "added" and {r.action for r in added.resources} == {"add"} and added.dangers == []
    gone = review("out/mwaa-dev.yaml", template("mwaa-dev.yaml"), None)
    assert gone.status == "removed" and "MwaaEnvironment" in danger_ids(gone)
    assert "EnvironmentBucket" in danger_ids(gone) and "kept in the account" in " ".join(d["why"] for d in gone.dangers)
    same = review("out/mwaa.yaml", template(), template())
    assert same.status == "unchanged" and same.resources == [] and same.dangers == []


def test_json_follows_the_documented_contract():
    old, new = mutated(lambda t: t["Resources"]["MwaaEnvironment"]["Properties"].update(Name="other"))
    document = json.loads(render.as_json("HEAD", [review("out/mwaa.yaml", old, new)], frozenset()))
    assert set(document) == {"base", "dangers", "templates"} and document["dangers"] == 1
    [entry] = document["templates"]
    assert {"path", "status", "resources", "parameters", "outputs", "iam", "network", "dangers"} <= set(entry)
    [environment] = entry["resources"]
    assert environment == {
        "id": "MwaaEnvironment",
        "type": "AWS::MWAA::Environment",
        "action": "modify",
        "replacement": "always",
        "properties": ["Name"],
        "because": "Name is create-only",
    }


def test_markdown_never_passes_githubs_comment_limit():
    old = template()
    new = copy.deepcopy(old)
    for n in range(3000):
        new["Resources"][f"Extra{n}"] = {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": "q" * 40}}
    comment = render.markdown("HEAD", [review("out/mwaa.yaml", old, new)], frozenset())
    assert len(comment) <= render.COMMENT_LIMIT and "cut to fit GitHub's comment limit" in comment
    assert comment.startswith("### mwaa-stack review") and "3000 to add" in comment


# --- end to end: git, out/, exit codes -------------------------------------------------------------


def ops(cwd: Path, *args: str, **variables: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MWAA_STACK_", "AWS_"))}
    env.update({f"MWAA_STACK_{k}": v for k, v in variables.items()}, AWS_CONFIG_FILE=os.devnull)
    return subprocess.run(
        [sys.executable, "-m", "ops", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )


@pytest.fixture(scope="module")
def clone(tmp_path_factory) -> Path:
    """A clone of this repository at HEAD, with the work tree's out/ and templates (so a test can
    change settings, rebuild and review against its HEAD)."""
    where = tmp_path_factory.mktemp("review") / "repo"
    subprocess.run(["git", "clone", "--quiet", "--local", str(ROOT), str(where)], check=True, timeout=120)
    for folder in ("templates", "environments", "out", "ops"):
        shutil.rmtree(where / folder)
        shutil.copytree(ROOT / folder, where / folder, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "build.py", where / "build.py")
    git = ["git", "-C", str(where), "-c", "user.name=t", "-c", "user.email=t@example.com"]
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "--quiet", "--allow-empty", "-m", "base"], check=True)
    return where


def rebuilt(clone: Path) -> None:
    done = subprocess.run([sys.executable, "build.py"], cwd=clone, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr


def test_a_change_that_replaces_the_environment_fails_review_until_allowed(clone):
    prd = clone / "environments" / "prd.toml"
    original = prd.read_text()
    try:
        prd.write_text(original.replace('kms_key = "create"', 'kms_key = ""'))
        (clone / "environments" / "qa.toml").write_text('app_env = "qa"\n')
        os.remove(clone / "environments" / "dev.toml")
        pipeline = clone / "pipeline.toml"  # its roles go with it
        pipeline.write_text(pipeline.read_text().replace('"dev", ', ""))
        rebuilt(clone)
        refused = ops(clone, "review")
        assert refused.returncode == 1, refused.stdout + refused.stderr
        assert "DANGER MwaaEnvironment: the MWAA environment is replaced (KmsKey is create-only)" in refused.stdout
        assert "out/mwaa-qa.yaml (added)" in refused.stdout and "out/mwaa-dev.yaml (removed)" in refused.stdout
        [line] = refused.stderr.strip().splitlines()
        assert line.startswith("mwaa-stack: error:") and "MwaaEnvironment" in line and "ALLOW=" in line
        ids = sorted(
            {d["id"] for t in json.loads(ops(clone, "review", FORMAT="json").stdout)["templates"] for d in t["dangers"]}
        )
        accepted = ops(clone, "review", ALLOW=",".join(ids))
        assert accepted.returncode == 0, accepted.stderr
        assert "(accepted by ALLOW)" in accepted.stdout
        comment = ops(clone, "review", FORMAT="markdown", ALLOW=",".join(ids))
        assert "- **mwaa-prd** (modified): " in comment.stdout and "**1 to replace**" in comment.stdout
    finally:
        subprocess.run(
            ["git", "-C", str(clone), "checkout", "--quiet", "--", "environments", "out", "pipeline.toml"], check=True
        )
        (clone / "environments" / "qa.toml").unlink(missing_ok=True)
        (clone / "out" / "mwaa-qa.yaml").unlink(missing_ok=True)


def test_a_stale_out_a_bad_base_and_bad_input_are_one_line_exit_2(clone):
    (clone / "out" / "mwaa.yaml").write_text((clone / "out" / "mwaa.yaml").read_text() + "# edited\n")
    try:
        stale = ops(clone, "review")
        assert stale.returncode == 2 and "out/ is stale (mwaa.yaml)" in stale.stderr
    finally:
        subprocess.run(["git", "-C", str(clone), "checkout", "--quiet", "--", "out"], check=True)
    for variables, message in (
        ({"BASE": "no-such-branch"}, "is not a revision of this repository"),
        ({"BASE": "HEAD;rm"}, "is not a git revision name"),
        ({"FORMAT": "html"}, "FORMAT='html': one of text, markdown, json"),
        ({"ALLOW": "Mwaa Environment"}, "ALLOW="),
        ({"OLD": "out/mwaa.yaml"}, "OLD and NEW go together"),
        ({"OLD": "/etc/passwd", "NEW": "out/mwaa.yaml"}, "OLD: /etc/passwd is not a CloudFormation template"),
    ):
        result = ops(clone, "review", **variables)
        assert result.returncode == 2, (variables, result.stdout, result.stderr)
        [line] = result.stderr.strip().splitlines()
        assert message in line, line


def test_two_files_compare_directly_json_or_yaml(tmp_path):
    as_json = tmp_path / "prd.json"
    as_json.write_text(json.dumps(template("mwaa-prd.yaml")))
    result = ops(ROOT, "review", OLD=str(ROOT / "out" / "mwaa-dev.yaml"), NEW=str(as_json), FORMAT="json")
    assert result.returncode == 1  # dev -> prd adds a KMS key: the environment is replaced
    [entry] = json.loads(result.stdout)["templates"]
    assert entry["status"] == "modified" and any(d["id"] == "MwaaEnvironment" for d in entry["dangers"])


def test_a_log_group_replaced_the_key_removed_and_a_rule_dropped(tmp_path):
    assert "LogGroupName" in create_only("AWS::Logs::LogGroup")

    def change(t):
        t["Resources"]["TaskLogGroup"]["Properties"]["LogGroupName"] = {"Fn::Sub": "team-${EnvironmentName}-Task"}
        del t["Resources"]["MwaaKmsKey"]
        del t["Rules"]["MicroRunsOneOfEach"]

    old, new = mutated(change, "mwaa-team.yaml")
    result = review("out/mwaa-team.yaml", old, new)
    whys = {d["id"]: d["why"] for d in result.dangers}
    assert whys["TaskLogGroup"].startswith("a log group, with its logs, is replaced (LogGroupName is create-only)")
    assert whys["MwaaKmsKey"].startswith("the key the environment's data is encrypted with is removed")
    assert {"section": "Rules", "name": "MicroRunsOneOfEach", "action": "remove"} in result.sections
