"""make preflight: every check with a broken fixture, the clean repository and AWS's own
DAG folders passing on both pinned Airflow versions, each root cause of a wrong verdict
(a helper module, a zipped plugin, a parse-time AWS call, a removed 3.12 module, a
knock-on error), and make sync refusing to upload what preflight refuses.  The internet
is a dead proxy on 127.0.0.1 here, so a --constraint URL never leaves the machine; the
DAGs are parsed in MWAA's images of 3.3.1 and 2.11.2, which `make mwaa-images` built."""

from __future__ import annotations

import contextlib
import http.server
import shutil
import socket
import threading
import zipfile
from pathlib import Path

import pytest

from tests.make.runs import ROOT, base_env, client, error_lines, make
from tests.mwaa_files import mwaa_pin

REAL = ROOT / "tests" / "fixtures" / "real"  # DAG folders AWS wrote (README.md there)


CONSTRAINT = f"apache-airflow-providers-amazon=={mwaa_pin('3.3.1', 'apache-airflow-providers-amazon')}"


@pytest.fixture
def offline(tmp_path) -> dict[str, str]:
    return base_env(tmp_path)  # the internet behind a dead proxy, 127.0.0.1 reachable


@pytest.fixture
def tree(tmp_path) -> Path:
    """A copy of the repository's dags/, with room for plugins and a startup script."""
    shutil.copytree(ROOT / "dags", tmp_path / "dags", ignore=shutil.ignore_patterns("__pycache__"))
    return tmp_path


def preflight(env, tree: Path, **variables: str):
    """make preflight of the tree's dags/, and its plugins/ and startup.sh when they exist."""
    paths = {"DAGS": str(tree / "dags")}
    for name, path in (("PLUGINS", tree / "plugins"), ("STARTUP", tree / "startup.sh")):
        if path.exists():
            paths[name] = str(path)
    return make(env, "preflight", **{**paths, **variables})


def problems(result) -> list[str]:
    info = ("preflight: ok:", "preflight: slowest DAG files:")
    return [line for line in result.stdout.splitlines() if line.startswith("preflight: ") and not line.startswith(info)]


@pytest.mark.parametrize("version", ["3.3.1", "2.11.2"])  # the two the project pins
def test_the_repository_passes(offline, tree, version):
    # dags/requirements.txt names 3.3.1's constraints: for 2.11.2, the file says 2.11.2's.
    requirements = tree / "dags" / "requirements.txt"
    requirements.write_text(requirements.read_text().replace("constraints-3.3.1", f"constraints-{version}"))
    result = preflight(offline, tree, AIRFLOW_VERSION=version)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"preflight: ok: Airflow {version} (Python 3.12), 1 DAG file(s), 1 DAG(s)" in result.stdout
    assert "emr_steps.py" in result.stdout.split("preflight: slowest DAG files: ", 1)[1]
    assert problems(result) == []


@pytest.mark.parametrize(
    "folder,version,dag_count",
    [
        ("mwaa-examples-airflow-306", "3.3.1", 7),
        ("mwaa-images-3.3.1", "3.3.1", 1),
        ("local-runner-2.8.1", "2.11.2", 1),
    ],
)
def test_aws_own_dag_folders_pass(offline, tmp_path, folder, version, dag_count):
    result = make(offline, "preflight", DAGS=str(REAL / folder), AIRFLOW_VERSION=version, STARTUP="", PLUGINS="")
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"{dag_count} DAG(s)" in result.stdout and problems(result) == [], result.stdout


def test_aws_sample_reading_a_variable_at_parse_time_passes_with_a_warning(offline):
    result = make(offline, "preflight", DAGS=str(REAL / "mwaa-examples-airflow-272"), AIRFLOW_VERSION="2.11.2")
    assert result.returncode == 0, result.stdout + result.stderr
    [warning] = problems(result)
    assert "setup_teardown.py:44: warning: reads Variable 'rs_master_username' at parse time" in warning
    assert "1 not checked to the end" in result.stdout


HELPER_DAG = """
import pendulum
from airflow import DAG
from team_helpers import OWNER          # a module beside the DAG, in the DAG folder
from team_plugin import VALUE           # a module of plugins.zip
with DAG("uses_helpers", start_date=pendulum.datetime(2024, 1, 1), schedule=None, tags=[OWNER, str(VALUE)]):
    pass
"""


def zipped(path: Path, files: dict[str, str]) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return path


