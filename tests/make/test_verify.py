"""After make sync, the environment's own verdict: every uploaded DAG file parsed since the
upload, MWAA's import errors named, files whose DAGs never appear named; make verify alone.
The emulated environment parses each file as a test scripts it (``mwaa.script_parse``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.make.runs import ROOT, make
from tests.mwaa_files import PROJECT_DAG, dag_folder

FAST = {"SKIP_PREFLIGHT": "1"}  # these files fail only on the environment: preflight is not the point
TRACE = (
    'Traceback (most recent call last):\n  File "/usr/local/airflow/dags/emr_steps.py", line 3, in <module>\n'
    "ModuleNotFoundError: No module named 'only_on_my_laptop'\x1b[2J\x1b]0;owned\x07\n"
)


@pytest.fixture
def dags(tmp_path: Path) -> Path:
    # helpers.py holds no DAG: it is not waited for
    return dag_folder(tmp_path, {"emr_steps.py": PROJECT_DAG, "helpers.py": "def shared():\n    return 1\n"})


def verify_lines(result) -> list[str]:
    return [line for line in result.stdout.splitlines() if line.startswith("verify: ")]


@pytest.mark.parametrize("version", ["3.3.1", "2.11.2"])
def test_sync_ends_when_the_environment_registered_every_dag_file(env, mwaa, dags, version):
    assert make(env, "deploy", PARAMS=f"AirflowVersion={version}").returncode == 0
    mwaa.script_parse("emr_steps.py", delay=0.3)  # parsed a moment after the upload: the sync waits
    result = make(env, "sync", DAGS=str(dags), **FAST)
    assert result.returncode == 0, result.stdout + result.stderr
    assert verify_lines(result)[-2:] == [
        "verify: emr_steps.py: emr_steps",
        "verify: all 1 DAG file(s) registered in mwaa-test",
    ]


def test_an_import_error_only_the_environment_sees_fails_the_sync_naming_it(env, deployed, mwaa, dags):
    mwaa.script_parse("emr_steps.py", error=TRACE)
    result = make(env, "sync", DAGS=str(dags), **FAST)
    assert result.returncode != 0
    [line] = [v for v in verify_lines(result) if "import error" in v]
    assert line.startswith("verify: emr_steps.py: MWAA's import error: Traceback")
    assert "ModuleNotFoundError: No module named 'only_on_my_laptop'" in line
    assert "\x1b" not in result.stdout and "\x07" not in result.stdout, "MWAA's text is printed as data"
    assert "1 import error(s), 0 file(s) not registered in mwaa-test" in result.stderr
    again = make(env, "verify")  # alone, the same verdict
    assert again.returncode != 0 and "MWAA's import error" in again.stdout


def test_a_file_whose_dags_never_appear_is_named_when_the_wait_ends(env, deployed, mwaa, dags):
    mwaa.script_parse("emr_steps.py", delay=3600)
    result = make(env, "sync", DAGS=str(dags), VERIFY_TIMEOUT="0.3s", **FAST)
    assert result.returncode != 0
    assert "verify: emr_steps.py: no DAG from it was parsed after the upload within 0.3 s" in result.stdout
    assert "helpers.py" not in "\n".join(verify_lines(result)), "a module without DAGs is not waited for"


def test_noverify_skips_the_check(env, deployed, mwaa, dags):
    mwaa.script_parse("emr_steps.py", error=TRACE)
    del mwaa.requests[:]
    result = make(env, "sync", DAGS=str(dags), NOVERIFY="1", **FAST)
    assert result.returncode == 0, result.stderr
    assert "verify: skipped (NOVERIFY=1)" in result.stdout
    assert not [r for r in mwaa.requests if r["path"].startswith("/restapi/")]


def test_a_bad_verify_timeout_is_one_line(env, deployed, dags):
    result = make(env, "sync", DAGS=str(dags), VERIFY_TIMEOUT="soon", **FAST)
    assert result.returncode != 0
    assert "VERIFY_TIMEOUT='soon'" in result.stderr


def test_which_files_are_waited_for():
    from ops.verify import expects_dags

    assert expects_dags((ROOT / "dags" / "emr_steps.py").read_bytes())
    assert expects_dags(b"from airflow.sdk import dag\n\n@dag(schedule=None)\ndef flow(): ...\nflow()\n")
    assert not expects_dags(b"from airflow import DAG  # a type only\n\ndef helper(d: DAG): ...\n")
    assert not expects_dags(b"def make_dag(x): ...\n")
