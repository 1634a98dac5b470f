"""make preflight: every check with a broken fixture, the clean repository passing, and
make sync refusing to upload what preflight refuses.  The internet is a dead proxy on
127.0.0.1 here, so a --constraint URL never leaves the machine."""

from __future__ import annotations

import http.server
import shutil
import threading
from pathlib import Path

import pytest

from tests.ops.conftest import ROOT, base_env, client, error_lines, make

CONSTRAINT = "apache-airflow-providers-amazon==9.39.0"  # what constraints-airflow.txt pins


@pytest.fixture
def offline(tmp_path) -> dict[str, str]:
    return base_env(tmp_path)  # the internet behind a dead proxy, 127.0.0.1 reachable


@pytest.fixture
def tree(tmp_path) -> Path:
    """A copy of the repository's dags/, with room for plugins and a startup script."""
    shutil.copytree(ROOT / "dags", tmp_path / "dags", ignore=shutil.ignore_patterns("__pycache__"))
    return tmp_path


def preflight(env, tree: Path, **variables: str):
    paths = {"DAGS": str(tree / "dags"), "PLUGINS": str(tree / "plugins"), "STARTUP": str(tree / "startup.sh")}
    return make(env, "preflight", **{**paths, **variables})


def problems(result) -> list[str]:
    info = ("preflight: ok:", "preflight: slowest DAG files:")
    return [line for line in result.stdout.splitlines() if line.startswith("preflight: ") and not line.startswith(info)]


def test_the_repository_passes(offline):
    result = make(offline, "preflight")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "preflight: ok: Airflow 3.3.1 (Python 3.12), 1 DAG file(s), 1 DAG(s)" in result.stdout
    assert "preflight: slowest DAG files: dags/emr_steps.py" in result.stdout


def test_every_broken_part_is_reported_at_once(offline, tree):
    dags = tree / "dags"
    with (dags / "requirements.txt").open("a") as requirements:
        requirements.write("apache-airflow-providers-amazon==8.0.0\n")
    (dags / "broken.py").write_text("from airflow import DAG\nimport not_a_module_anywhere\n")
    (dags / "twin.py").write_text((dags / "emr_steps.py").read_text())
    (tree / "plugins" / "plugins").mkdir(parents=True)
    (tree / "plugins" / "plugins" / "hooks.py").write_text("X = 1\n")
    (tree / "startup.sh").write_text('#!/bin/bash\nif [ -z "$X" ] then\n  echo no\nfi\n')
    result = preflight(offline, tree)
    assert result.returncode != 0
    found = "\n".join(problems(result))
    requirements_line = len((dags / "requirements.txt").read_text().splitlines())
    assert (
        f"requirements.txt:{requirements_line}: apache-airflow-providers-amazon==8.0.0 conflicts with the "
        f"constraint {CONSTRAINT}"
    ) in found
    assert "broken.py:2: ModuleNotFoundError: No module named 'not_a_module_anywhere'" in found
    assert "twin.py: AirflowDagDuplicatedIdException" in found and "emr_steps" in found
    assert "plugins: everything is inside plugins/" in found
    assert "startup.sh:4: bash: syntax error near unexpected token" in found
    [line] = error_lines(result)
    assert "preflight found 5 problem(s)" in line


def test_a_plugin_that_does_not_import_is_named(offline, tree):
    (tree / "plugins").mkdir()
    (tree / "plugins" / "good.py").write_text("VALUE = 1\n")
    (tree / "plugins" / "bad.py").write_text("VALUE = 1\nraise RuntimeError('needs a secret at import')\n")
    result = preflight(offline, tree)
    [problem] = problems(result)
    assert "bad.py:2: plugin does not import: RuntimeError: needs a secret at import" in problem


def test_startup_script_lint_and_reserved_exports(offline, tree):
    script = '#!/bin/bash\nexport AIRFLOW__CORE__EXECUTOR=LocalExecutor\nexport PATH="$PATH:/opt/x"\ncd $HOME\n'
    (tree / "startup.sh").write_text(script)
    found = problems(preflight(offline, tree))
    assert any("startup.sh:2: exports AIRFLOW__CORE__EXECUTOR" in p for p in found), found
    assert any("startup.sh:4: shellcheck warning" in p and "SC2164" in p for p in found), found
    assert not any("PATH" in p for p in found), "PATH is the startup script's to change"


