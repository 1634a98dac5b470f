"""The operating targets with hostile or unlucky input, through the real make targets
against the emulators: nothing runs that was not asked for, "no" never deletes,
nothing outside the named folder is uploaded, every wait is bounded, every failure is
one line."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import threading
import time

import pytest

from tests.make.runs import ROOT, STACK, client, destroy_at_a_terminal, error_lines, keys, make, sync

INJECTIONS = [
    "x;touch {marker}",
    "x && touch {marker}",
    "x | touch {marker}",
    "x`touch {marker}`",
    "x$(touch {marker})",
    "x$(shell touch {marker})",
    "x'; touch {marker}; echo '",
    'x"; touch {marker}; echo "',
    "x\ntouch {marker}",
    "x > {marker}",
]
# Each variable on a target that uses it; none of these may run a command or deploy.
TARGETS = {
    "PARAMS": "deploy",
    "STACK_NAME": "deploy",
    "ENV": "deploy",
    "TEMPLATE": "deploy",
    "REGION": "outputs",
    "PROFILE": "outputs",
    "BASE": "diff",
    "DAGS": "sync",
    "DAG": "trigger",
    "CONF": "trigger",
    "CMD": "airflow",
    "YES": "destroy",
    "DELETE": "sync",
    "TIMEOUT": "outputs",
    "AIRFLOW_VERSION": "preflight",
    "SKIP_PREFLIGHT": "sync",
    "NOWAIT": "sync",
    "POLL": "status",
    "TYPE": "logs",
    "SINCE": "logs",
    "FOLLOW": "logs",
    "RUN": "logs",
    "TASK": "logs",
    "WAIT": "trigger",
    "OLD": "review",
    "NEW": "review",
    "FORMAT": "review",
    "ALLOW": "review",
    "ROLE_ARN": "deploy",
    "TO": "upgrade-check",
    "FROM": "upgrade-check",
    "NOVERIFY": "sync",
    "VERIFY_TIMEOUT": "sync",
}


def stacks(env) -> list[str]:
    return [s["StackName"] for s in client(env, "cloudformation").list_stacks()["StackSummaries"]]


@pytest.mark.parametrize("variable", sorted(TARGETS))
def test_no_value_runs_a_command(env, tmp_path, variable):
    for number, pattern in enumerate(INJECTIONS):
        marker = tmp_path / f"PWNED-{number}"
        result = make(env, TARGETS[variable], **{variable: pattern.format(marker=marker)})
        assert not marker.exists(), f"{variable}={pattern!r} ran a command"
        assert result.returncode != 0, f"{variable}={pattern!r} was accepted: {result.stdout}"
        assert len(error_lines(result)) == 1, result.stderr
    assert stacks(env) == [], "nothing was deployed"
    assert not list(ROOT.glob("PWNED*"))


def test_an_unknown_variable_with_make_syntax_runs_nothing(env, tmp_path):
    marker = tmp_path / "PWNED"
    result = make(env, "outputs", SOMETHING=f"$(shell touch {marker})")
    assert not marker.exists() and result.returncode != 0


def test_values_reach_aws_exactly_as_typed(env, deployed, mwaa, tmp_path):
    (tmp_path / "dags").mkdir()
    (tmp_path / "dags" / "emr_steps.py").write_text((ROOT / "dags" / "emr_steps.py").read_text())
    assert make(env, "sync", DAGS=str(tmp_path / "dags")).returncode == 0
    conf = {"cluster_id": "j-1ABC", "note": "$HOME $(whoami) `id` 'single' \"double\" $$ \\n", "multi": "a\nb"}
    text = json.dumps(conf, indent=2)  # a multi-line CONF
    result = make(env, "trigger", DAG="emr_steps", CONF=text)
    assert result.returncode == 0, result.stderr
    assert [run["conf"] for run in mwaa.dag_runs] == [conf]
    command = "dags list -o plain $HOME '$(x)'"
    make(env, "airflow", CMD=command)
    assert [r["body"] for r in mwaa.requests if r["path"] == "/aws_mwaa/cli"] == [command]


@pytest.mark.parametrize("answer", ["0", "no", "false", "NO", ""])
def test_yes_that_says_no_never_destroys(env, deployed, answer):
    result = make(env, "destroy", YES=answer)
    assert result.returncode != 0
    assert error_lines(result) == [
        "mwaa-stack: error: refusing to delete stack mwaa-test without confirmation: run `make destroy YES=1`"
    ]
    assert STACK in stacks(env)


@pytest.mark.parametrize(("variable", "target"), [("YES", "destroy"), ("DELETE", "sync"), ("SKIP_PREFLIGHT", "sync")])
def test_a_flag_that_is_neither_yes_nor_no_is_a_mistake(env, deployed, variable, target):
    result = make(env, target, **{variable: "maybe"})
    assert result.returncode != 0
    [line] = error_lines(result)
    assert f"{variable}='maybe': a flag is 1, true or yes (on) or 0, false, no or empty (off)" in line
    assert STACK in stacks(env)


@pytest.fixture
def bucket(env, deployed) -> str:
    outputs = client(env, "cloudformation").describe_stacks(StackName=STACK)["Stacks"][0]["Outputs"]
    return {o["OutputKey"]: o["OutputValue"] for o in outputs}["EnvironmentBucketName"]


@pytest.fixture
def dags(tmp_path):
    folder = tmp_path / "dags"
    (folder / "sub" / "__pycache__").mkdir(parents=True)
    (folder / "flow.py").write_text("from airflow import DAG\n")
    (folder / "requirements.txt").write_text("boto3\n")
    (folder / "sub" / "helper.py").write_text("X = 1\n")
    (folder / "sub" / "__pycache__" / "helper.cpython-311.pyc").write_bytes(b"\0")
    (folder / "sub" / ".DS_Store").write_bytes(b"\0")
    return folder


@pytest.mark.parametrize("answer", ["0", "no", "false"])
def test_delete_that_says_no_deletes_nothing(env, bucket, dags, answer):
    client(env, "s3").put_object(Bucket=bucket, Key="dags/keep.py", Body=b"x = 1\n")
    result = sync(env, dags, DELETE=answer)
    assert result.returncode == 0, result.stderr
    assert "dags/keep.py" in keys(env, bucket)


def test_caches_at_any_depth_are_not_uploaded_and_folder_links_not_followed(env, bucket, dags):
    os.symlink("..", dags / "sub" / "loop")
    result = sync(env, dags)
    assert result.returncode == 0, result.stderr
    assert keys(env, bucket) == ["dags/flow.py", "dags/requirements.txt", "dags/sub/helper.py"]


@pytest.mark.parametrize("target", ["secret", "missing"])
def test_a_link_leaving_the_folder_stops_the_sync_before_any_upload(env, bucket, dags, target):
    secret = dags.parent / "credentials"
    secret.write_text("aws_secret_access_key = do-not-publish\n")
    os.symlink(secret if target == "secret" else dags / "nowhere.py", dags / "sub" / "creds.py")
    result = sync(env, dags)
    assert result.returncode != 0
    [line] = error_lines(result)
    assert "sub/creds.py -> " in line and "refusing links" in line
    assert keys(env, bucket) == []


def test_delete_with_a_folder_without_dags_is_refused(env, bucket, tmp_path):
    client(env, "s3").put_object(Bucket=bucket, Key="dags/flow.py", Body=b"x = 1\n")
    (tmp_path / "empty").mkdir()
    result = make(env, "sync", DAGS=str(tmp_path / "empty"), DELETE="1")
    assert result.returncode != 0
    assert "holds no DAG file" in error_lines(result)[0]
    assert keys(env, bucket) == ["dags/flow.py"]


def test_delete_lists_what_it_deletes_and_keeps_what_the_environment_reads(env, bucket, dags, mwaa):
    assert sync(env, dags).returncode == 0
    assert mwaa.state.only().props["RequirementsS3Path"] == "dags/requirements.txt"
    client(env, "s3").put_object(Bucket=bucket, Key="dags/stale.py", Body=b"x = 1\n")
    (dags / "requirements.txt").unlink()
    result = sync(env, dags, DELETE="yes")
    assert result.returncode == 0, result.stderr
    assert f"delete: s3://{bucket}/dags/stale.py" in result.stdout
    assert f"kept: s3://{bucket}/dags/requirements.txt (the environment reads it)" in result.stdout
    assert keys(env, bucket) == ["dags/flow.py", "dags/requirements.txt", "dags/sub/helper.py"]


def test_an_unchanged_large_plugins_zip_is_not_uploaded_again(env, bucket, dags):
    plugins = dags.parent / "plugins"
    plugins.mkdir()
    (plugins / "blob.bin").write_bytes(os.urandom(9 * 1024 * 1024))  # over the CLI's 8 MiB multipart size
    assert sync(env, dags).returncode == 0
    again = sync(env, dags)
    assert again.returncode == 0 and "already uses the current" in again.stdout
    versions = client(env, "s3").list_object_versions(Bucket=bucket, Prefix="plugins.zip")["Versions"]
    assert len(versions) == 1


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        ({"TEMPLATE": "/nonexistent/t.yaml"}, "does not exist"),
        ({"TEMPLATE": "/tmp"}, "is not a file"),
        ({"TEMPLATE": str(ROOT / "README.md")}, "is not YAML or JSON"),
        ({"STACK_NAME": ""}, "STACK_NAME=''"),
        ({"ENV": "a/../b"}, "ENV='a/../b'"),
        ({"PARAMS": "--template=out/mwaa-dev.yaml"}, "looks like an option"),
        ({"PARAMS": "MaxWorkers=1e1"}, "must be a whole number"),
        ({"PARAMS": "VpcCIDR=10.0.0.256/16"}, "is not an IPv4 CIDR block"),
        ({"PARAMS": "MaxWorkers=3 MaxWorkers=4"}, "given twice"),
        ({"TIMEOUT": "forever"}, "a duration such as"),
    ],
)
def test_bad_deploy_input_is_one_line_and_deploys_nothing(env, variables, message):
    result = make(env, "deploy", **variables)
    assert result.returncode != 0
    [line] = error_lines(result)
    assert message in line, line
    assert stacks(env) == []


def test_a_dag_id_is_checked_before_it_reaches_a_url(env, deployed, mwaa):
    result = make(env, "trigger", DAG="../pools?x=")
    assert result.returncode != 0 and "is not a DAG id" in error_lines(result)[0]
    assert not [r for r in mwaa.requests if r["path"].startswith("/restapi/")]


def test_end_of_input_at_the_destroy_prompt_deletes_nothing(env, deployed):
    code, _, err = destroy_at_a_terminal(env, b"\x04")  # Ctrl-D
    assert code != 0 and "Traceback" not in err
    assert "mwaa-stack: error: no answer; nothing deleted" in err
    assert STACK in stacks(env)


def test_a_preview_left_by_an_interrupted_diff_is_deleted_by_the_next(env, deployed):
    cfn = client(env, "cloudformation")
    body = (ROOT / "out" / "mwaa.yaml").read_text()
    cfn.create_change_set(
        StackName=STACK,
        ChangeSetName="mwaa-stack-preview-1",
        TemplateBody=body,
        Capabilities=["CAPABILITY_IAM"],
        ChangeSetType="UPDATE",
        Parameters=[{"ParameterKey": "MaxWorkers", "ParameterValue": "3"}],
    )
    result = make(env, "diff", PARAMS="MaxWorkers=5")
    assert result.returncode == 0, result.stderr
    assert "deleted change set mwaa-stack-preview-1" in result.stdout
    assert cfn.list_change_sets(StackName=STACK)["Summaries"] == []


def test_a_first_deploy_interrupted_before_it_ran_is_explained_and_cleared(env):
    cfn = client(env, "cloudformation")
    cfn.create_change_set(
        StackName=STACK,
        ChangeSetName="interrupted",
        ChangeSetType="CREATE",
        TemplateBody=(ROOT / "out" / "mwaa.yaml").read_text(),
        Capabilities=["CAPABILITY_IAM"],
    )
    assert cfn.describe_stacks(StackName=STACK)["Stacks"][0]["StackStatus"] == "REVIEW_IN_PROGRESS"
    result = make(env, "deploy")
    assert result.returncode == 0, result.stderr
    assert "is REVIEW_IN_PROGRESS: an earlier first deploy was interrupted" in result.stdout
    assert cfn.describe_stacks(StackName=STACK)["Stacks"][0]["StackStatus"] == "CREATE_COMPLETE"


def test_outputs_of_a_failed_stack_say_why_there_are_none(env, tmp_path):
    broken = tmp_path / "broken.yaml"
    broken.write_text((ROOT / "out" / "mwaa.yaml").read_text().replace("Status: Enabled", "Status: Suspended"))
    assert make(env, "deploy", TEMPLATE=str(broken)).returncode != 0
    result = make(env, "outputs")
    assert result.returncode != 0
    [line] = error_lines(result)
    assert "is ROLLBACK_COMPLETE and has no outputs" in line and "make destroy YES=1" in line


@pytest.fixture
def silent_endpoint():
    """A loopback socket that accepts connections and never answers."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(64)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}"
    stop.set()
    thread.join()
    for connection in held:
        connection.close()
    server.close()


