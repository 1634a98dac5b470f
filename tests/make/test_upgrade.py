"""make upgrade-check: an Airflow upgrade rehearsed offline (FROM given), and with the
environment's own version read through the emulator (FROM left out)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from ops.upgrade import dual_names
from tests.make.runs import ROOT, base_env, build, error_lines, make
from tests.mwaa_files import dag_folder

OLD_STYLE = """from airflow import DAG
from airflow.operators.python_operator import PythonOperator
from airflow.utils.dates import days_ago


def hello(**context):
    print("hi")


with DAG("old_style", schedule_interval="@daily", start_date=days_ago(1)) as dag:
    PythonOperator(task_id="hello", python_callable=hello, provide_context=True)
"""


@pytest.fixture
def offline(tmp_path) -> dict[str, str]:
    return base_env(tmp_path)


@pytest.fixture
def old_style(tmp_path) -> Path:
    return dag_folder(tmp_path, {"old_style.py": OLD_STYLE})


def lines(result: subprocess.CompletedProcess) -> list[str]:
    return [line for line in result.stdout.splitlines() if line.startswith("upgrade: ")]


def test_an_airflow_2_dag_in_the_old_style_is_named_line_by_line_for_airflow_3(offline, old_style):
    result = make(offline, "upgrade-check", ENV="dev", FROM="2.11.2", TO="3.3.1", DAGS=str(old_style))
    assert result.returncode != 0
    shown = [re.sub(r"\S*old_style\.py", "old_style.py", line) for line in lines(result)]
    problems = [line for line in shown if re.match(r"upgrade: old_style\.py:\d+: AIR30", line)]
    assert [line.split(" ")[1:3] for line in problems] == [
        ["old_style.py:10:", "AIR301"],
        ["old_style.py:10:", "AIR301"],
        ["old_style.py:11:", "AIR301"],
        ["old_style.py:11:", "AIR302"],
    ]
    assert any("`schedule_interval` is removed" in p and "(fix: Use `schedule` instead)" in p for p in problems)
    assert any("days_ago" in p for p in problems) and any("provide_context" in p for p in problems)
    assert any("python_operator.PythonOperator" in p and "providers.standard" in p for p in problems)
    assert any(line.startswith("upgrade: warning: old_style.py:10: AIR311") for line in shown), "DAG moved: a warning"
    assert shown.index(problems[0]) < min(i for i, line in enumerate(shown) if "path:" in line), "problems first"
    assert "No module named 'airflow.operators.python_operator'" in result.stdout, "preflight on Airflow 3 too"
    [line] = error_lines(result)
    assert "4 problem(s) and a failed preflight" in line


def test_the_same_dag_passes_for_the_newest_airflow_2(offline, old_style):
    result = make(offline, "upgrade-check", ENV="dev", FROM="2.10.3", TO="2.11.2", DAGS=str(old_style))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "upgrade: Airflow 2.10.3 -> 2.11.2 can go ahead" in result.stdout
    assert "upgrade: path: upgrade 2.10.3 -> 2.11.2 (in place;" in result.stdout


@pytest.mark.parametrize(
    ("current", "says", "passes"),
    [
        ("2.10.3", "path: Airflow 2.10.3 -> 3.3.1 needs a new environment", False),
        ("2.11.0", "path: upgrade 2.11.0 -> 2.11.2 -> 3.3.1 (in place, 2 steps;", True),
        ("2.11.2", "path: upgrade 2.11.2 -> 3.3.1 (in place;", True),
        ("3.3.1", "path: the environment runs Airflow 3.3.1 already", True),
    ],
)
def test_mwaa_s_upgrade_paths(offline, current, says, passes):
    result = make(offline, "upgrade-check", ENV="dev", FROM=current, TO="3.3.1")
    assert (result.returncode == 0) == passes, result.stdout + result.stderr
    assert f"upgrade: {says}" in result.stdout, result.stdout
    if not passes:
        assert "the run history" in result.stdout and "STACK_NAME=mwaa-dev-next" in result.stdout


def test_an_option_airflow_3_renamed_is_named_with_its_replacement(offline, tmp_path):
    settings = tmp_path / "old.toml"
    settings.write_text('airflow_version = "2.11.2"\n\n[airflow_configuration_options]\n"api.auth_backend" = "x"\n')
    out = tmp_path / "out"
    build("--settings", str(settings), "--out", str(out))
    template = str(out / "mwaa.yaml")
    result = make(offline, "upgrade-check", ENV="dev", FROM="2.11.2", TO="3.3.1", TEMPLATE=template)
    assert result.returncode != 0
    assert "upgrade: options: api.auth_backend: api.auth_backend was moved to fab.auth_backends in Airflow 3" in (
        result.stdout
    )


@pytest.mark.parametrize("env_name", sorted(p.stem for p in (ROOT / "environments").glob("*.toml")))
def test_the_project_s_own_dag_and_environments_pass(offline, env_name):
    result = make(offline, "upgrade-check", ENV=env_name, FROM="2.11.2", TO="3.3.1")
    assert result.returncode == 0, result.stdout + result.stderr
    assert not [line for line in lines(result) if re.match(r"upgrade: (warning: )?\S+\.py:\d+:", line)]


@pytest.mark.parametrize(
    ("variables", "says"),
    [
        ({}, "TO: the version to check, one of"),
        ({"TO": "9.9.9"}, "TO='9.9.9'"),
        ({"TO": "3.3.1", "FROM": "1.0.0"}, "FROM='1.0.0': the project knows Airflow"),
        ({"TO": "3.3.1; rm -rf /"}, "TO="),
    ],
)
def test_bad_input_is_one_line_exit_2(offline, variables, says):
    result = make(offline, "upgrade-check", ENV="dev", **variables)
    assert result.returncode != 0 and result.stdout == ""
    [line] = error_lines(result)
    assert says in line, line


def test_without_from_the_environment_s_own_version_is_read(env, deployed):
    result = make(env, "upgrade-check", TO="3.3.1")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "upgrade: Airflow 3.3.1 -> 3.3.1, environment test" in result.stdout


def test_names_imported_in_a_try_and_its_import_error_fallback_are_found():
    source = (ROOT / "dags" / "emr_steps.py").read_text()
    assert {"DAG", "Param", "TaskGroup", "task", "EmptyOperator"} <= dual_names(source)
    assert dual_names("try:\n    import a\nexcept ValueError:\n    import a\n") == set()