def test_a_missing_constraint_line_is_a_warning_with_the_line_to_add(offline, tree):
    (tree / "dags" / "requirements.txt").write_text(f"{CONSTRAINT}\n")
    result = preflight(offline, tree)
    assert result.returncode == 0, result.stdout + result.stderr
    expected = '--constraint "https://raw.githubusercontent.com/apache/airflow/constraints-3.3.1/constraints-3.12.txt"'
    assert f"requirements.txt: warning: no --constraint line; add: {expected}" in result.stdout


def test_a_reachable_constraint_url_is_used(offline, tree, tmp_path):
    served = tmp_path / "served"
    served.mkdir()
    (served / "constraints-3.12.txt").write_text("apache-airflow-providers-amazon==9.1.0\n")
    handler = lambda *a: http.server.SimpleHTTPRequestHandler(*a, directory=str(served))  # noqa: E731
    with http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler) as server:
        threading.Thread(target=server.serve_forever, daemon=True).start()
        url = f"http://127.0.0.1:{server.server_address[1]}/constraints-3.12.txt"
        (tree / "dags" / "requirements.txt").write_text(f"--constraint {url}\n{CONSTRAINT}\n")
        result = preflight(offline, tree)
        server.shutdown()
    [problem] = problems(result)
    assert (
        f"requirements.txt:2: {CONSTRAINT} conflicts with the constraint apache-airflow-providers-amazon==9.1.0 ({url})"
        in problem
    )


def test_an_upgrade_without_constraints_is_a_problem_not_a_pass(offline):
    result = make(offline, "preflight", AIRFLOW_VERSION="3.2.1")
    found = "\n".join(problems(result))
    assert "the --constraint URL is for Airflow 3.3.1; the environment runs 3.2.1" in found
    assert "no constraints for Airflow 3.2.1" in found and "the project vendors none" in found
    assert result.returncode != 0


@pytest.mark.parametrize(
    "variables,message",
    [
        ({"AIRFLOW_VERSION": "9.9.9"}, "AIRFLOW_VERSION='9.9.9': the project knows Airflow 2.7.2"),
        ({"AIRFLOW_VERSION": "latest"}, "AIRFLOW_VERSION='latest': a version such as 3.3.1"),
        ({"DAGS": "/nonexistent/dags"}, "DAGS: /nonexistent/dags is not a folder"),
    ],
)
def test_what_cannot_be_checked_is_one_line(offline, variables, message):
    result = make(offline, "preflight", **variables)
    assert result.returncode != 0
    [line] = error_lines(result)
    assert message in line, line


def test_an_unreadable_requirements_file_is_one_line(offline, tree):
    (tree / "dags" / "requirements.txt").write_bytes(b"\xff\xfe not text")
    [line] = error_lines(preflight(offline, tree))
    assert "requirements.txt is not UTF-8 text" in line


def test_sync_uploads_nothing_preflight_refuses_and_skipping_says_so(env, deployed, tree):
    (tree / "dags" / "broken.py").write_text("from airflow import DAG\nimport not_a_module_anywhere\n")
    refused = make(env, "sync", DAGS=str(tree / "dags"))
    assert refused.returncode != 0 and "broken.py:2: ModuleNotFoundError" in refused.stdout
    outputs = client(env, "cloudformation").describe_stacks(StackName="mwaa-test")["Stacks"][0]["Outputs"]
    bucket = {o["OutputKey"]: o["OutputValue"] for o in outputs}["EnvironmentBucketName"]
    assert client(env, "s3").list_objects_v2(Bucket=bucket).get("KeyCount") == 0, "nothing uploaded"
    skipped = make(env, "sync", DAGS=str(tree / "dags"), SKIP_PREFLIGHT="1")
    assert skipped.returncode == 0, skipped.stderr
    assert "mwaa-stack: warning: SKIP_PREFLIGHT=1" in skipped.stderr