@pytest.mark.parametrize(
    "target", ["deploy", "outputs", "ui", "airflow", "sync", "diff", "destroy", "status", "logs", "drift", "trigger"]
)
def test_every_target_gives_up_on_a_silent_endpoint_within_its_bound(env, silent_endpoint, target):
    env.update(AWS_ENDPOINT_URL=silent_endpoint, AWS_ENDPOINT_URL_MWAA=silent_endpoint)
    started = time.monotonic()
    result = make(env, target, READ_TIMEOUT="1", CONNECT_TIMEOUT="1", YES="1", BASE="")
    elapsed = time.monotonic() - started
    assert result.returncode != 0
    [line] = error_lines(result)
    assert silent_endpoint in line and "READ_TIMEOUT" in line, line
    assert elapsed < 30, f"{target} took {elapsed:.0f} s"


def test_exit_status_is_2_for_bad_input_and_1_for_aws(env, silent_endpoint):
    """make reports any failure as 2; the program itself tells the two apart."""
    command = [str(ROOT / ".venv" / "bin" / "python"), "-m", "ops", "outputs"]
    run = {"cwd": ROOT, "capture_output": True, "text": True, "timeout": 60}
    bad = subprocess.run(command, env={**env, "MWAA_STACK_TIMEOUT": "soon"}, **run)
    assert bad.returncode == 2 and bad.stderr.startswith("mwaa-stack: error: TIMEOUT='soon'")
    env.update(AWS_ENDPOINT_URL=silent_endpoint, MWAA_STACK_READ_TIMEOUT="1", MWAA_STACK_CONNECT_TIMEOUT="1")
    silent = subprocess.run(command, env=env, **run)
    assert silent.returncode == 1 and silent_endpoint in silent.stderr


@pytest.mark.parametrize(
    ("target", "variables", "message"),
    [
        ("deploy", {"PARAMS": "MaxWorkers=1.5"}, "must be a whole number"),
        ("diff", {"TEMPLATE": "/nonexistent/t.yaml"}, "does not exist"),
        ("trigger", {"CONF": "[1]"}, "CONF must be a JSON object"),
        ("sync", {"DELETE": "nope"}, "a flag is 1, true or yes"),
    ],
)
def test_input_is_checked_before_aws_is_even_configured(tmp_path, target, variables, message):
    """A user without any AWS configuration hears about the input first, not about AWS."""
    from tests.make.runs import base_env

    result = make(base_env(tmp_path), target, **variables)
    assert result.returncode != 0
    [line] = error_lines(result)
    assert message in line, line
