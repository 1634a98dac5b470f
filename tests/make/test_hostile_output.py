"""What comes back is hostile too: text from AWS, Airflow, a task's log and file names
never drives the operator's terminal, malformed answers end in one line, and a sync
never uploads what a repository keeps beside its DAGs.  Every path that prints remote
text is driven with the same payloads, through a pipe, and the logs through a terminal."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import time

import pytest

from tests.make.runs import ROOT, STACK, client, error_lines, keys, make

FAST = {"SKIP_PREFLIGHT": "1"}
# Renames the window, clears the screen, hides what follows, overwrites the line with a
# carriage return, a C1 CSI, and a right-to-left override.
HOSTILE = "\x1b]0;owned\x07\x1b[2J\x1b[8mhidden\rall good\x9b31m\u202egnp.exe"
RAW = ("\x1b", "\x07", "\r", "\x9b", "\u202e")
SHOWN = "\\x1b]0;owned\\x07\\x1b[2J\\x1b[8mhidden\\rall good\\x9b31m\\u202egnp.exe"


def clean(*outputs: str) -> bool:
    return not any(raw in output for output in outputs for raw in RAW)


def test_log_messages_and_stream_names_are_data(env, deployed):
    logs = client(env, "logs")
    group, stream = f"airflow-{STACK}-Task", f"dag_id=x/run_id={HOSTILE}/task_id=t/attempt=1.log"
    logs.create_log_group(logGroupName=group)
    logs.create_log_stream(logGroupName=group, logStreamName=stream)
    now = int(time.time() * 1000)
    message = f"{HOSTILE}\npreflight: ok: forged"
    logs.put_log_events(logGroupName=group, logStreamName=stream, logEvents=[{"timestamp": now, "message": message}])
    result = make(env, "logs", SINCE="1h")
    assert result.returncode == 0, result.stderr
    assert clean(result.stdout, result.stderr)
    lines = [line for line in result.stdout.splitlines() if "run_id=" in line]
    assert len(lines) == 2 and all(SHOWN in line for line in lines), "stream name and message, escaped"
    assert lines[1].endswith("  preflight: ok: forged"), "a newline in a message starts a line of the same event"


def test_logs_at_a_terminal_change_nothing_on_the_screen(env, deployed):
    logs = client(env, "logs")
    group = f"airflow-{STACK}-Task"
    logs.create_log_group(logGroupName=group)
    logs.create_log_stream(logGroupName=group, logStreamName="s")
    logs.put_log_events(
        logGroupName=group, logStreamName="s", logEvents=[{"timestamp": int(time.time() * 1000), "message": HOSTILE}]
    )
    shown = at_a_terminal(env, ["logs", "SINCE=1h"])
    assert b"\\x1b]0;owned" in shown
    assert not any(raw.encode() in shown for raw in ("\x1b", "\x07", "\x9b", "\u202e")), shown


def test_mwaas_error_in_the_sync_wait_and_in_status_is_data(env, deployed, mwaa):
    mwaa.state.script_update(polls=1, error=("INCOMPATIBLE_REQUIREMENTS", HOSTILE))
    synced = make(env, "sync", **FAST)
    assert synced.returncode != 0
    [line] = error_lines(synced)
    assert SHOWN in line and clean(synced.stdout, synced.stderr)
    status = make(env, "status")
    assert status.returncode == 0 and SHOWN in status.stdout and clean(status.stdout, status.stderr)


@pytest.mark.parametrize("version", ["3.3.1", "2.11.2"])
def test_a_failed_tasks_log_tail_is_data(env, mwaa, version):
    assert make(env, "deploy", PARAMS=f"AirflowVersion={version}").returncode == 0
    assert make(env, "sync", **FAST).returncode == 0
    mwaa.script_run(
        [("failed", {"check_cluster": "failed"})],
        logs={"check_cluster": ["starting", HOSTILE, "FAILED: the cluster is gone"]},
    )
    result = make(env, "trigger", DAG="emr_steps", WAIT="1")
    assert result.returncode != 0 and clean(result.stdout, result.stderr)
    tail = result.stdout.split("lines of its log ---")[1].splitlines()[1:]
    assert tail == ["  starting", f"  {SHOWN}", "  FAILED: the cluster is gone"]


def test_airflow_cli_output_is_data_and_invalid_utf8_loses_nothing(env, deployed, mwaa):
    mwaa.script_cli(HOSTILE.encode() + b"\n\xff\xfe broken bytes\nlast line: kept\n")
    result = make(env, "airflow", CMD="version")
    assert result.returncode == 0, result.stderr
    assert clean(result.stdout, result.stderr)
    assert SHOWN in result.stdout and "\ufffd\ufffd broken bytes" in result.stdout
    assert result.stdout.rstrip().endswith("last line: kept")


def test_file_names_and_import_errors_in_preflight_are_data(env, tmp_path):
    dags = tmp_path / "dags"
    dags.mkdir()
    (dags / "loud.py").write_text(f"from airflow import DAG\nraise ImportError({HOSTILE!r})\n")
    result = make(env, "preflight", DAGS=str(dags))
    assert result.returncode != 0 and clean(result.stdout, result.stderr)
    assert any("loud.py" in line and SHOWN in line for line in result.stdout.splitlines())
    (dags / "evil\npreflight: ok: forged.py").write_text("x = 1\n")
    forged = make(env, "preflight", DAGS=str(dags))
    [line] = error_lines(forged)
    assert "evil\\npreflight: ok: forged.py (a name MWAA cannot take)" in line
    assert not any(line.startswith("preflight: ok") for line in forged.stdout.splitlines())


# --- answers of the wrong shape -----------------------------------------------------------------


def test_an_answer_without_its_field_is_one_line_naming_the_api_and_field(env, deployed, mwaa):
    assert make(env, "sync", **FAST).returncode == 0
    mwaa.script_rest(r"POST /dags/emr_steps/dagRuns", {"RestApiStatusCode": 200, "RestApiResponse": {"state": "x"}})
    result = make(env, "trigger", DAG="emr_steps")
    [line] = error_lines(result)
    assert "InvokeRestApi POST /dags/emr_steps/dagRuns answered without 'dag_run_id'" in line
    mwaa.rest_answers.clear()
    mwaa.script_rest(
        r"GET /dags/emr_steps/dagRuns/[^/]+/taskInstances", {"RestApiStatusCode": 200, "RestApiResponse": []}
    )
    followed = make(env, "trigger", DAG="emr_steps", WAIT="1")
    [line] = error_lines(followed)
    assert "taskInstances answered list where an object with 'task_instances' belongs" in line
    mwaa.rest_answers.clear()
    mwaa.script_rest(r"GET /monitor/health", {"RestApiStatusCode": 200})
    status = make(env, "status")
    assert status.returncode == 0 and "Scheduler    unknown: InvokeRestApi GET /monitor/health answered without" in (
        status.stdout
    )


# --- what a sync uploads --------------------------------------------------------------------------


def test_sync_never_uploads_hidden_files_virtual_environments_or_tool_folders(env, deployed, tmp_path):
    dags = tmp_path / "repo" / "dags"
    (dags / ".venv" / "lib").mkdir(parents=True)
    (dags / ".venv" / "pyvenv.cfg").write_text("home = /usr\n")
    (dags / ".venv" / "lib" / "six.py").write_text("x = 1\n")
    (dags / "venv" / "lib").mkdir(parents=True)
    (dags / "venv" / "pyvenv.cfg").write_text("home = /usr\n")
    (dags / "node_modules").mkdir()
    (dags / "node_modules" / "x.js").write_text("1\n")
    (dags / ".idea").mkdir()
    (dags / ".idea" / "workspace.xml").write_text("<x/>\n")
    (dags / ".env").write_text("SECRET=hunter2\n")
    (dags / ".airflowignore").write_text("helpers/\n")
    (dags / "env").mkdir()
    (dags / "env" / "settings.py").write_text("LEVEL = 1\n")  # a package that is no virtual environment
    (dags / "emr_steps.py").write_text((ROOT / "dags" / "emr_steps.py").read_text())
    result = make(env, "sync", DAGS=str(dags), **FAST)
    assert result.returncode == 0, result.stdout + result.stderr
    bucket = {o["OutputKey"]: o["OutputValue"] for o in stack_outputs(env)}["EnvironmentBucketName"]
    assert keys(env, bucket) == ["dags/.airflowignore", "dags/emr_steps.py", "dags/env/settings.py"]
    skipped = [line for line in result.stdout.splitlines() if line.startswith("skipped:")]
    assert sorted(skipped) == [
        "skipped: DAGS/.env (a hidden file; never uploaded)",
        "skipped: DAGS/.idea (a hidden or tool folder; never uploaded)",
        "skipped: DAGS/.venv (a virtual environment; never uploaded)",
        "skipped: DAGS/node_modules (a hidden or tool folder; never uploaded)",
        "skipped: DAGS/venv (a virtual environment; never uploaded)",
    ]


def test_a_repository_root_and_system_folders_are_refused_before_anything_is_uploaded(env, deployed, tmp_path):
    repo = tmp_path / "checkout"
    (repo / ".git").mkdir(parents=True)
    (repo / "dag.py").write_text("x = 1\n")
    result = make(env, "sync", DAGS=str(repo), **FAST)
    [line] = error_lines(result)
    assert "is the root of a git repository (it holds .git); name the folder of DAGs inside it" in line
    for variable, value in (("PLUGINS", "/"), ("DAGS", "/etc"), ("PLUGINS", os.path.expanduser("~"))):
        refused = make(env, "sync", **{variable: value}, **FAST)
        [line] = error_lines(refused)
        assert f"{variable}=" in line and "a system folder" in line, line
    assert "upload:" not in result.stdout + refused.stdout


def test_a_named_plugins_zip_is_uploaded_as_it_is(env, deployed, tmp_path):
    import zipfile

    archive = tmp_path / "plugins.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("operators/custom.py", "X = 1\n")
    result = make(env, "sync", PLUGINS=str(archive), NOWAIT="1", **FAST)
    assert result.returncode == 0, result.stdout + result.stderr
    bucket = {o["OutputKey"]: o["OutputValue"] for o in stack_outputs(env)}["EnvironmentBucketName"]
    assert client(env, "s3").get_object(Bucket=bucket, Key="plugins.zip")["Body"].read() == archive.read_bytes()


def stack_outputs(env) -> list[dict]:
    return client(env, "cloudformation").describe_stacks(StackName=STACK)["Stacks"][0]["Outputs"]


def at_a_terminal(env: dict[str, str], arguments: list[str]) -> bytes:
    """What `make <arguments>` writes to a terminal, every byte of it."""
    controller, terminal = pty.openpty()
    command = ["make", "--no-print-directory", *arguments, f"STACK_NAME={STACK}", "ENV=test"]
    proc = subprocess.Popen(command, cwd=ROOT, env=env, stdin=terminal, stdout=terminal, stderr=terminal)
    os.close(terminal)
    shown = b""
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([controller], [], [], deadline - time.monotonic())
            if not ready:
                break
            try:
                chunk = os.read(controller, 65536)
            except OSError:  # the terminal closed: the program ended
                break
            if not chunk:
                break
            shown += chunk
    finally:
        proc.wait(timeout=60)
        os.close(controller)
    assert proc.returncode == 0, shown
    return shown


def test_poll_has_a_floor(env, deployed):
    result = make(env, "status", POLL="0.001s")
    [line] = error_lines(result)
    assert "POLL='0.001s'" in line and "at least 0.05 s" in line


def test_preflight_leaves_no_temporary_airflow_home_behind(env, tmp_path):
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    result = make({**env, "TMPDIR": str(scratch)}, "preflight")
    assert result.returncode == 0, result.stdout + result.stderr
    assert list(scratch.iterdir()) == []


def test_a_hundred_kilobyte_value_is_cut_in_its_error_line(env):
    result = make(env, "status", STARTUP="x" * 100_000, REGION="y" * 100_000)
    [line] = error_lines(result)
    assert len(line) < 3000 and "more characters)" in line


def test_a_file_name_that_is_not_utf8_is_refused_by_name_before_any_upload(env, deployed, tmp_path):
    dags = tmp_path / "dags"
    dags.mkdir()
    (dags / "fine.py").write_text("x = 1\n")
    with open(os.path.join(os.fsencode(dags), b"caf\xe9.py"), "w") as handle:
        handle.write("x = 2\n")
    result = make(env, "sync", DAGS=str(dags), **FAST)
    [line] = error_lines(result)
    assert "caf\\xe9.py (a name MWAA cannot take)" in line and "nothing was uploaded" in line
    assert "upload:" not in result.stdout
