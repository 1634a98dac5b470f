"""What a running environment is doing: make sync waits for the update it caused, make
status, make drift and make logs, against the emulators (environments pass through
UPDATING as a test scripts it; CloudWatch Logs is moto's)."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.make.runs import ROOT, STACK, client, error_lines, make

FAST = {"SKIP_PREFLIGHT": "1"}  # preflight has its own tests


def no_escape_codes(*outputs: str) -> bool:
    return not any("\x1b[" in output for output in outputs)


def test_sync_follows_the_update_it_caused_to_available(env, deployed, mwaa):
    mwaa.state.script_update(polls=3)
    result = make(env, "sync", **FAST)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"{STACK} is UPDATING" in result.stdout and f"Environment {STACK} is AVAILABLE after" in result.stdout
    methods = [r["method"] for r in mwaa.requests if r["path"].startswith("/environments/")]
    assert methods[methods.index("PATCH") :] == ["PATCH", "GET", "GET", "GET", "GET"], "3 polls UPDATING, 1 AVAILABLE"
    assert no_escape_codes(result.stdout, result.stderr)


def test_a_failed_update_ends_in_mwaas_error_and_status_shows_it(env, deployed, mwaa):
    mwaa.state.script_update(polls=1, error=("INCOMPATIBLE_REQUIREMENTS", "pip could not install foo==9"))
    result = make(env, "sync", **FAST)
    assert result.returncode != 0
    [line] = error_lines(result)
    assert "ended UPDATE_FAILED" in line and "INCOMPATIBLE_REQUIREMENTS: pip could not install foo==9" in line
    shown = make(env, "status")
    assert shown.returncode == 0, shown.stderr
    assert f"Environment  {STACK} (UPDATE_FAILED)" in shown.stdout
    assert "FAILED at" in shown.stdout and "INCOMPATIBLE_REQUIREMENTS pip could not install foo==9" in shown.stdout
    assert "not asked: the environment is UPDATE_FAILED" in shown.stdout


def test_nowait_returns_at_once_and_timeout_bounds_the_wait(env, deployed, mwaa):
    mwaa.state.script_update(polls=10_000)
    quick = make(env, "sync", NOWAIT="1", **FAST)
    assert quick.returncode == 0 and "Not waiting (NOWAIT=1)" in quick.stdout
    assert mwaa.requests[-1]["method"] == "PATCH", "nothing asked after the update"
    bounded = make(env, "sync", TIMEOUT="1s", DAGS=_changed_dags(env), **FAST)
    [line] = error_lines(bounded)
    assert f"gave up waiting for {STACK} to finish updating after 1 s" in line


def _changed_dags(env) -> str:
    """A copy of dags/ whose requirements differ, so a sync updates the environment again."""
    folder = Path(env["HOME"]) / "changed-dags"
    shutil.copytree(ROOT / "dags", folder, ignore=shutil.ignore_patterns("__pycache__"))
    with (folder / "requirements.txt").open("a") as requirements:
        requirements.write("boto3==1.44.8\n")
    return str(folder)


def test_status_is_one_screen_with_the_schedulers_health(env, deployed, mwaa):
    result = make(env, "status")
    assert result.returncode == 0, result.stderr
    lines = dict(line.split("  ", 1) for line in result.stdout.splitlines())
    assert lines["Environment"].strip() == f"{STACK} (AVAILABLE)"
    assert lines["Airflow"].strip() == "3.3.1" and lines["Class"].strip() == "mw1.small"
    assert lines["Workers"].strip() == "1-2" and lines["Web servers"].strip() == "2-2"
    assert lines["UI"].strip().startswith("https://") and lines["Scheduler"].strip().startswith(
        "healthy (last heartbeat"
    )
    assert [r["body"] for r in mwaa.requests if r["path"].startswith("/restapi/")] == [
        '{"Path": "/monitor/health", "Method": "GET"}'
    ]
    mwaa.scheduler_health = "unhealthy"
    assert "Scheduler    unhealthy" in make(env, "status").stdout
    assert no_escape_codes(result.stdout, result.stderr)


def test_drift_names_what_sync_changed_as_expected_and_anything_else_as_drift(env, deployed, mwaa):
    clean = make(env, "drift")
    assert clean.returncode == 0 and f"Stack {STACK}: no drift" in clean.stdout
    assert make(env, "sync", **FAST).returncode == 0
    expected = make(env, "drift")
    assert expected.returncode == 0, expected.stdout + expected.stderr
    assert "MwaaEnvironment" in expected.stdout and "RequirementsS3ObjectVersion" in expected.stdout
    assert "Expected: `make sync` points the environment at new requirements" in expected.stdout
    mwaa.state.only().props["MaxWorkers"] = 7  # someone resized it in the console
    drifted = make(env, "drift")
    assert drifted.returncode != 0 and "MaxWorkers" in drifted.stdout and "Expected:" not in drifted.stdout


@pytest.fixture
def task_logs(env, deployed):
    logs = client(env, "logs")
    group = f"airflow-{STACK}-Task"
    logs.create_log_group(logGroupName=group)
    now = int(time.time() * 1000)
    for run, task, message in (
        ("r1", "check_cluster", "Cluster j-1 is WAITING"),
        ("r1", "app1.add_step_1", "Added step s-1"),
        ("r2", "check_cluster", "Cluster j-2 is TERMINATED"),
    ):
        stream = f"dag_id=emr_steps/run_id={run}/task_id={task}/attempt=1.log"
        logs.create_log_stream(logGroupName=group, logStreamName=stream)
        logs.put_log_events(
            logGroupName=group, logStreamName=stream, logEvents=[{"timestamp": now, "message": message}]
        )
    return group


def test_logs_come_from_the_environments_group_narrowed_by_dag_run_and_task(env, task_logs):
    everything = make(env, "logs")
    assert everything.returncode == 0, everything.stderr
    assert sum(line.endswith(("WAITING", "s-1", "TERMINATED")) for line in everything.stdout.splitlines()) == 3
    one_task = make(env, "logs", DAG="emr_steps", TASK="check_cluster")
    assert "Cluster j-1 is WAITING" in one_task.stdout and "Cluster j-2 is TERMINATED" in one_task.stdout
    assert "Added step" not in one_task.stdout, "TASK narrows without RUN too"
    one_run = make(env, "logs", DAG="emr_steps", RUN="r2")
    assert one_run.stdout.count("\n") == 1 and "j-2" in one_run.stdout
    assert no_escape_codes(everything.stdout, everything.stderr)


@pytest.mark.parametrize(
    "variables,message",
    [
        ({"TYPE": "kernel"}, "TYPE='kernel': one of task, dag-processing, scheduler, worker, webserver"),
        ({"SINCE": "forever"}, "SINCE='forever': a duration such as"),
        ({"TYPE": "scheduler", "DAG": "emr_steps"}, "DAG, RUN and TASK narrow task logs only"),
        ({"RUN": "r1; rm -rf /"}, "RUN='r1; rm -rf /': an Airflow run id"),
    ],
)
def test_bad_logs_input_is_one_line(env, variables, message):
    result = make(env, "logs", **variables)
    [line] = error_lines(result)
    assert message in line, line


def test_follow_ends_cleanly_on_ctrl_c(env, task_logs):
    """At a terminal Ctrl-C reaches `python -m ops` (make then reports the interrupt itself)."""
    process = subprocess.Popen(
        [sys.executable, "-m", "ops", "logs"],
        cwd=ROOT,
        env={**env, "MWAA_STACK_FOLLOW": "1", "MWAA_STACK_POLL": "0.05", "MWAA_STACK_STACK_NAME": STACK},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    first = process.stdout.readline()  # following has begun once the first event is out
    assert "dag_id=emr_steps" in first
    os.kill(process.pid, signal.SIGINT)
    out, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    assert f"(stopped following {task_logs})" in out and "Traceback" not in err


def test_trigger_wait_follows_a_run_to_success(env, deployed, mwaa):
    assert make(env, "sync", **FAST).returncode == 0
    result = make(env, "trigger", DAG="emr_steps", WAIT="1")
    assert result.returncode == 0, result.stdout + result.stderr
    assert re.search(r"^  \dm\d\ds  check_cluster +running$", result.stdout, re.M)
    assert re.search(r"^  \dm\d\ds  check_cluster +success$", result.stdout, re.M)
    assert re.search(r"^Run manual__\S+ of emr_steps succeeded after \dm\d\ds\.$", result.stdout, re.M)
    assert no_escape_codes(result.stdout, result.stderr)


@pytest.mark.parametrize("version", ["3.3.1", "2.11.2"])
def test_trigger_wait_on_a_failed_run_names_the_failed_tasks_with_their_log(env, mwaa, version):
    assert make(env, "deploy", PARAMS=f"AirflowVersion={version}").returncode == 0
    assert make(env, "sync", **FAST).returncode == 0
    mwaa.script_run(
        [
            ("running", {"check_cluster": "success", "app1.add_step_1": "running"}),
            ("failed", {"check_cluster": "success", "app1.add_step_1": "failed", "app1.done": "upstream_failed"}),
        ],
        logs={"app1.add_step_1": [f"line {n}" for n in range(1, 31)] + ["botocore AccessDenied: elasticmapreduce"]},
    )
    result = make(env, "trigger", DAG="emr_steps", WAIT="1")
    assert result.returncode != 0
    [line] = error_lines(result)
    assert "of emr_steps failed after" in line and line.endswith(": app1.add_step_1")
    tail = result.stdout.split("--- app1.add_step_1 (attempt 1): the last 20 lines of its log ---")[1].splitlines()[1:]
    assert tail[0] == "  line 12" and tail[-1] == "  botocore AccessDenied: elasticmapreduce"
    assert "app1.done" not in result.stdout.split("---")[1], "only failed tasks' logs"


EVENT = re.compile(r"^\d\d:\d\d:\d\d  (\S+) +([A-Z_]+)(?: +(.*))?$", re.M)


def test_deploy_streams_the_stack_events_and_ends_with_outputs_and_time(env):
    result = make(env, "deploy")
    assert result.returncode == 0, result.stdout + result.stderr
    events = EVENT.findall(result.stdout)
    assert ("MwaaEnvironment", "CREATE_COMPLETE", "") in events and ("VPC", "CREATE_COMPLETE", "") in events
    assert events[-1][:2] == (STACK, "CREATE_COMPLETE"), "the stack's own event last"
    total = len(client(env, "cloudformation").list_stack_resources(StackName=STACK)["StackResourceSummaries"])
    assert f"{total}/{total} resources finished" in result.stdout
    assert "; MWAA environment AVAILABLE" in result.stdout
    assert result.stdout.index("Stack mwaa-test outputs:") < result.stdout.index("Deploy of mwaa-test finished in")
    assert no_escape_codes(result.stdout, result.stderr)


def test_a_create_that_fails_halfway_shows_its_events_and_one_error_line(env, tmp_path):
    broken = tmp_path / "broken.yaml"
    broken.write_text((ROOT / "out" / "mwaa.yaml").read_text().replace("Status: Enabled", "Status: Suspended"))
    result = make(env, "deploy", TEMPLATE=str(broken))
    assert result.returncode != 0
    failed = [e for e in EVENT.findall(result.stdout) if e[1].endswith("FAILED")]
    assert failed and "versioning" in failed[0][2], result.stdout
    [line] = error_lines(result)
    assert "versioning" in line


def test_destroy_streams_the_deletion(env, deployed):
    result = make(env, "destroy", YES="1")
    assert result.returncode == 0, result.stderr
    deleted = [e for e in EVENT.findall(result.stdout) if e[1] == "DELETE_COMPLETE"]
    assert (STACK, "DELETE_COMPLETE", "") in deleted
    assert re.search(r"^\d+/\d+ resources finished", result.stdout, re.M)
    assert no_escape_codes(result.stdout, result.stderr)


def test_on_a_terminal_the_progress_line_stays_in_place(env):
    """rich draws the progress line at a terminal; the events are still plain lines."""
    import pty

    controller, terminal = pty.openpty()
    try:
        process = subprocess.Popen(
            ["make", "--no-print-directory", "deploy", f"STACK_NAME={STACK}", "ENV=test"],
            cwd=ROOT,
            env={**env, "TERM": "xterm", "COLUMNS": "200"},
            stdin=subprocess.DEVNULL,
            stdout=terminal,
            stderr=subprocess.PIPE,
        )
        os.close(terminal)
        chunks = []
        while True:
            try:
                chunk = os.read(controller, 65536)
            except OSError:  # the terminal closed: the command has ended
                break
            if not chunk:
                break
            chunks.append(chunk)
        process.wait(timeout=300)
    finally:
        os.close(controller)
    screen = b"".join(chunks).decode(errors="replace")
    assert process.returncode == 0, screen[-2000:]
    assert "\x1b[" in screen, "rich moved the cursor"
    assert "MwaaEnvironment" in screen and "CREATE_COMPLETE" in screen


# --- every status MWAA reports, classified and waited through -------------------------------


def test_every_status_botocore_knows_is_classified():
    import botocore.session

    model = botocore.session.get_session().get_service_model("mwaa")
    from templates.catalogue import STATUSES

    assert set(model.shape_for("EnvironmentStatus").enum) == set(STATUSES)


def test_a_sync_wait_goes_on_through_every_transitional_status_and_stops_at_a_final_one(
    env, deployed, mwaa, monkeypatch, capsys
):
    """In-process, one deployed environment: each scripted update passes UPDATING, the status
    under test, UPDATING; a transitional status never ends the wait, a final one does."""
    from ops.aws import Aws, Timeouts
    from ops.errors import OpsError
    from ops.sync import wait_until_available
    from templates.catalogue import STATUSES

    for name, value in env.items():
        monkeypatch.setenv(name, value)
    aws = Aws("eu-west-1", None, Timeouts(total=30, poll=0.01))
    api = aws.client("mwaa")
    for status, kind in sorted(STATUSES.items()):
        if status in ("AVAILABLE", "DELETED"):
            continue  # the end of every success below; and an environment that is gone
        if kind == "transitional":
            mwaa.state.script_update(statuses=("UPDATING", status, "UPDATING"))
        else:
            mwaa.state.script_update(statuses=("UPDATING",), final=status)
        api.update_environment(Name=STACK, MaxWorkers=3)
        capsys.readouterr()
        if kind == "transitional":
            assert wait_until_available(aws, STACK) == 0, status
            shown = capsys.readouterr().out
            assert f"{STACK} is {status}" in shown and f"{STACK} is AVAILABLE after" in shown, status
        else:
            with pytest.raises(OpsError, match=f"ended {status} after"):
                wait_until_available(aws, STACK)
