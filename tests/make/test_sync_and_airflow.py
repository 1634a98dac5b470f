"""make sync, ui, airflow and trigger against the emulators (moto + the MWAA API emulator)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from tests.make.runs import ROOT, STACK, bucket_of, client, error_lines, keys, make, sync


@pytest.fixture
def dags(tmp_path: Path) -> Path:
    folder = tmp_path / "dags"
    shutil.copytree(ROOT / "dags", folder, ignore=shutil.ignore_patterns("__pycache__"))
    (folder / "__pycache__").mkdir()
    (folder / "__pycache__" / "emr_steps.cpython-311.pyc").write_bytes(b"\0")
    (folder / "sub").mkdir()
    (folder / "sub" / "helper.py").write_text("HELP = 1\n")
    return folder


def test_sync_uploads_exactly_the_dag_files_and_deletes_only_when_asked(env, deployed, dags):
    bucket = bucket_of(env)
    s3 = client(env, "s3")
    s3.put_object(Bucket=bucket, Key="dags/stale.py", Body=b"old = True\n")
    s3.put_object(Bucket=bucket, Key="notes/keep.txt", Body=b"not a DAG\n")

    result = sync(env, dags)
    assert result.returncode == 0, result.stderr
    expected = ["dags/emr_steps.py", "dags/requirements.txt", "dags/sub/helper.py"]
    assert keys(env, bucket) == sorted([*expected, "dags/stale.py", "notes/keep.txt"]), "nothing deleted unasked"
    assert s3.get_object(Bucket=bucket, Key="dags/emr_steps.py")["Body"].read() == (dags / "emr_steps.py").read_bytes()

    result = sync(env, dags, DELETE="1")
    assert result.returncode == 0, result.stderr
    assert "delete: s3://" in result.stdout and "dags/stale.py" in result.stdout
    assert keys(env, bucket) == sorted([*expected, "notes/keep.txt"]), "--delete only under dags/"


def environment(mwaa):
    return mwaa.state.only()


def latest_version(env, bucket: str, key: str) -> str:
    return client(env, "s3").head_object(Bucket=bucket, Key=key)["VersionId"]


def test_requirements_change_bumps_the_version_the_environment_uses(env, deployed, dags, mwaa):
    bucket = bucket_of(env)
    assert sync(env, dags).returncode == 0
    first = latest_version(env, bucket, "dags/requirements.txt")
    props = environment(mwaa).props
    assert (props["RequirementsS3Path"], props["RequirementsS3ObjectVersion"]) == ("dags/requirements.txt", first)

    unchanged = sync(env, dags)
    assert unchanged.returncode == 0 and "already uses the current dags/requirements.txt" in unchanged.stdout
    assert len(environment(mwaa).updates) == 1

    with (dags / "requirements.txt").open("a") as handle:
        handle.write("boto3==1.44.8\n")  # what the constraints pin: preflight passes it
    changed = sync(env, dags)
    assert changed.returncode == 0, changed.stderr
    second = latest_version(env, bucket, "dags/requirements.txt")
    assert second != first and f"RequirementsS3ObjectVersion = {second}" in changed.stdout
    assert environment(mwaa).props["RequirementsS3ObjectVersion"] == second
    patch = [r for r in mwaa.requests if r["method"] == "PATCH"][-1]
    assert patch["path"] == f"/environments/{STACK}" and second in patch["body"]


def test_plugins_and_startup_script_are_uploaded_and_versioned(env, deployed, dags, mwaa):
    plugins = dags.parent / "plugins"
    (plugins / "operators").mkdir(parents=True)
    (plugins / "operators" / "custom.py").write_text("X = 1\n")
    (dags.parent / "startup.sh").write_text("#!/bin/sh\nexport ENVIRONMENT_STAGE=test\n")
    bucket = bucket_of(env)
    assert sync(env, dags).returncode == 0
    props = environment(mwaa).props
    assert props["PluginsS3Path"] == "plugins.zip" and props["StartupScriptS3Path"] == "startup.sh"
    assert props["PluginsS3ObjectVersion"] == latest_version(env, bucket, "plugins.zip")
    again = sync(env, dags)
    assert again.returncode == 0
    versions = client(env, "s3").list_object_versions(Bucket=bucket, Prefix="plugins.zip")["Versions"]
    assert len(versions) == 1, "the same plugins give the same zip: no new version, no restart"


def test_airflow_cli_returns_decoded_output_and_exit_status(env, deployed, dags):
    assert sync(env, dags).returncode == 0
    listed = make(env, "airflow", CMD="dags list")
    assert listed.returncode == 0, listed.stderr
    assert re.search(r"^emr_steps \|", listed.stdout, re.M)
    version = make(env, "airflow", CMD="version")
    assert version.returncode == 0 and version.stdout.strip() == "3.3.1"
    wrong = make(env, "airflow", CMD="dags lisst --verbose")
    assert wrong.returncode != 0
    assert "airflow command error: argument GROUP_OR_COMMAND" in wrong.stderr


def test_trigger_on_airflow_3_calls_the_rest_api(env, deployed, dags, mwaa):
    assert sync(env, dags).returncode == 0
    del mwaa.requests[:]  # the sync's own parse check asked too: only the trigger's requests below
    result = make(env, "trigger", DAG="emr_steps", CONF='{"cluster_id": "j-1ABCDEF"}')
    assert result.returncode == 0, result.stderr
    assert "Triggered emr_steps on mwaa-test: run manual__" in result.stdout
    [request] = [r for r in mwaa.requests if r["path"].startswith("/restapi/")]
    assert request["path"] == f"/restapi/{STACK}"
    import json

    assert json.loads(request["body"]) == {
        "Path": "/dags/emr_steps/dagRuns",
        "Method": "POST",
        "Body": {"logical_date": None, "conf": {"cluster_id": "j-1ABCDEF"}},
    }
    assert [(r["dag_id"], r["conf"]) for r in mwaa.dag_runs] == [("emr_steps", {"cluster_id": "j-1ABCDEF"})]
    assert not [r for r in mwaa.requests if r["path"] == "/aws_mwaa/cli"]

    missing = make(env, "trigger", DAG="no_such_dag")
    assert missing.returncode != 0
    [line] = error_lines(missing)
    assert "Airflow answered 404 to POST /dags/no_such_dag/dagRuns" in line


def test_trigger_on_airflow_2_goes_through_the_cli_token(env, dags, mwaa):
    deployed = make(env, "deploy", PARAMS="AirflowVersion=2.11.2")
    assert deployed.returncode == 0, deployed.stderr
    assert sync(env, dags).returncode == 0
    del mwaa.requests[:]  # the sync's own parse check asked through InvokeRestApi: only the trigger's below
    conf = '{"cluster_id": "j-2ABCDEF", "note": "it\'s quoted"}'
    result = make(env, "trigger", DAG="emr_steps", CONF=conf)
    assert result.returncode == 0, result.stderr
    assert "Created <DagRun emr_steps" in result.stdout
    [request] = [r for r in mwaa.requests if r["path"] == "/aws_mwaa/cli"]
    assert request["body"].startswith("dags trigger emr_steps --conf ")
    assert request["authorization"].startswith("Bearer ")
    assert not [r for r in mwaa.requests if r["path"].startswith("/restapi/")]
    assert [(r["dag_id"], r["conf"]) for r in mwaa.dag_runs] == [
        ("emr_steps", {"cluster_id": "j-2ABCDEF", "note": "it's quoted"})
    ]


def test_ui_prints_a_login_url_for_the_airflow_version(env, deployed, mwaa):
    result = make(env, "ui")
    assert result.returncode == 0, result.stderr
    [url] = re.findall(r"^https://\S+$", result.stdout, re.M)
    match = re.fullmatch(r"https://127\.0\.0\.1:\d+/pluginsv2/aws_mwaa/aws-console-sso\?login=true#(.+)", url)
    assert match, url
    assert mwaa.tokens[match.group(1)][:2] == ("web", STACK), "a token the API issued for this environment"


def test_bad_conf_and_empty_command_fail_in_one_line(env, deployed):
    bad = make(env, "trigger", CONF="{not json")
    assert bad.returncode != 0 and "CONF is not JSON" in error_lines(bad)[0]
    empty = make(env, "airflow", CMD=" ")
    assert empty.returncode != 0 and "CMD is empty" in error_lines(empty)[0]


def test_files_the_template_manages_are_versioned_through_the_stack(env, dags, mwaa):
    deployed = make(env, "deploy", ENV="prd", STACK_NAME=STACK)
    assert deployed.returncode == 0, deployed.stderr
    props = environment(mwaa).props
    assert "RequirementsS3Path" not in props, "no requirements before the file exists"
    result = sync(env, dags, ENV="prd")
    assert result.returncode == 0, result.stderr
    bucket = bucket_of(env)
    version = latest_version(env, bucket, "dags/requirements.txt")
    assert f"RequirementsS3ObjectVersion = {version}  (stack parameter)" in result.stdout
    stack = client(env, "cloudformation").describe_stacks(StackName=STACK)["Stacks"][0]
    params = {p["ParameterKey"]: p["ParameterValue"] for p in stack["Parameters"]}
    assert params["RequirementsS3ObjectVersion"] == version and params["MaxWorkers"] == "10"
    props = environment(mwaa).props
    assert (props["RequirementsS3Path"], props["RequirementsS3ObjectVersion"]) == ("dags/requirements.txt", version)
    assert not [r for r in mwaa.requests if r["method"] == "PATCH"], "no change behind CloudFormation's back"
    again = sync(env, dags, ENV="prd")
    assert again.returncode == 0 and "already uses the current" in again.stdout