def test_a_helper_module_and_a_zipped_plugin_import_as_on_mwaa(offline, tree):
    (tree / "dags" / "team_helpers.py").write_text('OWNER = "data"\n')
    (tree / "dags" / "uses_helpers.py").write_text(HELPER_DAG)
    plugins = zipped(tree / "plugins.zip", {"team_plugin.py": "VALUE = 1\n"})
    result = preflight(offline, tree, PLUGINS=str(plugins))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 DAG(s)" in result.stdout and problems(result) == []
    zipped(plugins, {"team_plugin.py": "VALUE = 1\n", "broken_plugin.py": "import not_there\n"})
    broken = preflight(offline, tree, PLUGINS=str(plugins))
    assert any("broken_plugin.py:1: plugin does not import: ModuleNotFoundError" in p for p in problems(broken))


AWS_AT_PARSE_TIME = """
import boto3, pendulum
from airflow import DAG
ACCOUNT = boto3.client("sts").get_caller_identity()["Account"]
with DAG("calls_aws", start_date=pendulum.datetime(2024, 1, 1), schedule=None):
    pass
"""


def test_a_parse_time_aws_call_is_named_and_never_leaves_with_the_callers_credentials(offline, tree):
    accepted: list = []
    with socket.socket() as listener:  # where the caller's own AWS_ENDPOINT_URL points
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        listener.setblocking(False)  # a connection made during the run waits in the backlog
        caller = {
            **offline,
            "AWS_ENDPOINT_URL": f"http://127.0.0.1:{listener.getsockname()[1]}",
            "AWS_ACCESS_KEY_ID": "AKIACALLERSOWNKEY000",
            "AWS_SECRET_ACCESS_KEY": "callers-secret",
            "AWS_PROFILE": "production",
        }
        (tree / "dags" / "calls_aws.py").write_text(AWS_AT_PARSE_TIME)
        result = preflight(caller, tree)
        with contextlib.suppress(BlockingIOError):
            accepted.append(listener.accept())
    assert accepted == [], "nothing reached the caller's endpoint"
    assert result.returncode == 0, result.stdout + result.stderr
    [warning] = problems(result)
    assert "calls_aws.py:4: warning: calls AWS at parse time: sts.GetCallerIdentity" in warning
    assert "MWAA makes it as the execution role on every parse; move it into a task" in warning


def test_a_module_python_3_12_removed_fails_as_on_mwaa(offline, tree):
    (tree / "dags" / "old.py").write_text("from airflow import DAG\nimport imp\n")
    result = preflight(offline, tree)
    assert result.returncode != 0
    assert any("old.py:2: ModuleNotFoundError: No module named 'imp'" in p for p in problems(result))


def test_a_module_requirements_failed_to_install_is_labelled_a_knock_on(offline, tree):
    pinned = mwaa_pin("3.3.1", "xmltodict")  # in MWAA's constraints, not in its image
    with (tree / "dags" / "requirements.txt").open("a") as requirements:
        requirements.write("xmltodict==0.1.0\n")
    (tree / "dags" / "parses_xml.py").write_text("from airflow import DAG\nimport xmltodict\n")
    found = problems(preflight(offline, tree))
    assert any(f"xmltodict==0.1.0 conflicts with xmltodict=={pinned}" in p for p in found), found
    [knock_on] = [p for p in found if "parses_xml.py" in p]
    assert "No module named 'xmltodict'" in knock_on
    assert "not installed, because requirements.txt failed (see above)" in knock_on


@pytest.mark.parametrize("name", ["PLUGINS", "STARTUP"])
def test_a_named_plugins_or_startup_path_that_does_not_exist_is_refused(offline, tree, name):
    result = preflight(offline, tree, **{name: str(tree / "nowhere")})
    assert result.returncode != 0
    [line] = error_lines(result)
    assert f"{name}: {tree / 'nowhere'} does not exist" in line


@pytest.mark.parametrize("name", ["PLUGINS", "STARTUP"])
def test_a_sync_without_preflight_refuses_a_named_path_that_does_not_exist_too(env, tree, name):
    result = make(env, "sync", DAGS=str(tree / "dags"), SKIP_PREFLIGHT="1", **{name: str(tree / "nowhere")})
    assert result.returncode == 2
    [line] = error_lines(result)
    assert f"{name}: {tree / 'nowhere'} does not exist" in line
    assert "SKIP_PREFLIGHT" not in result.stderr, "refused before anything else, the warning included"


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
        f"requirements.txt:{requirements_line}: apache-airflow-providers-amazon==8.0.0 conflicts with {CONSTRAINT}"
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
    assert "requirements.txt: warning: no --constraint line: MWAA applies Airflow's constraints" in result.stdout
    assert f"add: {expected}" in result.stdout


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
    assert f"requirements.txt:2: {CONSTRAINT} conflicts with apache-airflow-providers-amazon==9.1.0 ({url})" in problem


def test_an_upgrade_with_the_old_constraint_line_is_named(offline):
    result = make(offline, "preflight", AIRFLOW_VERSION="2.11.2")
    found = "\n".join(problems(result))
    assert "the --constraint URL is for Airflow 3.3.1; the environment runs 2.11.2" in found
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
