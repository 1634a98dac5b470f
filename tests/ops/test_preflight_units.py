"""The pure halves of make preflight: requirements against constraints, plugin layout."""

from __future__ import annotations

import time
import zipfile
from pathlib import Path

import pytest

from ops.preflight import layout, requirements, vendored, venvs
from templates.catalogue import AIRFLOW_VERSIONS, RELEASES
from tests.mwaa_files import mwaa_pin

ROOT = Path(__file__).resolve().parents[2]

# Shaped like Airflow's constraint URLs, on a closed loopback port: unreachable at once.
URL = "http://127.0.0.1:9/apache/airflow/constraints-3.3.1/constraints-3.12.txt"


def checked(tmp_path, text: str, version: str = "3.3.1") -> requirements.RequirementsCheck:
    path = tmp_path / "requirements.txt"
    path.write_text(text)
    return requirements.check(path, version, timeout=2)


def test_markers_are_evaluated_for_mwaas_python_not_this_one(tmp_path):
    boto3 = mwaa_pin("3.3.1", "boto3")
    text = f'--constraint "{URL}"\nboto3==1.0.0; python_version < "3.12"\nboto3=={boto3}; python_version >= "3.12"\n'
    result = checked(tmp_path, text)
    assert [(x.line, str(x.requirement)) for x in result.requirements] == [
        (3, f'boto3=={boto3}; python_version >= "3.12"')
    ]
    assert not [p for p in result.problems if not p.warning and "conflicts" in p.message]


def test_a_range_that_admits_the_pin_passes_and_one_that_does_not_is_named(tmp_path):
    result = checked(tmp_path, "apache-airflow-providers-amazon>=9,<10\napache-airflow<3\n")
    conflicts = [p for p in result.problems if "conflicts" in p.message]
    assert [(p.line, p.message.split(" (")[0]) for p in conflicts] == [
        (2, "apache-airflow<3 conflicts with apache-airflow==3.3.1")
    ]
    assert "MWAA's essential constraints, which no requirements.txt overrides" in conflicts[0].message


def test_an_unparsable_line_and_an_editable_are_problems(tmp_path):
    result = checked(tmp_path, "-e git+https://example.com/x.git\nnot a requirement!!\n")
    lines = {p.line: p.message for p in result.problems if p.line}
    assert "-e is not checked here" in lines[1] and "not a requirement" in lines[2]


def test_the_python_in_the_url_must_be_mwaas(tmp_path):
    result = checked(tmp_path, f"--constraint {URL.replace('3.12.txt', '3.11.txt')}\n")
    assert any(
        p.message == "the --constraint URL is for Python 3.11; MWAA runs Airflow 3.3.1 on 3.12" for p in result.problems
    )


def test_a_zip_with_a_top_folder_or_caches_is_refused_and_a_package_is_not(tmp_path):
    bad = tmp_path / "plugins.zip"
    with zipfile.ZipFile(bad, "w") as archive:
        archive.writestr("plugins/hooks.py", "X = 1\n")
        archive.writestr("plugins/__pycache__/hooks.cpython-312.pyc", b"\0")
    messages = [m for _, _, m in layout.plugin_problems(bad)]
    assert any("everything is inside plugins/" in m for m in messages)
    assert any("plugins/__pycache__ is compiled cache" in m for m in messages)
    package = tmp_path / "operators"
    (package / "custom").mkdir(parents=True)
    (package / "custom" / "op.py").write_text("X = 1\n")
    assert layout.plugin_problems(package) == [], "a lone namespace folder is a layout Airflow loads"


# --- MWAA's facts, as the user guide and MWAA's images state them -----------------------------

GUIDE_211_URL = "https://raw.githubusercontent.com/apache/airflow/constraints-2.11.2/constraints-3.12.txt"


def test_airflow_2_11_runs_python_3_12_so_the_guides_line_passes_and_3_11_is_named(tmp_path):
    # Offline: the URL does not answer, so the vendored constraints of 2.11.2 answer instead.
    right = checked(tmp_path, f'--constraint "{GUIDE_211_URL}"\n', version="2.11.2")
    assert not [p for p in right.problems if "Python" in p.message], right.problems
    wrong = checked(tmp_path, f'--constraint "{GUIDE_211_URL.replace("3.12.txt", "3.11.txt")}"\n', version="2.11.2")
    assert [p.message for p in wrong.problems if "Python" in p.message] == [
        "the --constraint URL is for Python 3.11; MWAA runs Airflow 2.11.2 on 3.12"
    ]
    missing = checked(tmp_path, "boto3\n", version="2.11.0")
    assert any("constraints-2.11.0/constraints-3.12.txt" in p.message for p in missing.problems)
    assert "2.11.0" in missing.source and not missing.failed, "MWAA's own file for 2.11.0 answers"


def test_markers_on_2_11_are_evaluated_for_python_3_12(tmp_path):
    text = 'numpy==1.0; python_version < "3.12"\nrich; python_version >= "3.12"\n'
    result = checked(tmp_path, text, version="2.11.2")
    assert [x.requirement.name for x in result.requirements] == ["rich"]


def test_a_commented_out_constraint_is_mwaas_opt_out_and_only_the_essential_pins_hold(tmp_path):
    result = checked(tmp_path, f'# --constraint "{URL}"\npandas==1.5.3\napache-airflow<3\n')
    [warning] = [p for p in result.problems if p.warning]
    assert (
        warning.line == 1 and "MWAA's opt-out" in warning.message and "without Airflow's constraints" in warning.message
    )
    [problem] = [p for p in result.problems if not p.warning]
    assert problem.line == 3 and "essential" in problem.message, "Airflow itself stays pinned"
    assert result.constraints == {} and "essential constraints only" in result.source


def test_constraint_with_an_equals_sign_is_not_seen_by_mwaa(tmp_path):
    result = checked(tmp_path, f"--constraint={URL}\n")
    [problem] = [p for p in result.problems if "does not see" in p.message]
    assert problem.line == 1 and "adds its own constraints file on top" in problem.message
    assert f"write --constraint {URL}" in problem.message


def test_a_constraints_file_in_the_dag_folder_is_read_from_dags(tmp_path):
    (tmp_path / "constraints.txt").write_text("rich==13.0.0\n")
    result = checked(tmp_path, '--constraint "/usr/local/airflow/dags/constraints.txt"\nrich>=14\n')
    assert [p.message.split(" (")[0] for p in result.problems] == ["rich>=14 conflicts with rich==13.0.0"]
    assert result.source.startswith("constraints.txt in the DAG folder")


def test_a_local_constraints_file_must_be_in_the_dag_folder(tmp_path):
    gone = checked(tmp_path, "-c /usr/local/airflow/dags/nope.txt\n")
    assert any("there is no nope.txt in the DAG folder" in p.message for p in gone.problems)
    outside = checked(tmp_path, "-c /usr/local/airflow/dags/../requirements/c.txt\n")
    assert any("there is no ../requirements/c.txt" in p.message for p in outside.problems)
    elsewhere = checked(tmp_path, "-c /etc/constraints.txt\n")
    assert any("only from /usr/local/airflow/dags/" in p.message for p in elsewhere.problems)
    scheme = checked(tmp_path, "-c file:///etc/passwd\n")
    assert any("MWAA takes an https:// URL" in p.message for p in scheme.problems)
    assert scheme.constraints_text == ""


# The user guide's "Reserved environment variables" (Using a startup script), typed from the page.
GUIDE_RESERVED = (
    "AIRFLOW_VERSION",
    "AWS_DEFAULT_REGION",
    "AWS_REGION",
    "PYTHONUNBUFFERED",
    "AIRFLOW__WEBSERVER__BASE_URL",
    "AIRFLOW__METRICS__STATSD_HOST",
    "AIRFLOW__CELERY__WORKER_AUTOSCALE",
    "AIRFLOW__CORE__PARALLELISM",
    "AIRFLOW_CONN_AWS_DEFAULT",
    "SQL_ALCHEMY_CONN",
    "MWAA__AIRFLOW__COMPONENT",
    "AIRFLOW_HOME",
)


def exported(tmp_path, names, version="3.3.1"):
    script = tmp_path / "startup.sh"
    script.write_text("#!/bin/bash\n" + "".join(f'export {name}="x"\n' for name in names) + 'export TEAM_FLAG="1"\n')
    problems = layout.startup_problems(script, layout.shellcheck_binary(), version)
    return {line: message for _, line, message in problems if "reserves" in message}


def test_every_reserved_startup_variable_is_named_with_what_mwaa_does(tmp_path):
    from templates.catalogue import RESERVED_VARIABLES_DOCUMENTED, RESERVED_VARIABLES_PROTECTED

    names = sorted({*GUIDE_RESERVED, *RESERVED_VARIABLES_DOCUMENTED, *RESERVED_VARIABLES_PROTECTED})
    found = exported(tmp_path, names)
    assert sorted(found) == list(range(2, len(names) + 2)), "each export named, TEAM_FLAG left alone"
    assert all("resets the variable to its own value" in m for m in found.values())


def test_pythonpath_is_reserved_from_airflow_2_9(tmp_path):
    assert exported(tmp_path, ["PYTHONPATH"], version="2.8.1") == {}
    assert list(exported(tmp_path, ["PYTHONPATH"], version="2.9.2")) == [2]


# --- bounded reads ------------------------------------------------------------------------------


@pytest.fixture
def server():
    """A local HTTP server whose answer a test chooses: ``serve(body_chunks, pause)``."""
    import http.server
    import threading

    plan: dict = {}

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            self.send_response(200)
            self.end_headers()
            try:
                for chunk in plan["chunks"]():
                    self.wfile.write(chunk)
                    self.wfile.flush()
                    time.sleep(plan["pause"])  # the server's pace, not a synchronisation
            except (BrokenPipeError, ConnectionResetError):
                pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    threading.Thread(target=httpd.serve_forever, daemon=True).start()

    def serve(chunks, pause: float) -> str:
        plan.update(chunks=chunks, pause=pause)
        return f"http://127.0.0.1:{httpd.server_address[1]}/constraints-3.3.1/constraints-3.12.txt"

    yield serve
    httpd.shutdown()


def test_a_server_that_trickles_is_cut_off_at_the_deadline(server, monkeypatch):
    monkeypatch.delenv("http_proxy", raising=False)
    url = server(lambda: iter(lambda: b"x", None), pause=0.05)  # a byte every 50 ms, for ever
    started = time.monotonic()
    with pytest.raises(TimeoutError, match="still sending after 1 s"):
        requirements.download(url, timeout=1)
    assert time.monotonic() - started < 1 + requirements.READ_STEP_SECONDS


def test_an_endless_answer_is_cut_off_at_the_byte_cap(server, monkeypatch):
    monkeypatch.delenv("http_proxy", raising=False)
    url = server(lambda: iter(lambda: b"y" * 65536, None), pause=0)
    with pytest.raises(ValueError, match="not a constraints file"):
        requirements.download(url, timeout=30)


def test_any_number_of_requirements_reaches_pip_through_a_file(tmp_path, monkeypatch):
    monkeypatch.setenv("PIP_INDEX_URL", "http://127.0.0.1:9/simple")  # closed: pip fails at once
    monkeypatch.setenv("PIP_RETRIES", "0")
    # 3,000 names of 800 characters, 2.4 MB: over Linux's 2 MiB argument-list limit (ARG_MAX).
    wanted = [f"no-such-package-{n:05d}-{'x' * 778}==1.0" for n in range(3_000)]
    made = venvs.parser("3.3.1", wanted, [], "", timeout=300, say=lambda line: None)
    assert made.python is None and made.why, made
    assert "Argument list too long" not in made.why
    # Other tests (other workers) add venvs to the cache meanwhile: look for this set's only.
    kept = [p for p in venvs.CACHE.glob("*/user-requirements.txt") if wanted[0] in p.read_text()]
    assert kept == [], "a set that failed to install is not kept"


# --- MWAA's own files, for every version MWAA supports --------------------------------------


def test_the_vendored_files_are_aws_files_as_recorded():
    import importlib.util

    spec = importlib.util.spec_from_file_location("mwaa_constraints", ROOT / "scripts" / "mwaa_constraints.py")
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    assert script.check() == [], "vendor/mwaa/ differs from SOURCES.json: refresh it with the script"


@pytest.mark.parametrize("version", AIRFLOW_VERSIONS)
def test_each_version_has_mwaas_files_and_the_catalogues_python_is_the_images(version):
    image = vendored.image(version)
    header = image.constraints.read_text().split("\n#\n# This constraints", 1)[0]
    # The image's (or local runner's) copy names the URL it was copied from: Airflow's file
    # for this version and for the Python MWAA runs it on, which the catalogue states.
    assert f"constraints-{version}/constraints-{RELEASES[version].python}.txt" in header
    assert vendored.pins(image.essential_text())["apache-airflow"] == version
    assert any(p.startswith("apache-airflow[celery,statsd]") for p in image.preinstalled())


@pytest.mark.parametrize("version", AIRFLOW_VERSIONS)
def test_no_requirements_file_passes_at_every_version(tmp_path, version):
    result = requirements.check(tmp_path / "requirements.txt", version, timeout=2)
    assert result.problems == [] and f"for {version}" in result.source


@pytest.mark.parametrize("version", AIRFLOW_VERSIONS)
def test_mwaas_own_pins_pass_and_another_pin_fails_at_every_version_online_or_not(tmp_path, version):
    amazon = mwaa_pin(version, "apache-airflow-providers-amazon")
    url = f"http://127.0.0.1:9/apache/airflow/constraints-{version}/constraints-{RELEASES[version].python}.txt"
    for constraint_line in ("", f'--constraint "{url}"\n'):  # no line: MWAA's own file; a URL that does not answer
        ok = checked(tmp_path, f"{constraint_line}apache-airflow-providers-amazon=={amazon}\n", version)
        assert not ok.failed, (version, ok.problems)
        bad = checked(tmp_path, f"{constraint_line}apache-airflow-providers-amazon==1.0.0\n", version)
        assert [p.message.split(" (")[0] for p in bad.problems if not p.warning] == [
            f"apache-airflow-providers-amazon==1.0.0 conflicts with apache-airflow-providers-amazon=={amazon}"
        ]


def test_the_pins_of_mwaas_3_3_1_image_pass_and_what_it_refuses_fails(tmp_path):
    # aws/amazon-mwaa-docker-images 3.3.1: provider amazon 9.34.0 in its BOM, SQLAlchemy 2.0.51
    # in its essential constraints.
    text = f'--constraint "{URL}"\napache-airflow-providers-amazon==9.34.0\nSQLAlchemy==2.0.51\n'
    assert not checked(tmp_path, text).problems
    refused = checked(tmp_path, f'--constraint "{URL}"\npandas==1.5.3\napache-airflow-providers-snowflake==5.0.0\n')
    assert [p.line for p in refused.problems if "conflicts" in p.message] == [2, 3]


def test_a_url_of_another_version_is_named_and_checked_against_that_versions_file(tmp_path):
    other = URL.replace("constraints-3.3.1", "constraints-2.11.2")
    result = checked(tmp_path, f'--constraint "{other}"\napache-airflow-providers-amazon==9.34.0\n')
    messages = [p.message for p in result.problems]
    assert "the --constraint URL is for Airflow 2.11.2; the environment runs 3.3.1" in messages
    assert any("conflicts with apache-airflow-providers-amazon==9.22.0" in m for m in messages), messages


def test_a_url_that_answers_with_other_pins_wins_and_the_difference_is_said(tmp_path, server, monkeypatch):
    monkeypatch.delenv("http_proxy", raising=False)
    copy = vendored.image("3.3.1").constraints.read_text()
    changed = copy.replace("apache-airflow-providers-amazon==9.34.0", "apache-airflow-providers-amazon==9.1.0")
    url = server(lambda: iter([changed.encode()]), pause=0)
    result = checked(tmp_path, f"--constraint {url}\napache-airflow-providers-amazon==9.34.0\n")
    [said] = [p for p in result.problems if p.warning]
    assert (
        "now differs from the copy in MWAA's image (1 pin(s) changed: apache-airflow-providers-amazon)" in said.message
    )
    [conflict] = [p for p in result.problems if not p.warning]
    assert "conflicts with apache-airflow-providers-amazon==9.1.0" in conflict.message and result.source == url
    same = server(lambda: iter([copy.encode()]), pause=0)
    assert checked(tmp_path, f"--constraint {same}\napache-airflow-providers-amazon==9.34.0\n").problems == []


def test_another_url_that_does_not_answer_checks_the_essential_pins_only(tmp_path):
    result = checked(
        tmp_path, "--constraint https://127.0.0.1:9/team/constraints.txt\npandas==1.5.3\napache-airflow==2.0\n"
    )
    [warning] = [p for p in result.problems if p.warning]
    assert warning.line == 1 and "not checked against --constraint" in warning.message
    [problem] = [p for p in result.problems if not p.warning]
    assert problem.line == 3 and "essential" in problem.message


def test_r_files_are_followed_inside_the_dag_folder_as_mwaa_names_them(tmp_path):
    (tmp_path / "deps").mkdir()
    (tmp_path / "deps" / "more.txt").write_text("-r ../codeartifact.txt\npandas==1.5.3\n")
    # AWS's CodeArtifact pattern (user guide, "Using CodeArtifact"): the index in a -r file.
    (tmp_path / "codeartifact.txt").write_text("--index-url https://team-123.d.codeartifact.example/pypi/simple/\n")
    result = checked(tmp_path, f'--constraint "{URL}"\n-r /usr/local/airflow/dags/deps/more.txt\n')
    by_file = {(p.file.name if p.file else "requirements.txt", p.line, p.warning) for p in result.problems}
    assert ("more.txt", 2, False) in by_file, result.problems
    assert ("codeartifact.txt", 1, True) in by_file, "the index is named: not checked offline"
    assert result.pip_options == ["--index-url", "https://team-123.d.codeartifact.example/pypi/simple/"]
    outside = checked(tmp_path, "-r ../elsewhere.txt\n-r /etc/requirements.txt\n-r missing.txt\n")
    messages = [p.message for p in outside.problems if not p.warning]
    assert any("outside the DAG folder" in m for m in messages)
    assert any("MWAA reads only files in its DAG folder" in m for m in messages)
    assert any("there is no missing.txt in the DAG folder" in m for m in messages)
    (tmp_path / "loop.txt").write_text("-r loop.txt\n")
    assert any("a loop" in p.message for p in checked(tmp_path, "-r loop.txt\n").problems)


# pip 25's own output for a conflict (stdout and stderr in one stream, as venvs._run reads it).
PIP_CONFLICT = """\
Requirement already satisfied: boto3>=1.41.0 in ./lib/python3.12/site-packages (1.43.56)
ERROR: Cannot install apache-airflow-providers-amazon==9.34.0 and boto3==1.20.0 because these package \
versions have conflicting dependencies.

The conflict is caused by:
    The user requested boto3==1.20.0
    apache-airflow-providers-amazon 9.34.0 depends on boto3>=1.41.0

To fix this you could try to:
1. loosen the range of package versions you've specified

ERROR: ResolutionImpossible: for help visit https://pip.pypa.io/en/latest/topics/dependency-resolution/
"""
PIP_BUILD_FAILURE = """\
  error: subprocess-exited-with-error
  × Getting requirements to build wheel did not run successfully.
  ╰─> [22 lines of output]
      Traceback (most recent call last):
        File "<string>", line 48, in _guard_py_ver
      RuntimeError: Cannot install on Python version 3.12.1; only versions >=3.8,<3.12 are supported.
      [end of output]
  note: This error originates from a subprocess, and is likely not a problem with pip.
ERROR: Failed to build 'numba' when getting requirements to build wheel
"""


def test_pips_reasons_are_the_lines_that_say_why():
    assert venvs._reasons(PIP_CONFLICT) == [
        "Cannot install apache-airflow-providers-amazon==9.34.0 and boto3==1.20.0 because these package "
        "versions have conflicting dependencies.",
        "The user requested boto3==1.20.0",
        "apache-airflow-providers-amazon 9.34.0 depends on boto3>=1.41.0",
    ]
    why = venvs._reasons(PIP_BUILD_FAILURE)
    assert why[0] == "Failed to build 'numba' when getting requirements to build wheel"
    assert "RuntimeError: Cannot install on Python version 3.12.1" in why[1]
    assert not any("originates from a subprocess" in line for line in why)


def test_airflows_error_is_its_exception_line_with_the_lines_that_belong_to_it():
    from ops.preflight import _why

    error = (
        'Traceback (most recent call last):\n  File "/dags/x.py", line 5, in <module>\n    Op(task_id="x")\n'
        "airflow.exceptions.AirflowException: Invalid arguments were passed to EmrAddStepsOperator (task_id: x). "
        "Invalid arguments were:\n**kwargs: {'not_an_arg': 1}\n"
    )
    assert _why(error) == (
        "airflow.exceptions.AirflowException: Invalid arguments were passed to EmrAddStepsOperator (task_id: x). "
        "Invalid arguments were: **kwargs: {'not_an_arg': 1}"
    )


def test_a_typo_in_env_is_refused_with_the_known_environments(monkeypatch):
    from ops.errors import UsageError
    from ops.inputs import environment as known_environment

    monkeypatch.chdir(ROOT)
    with pytest.raises(UsageError, match=r"ENV='prdd': no environments/prdd.toml; did you mean prd\? Known"):
        known_environment("prdd")
    assert known_environment("prd") == "prd" and known_environment("test") == "test", "a plain label stays a label"


def test_the_interpreter_is_mwaas_python_when_the_machine_has_it():
    found = venvs.interpreter("3.12")
    import subprocess

    said = subprocess.run([str(found.path), "-c", "import sys; print(sys.version_info[:2])"], capture_output=True)
    assert found.exact == (said.stdout.strip() == b"(3, 12)")
    assert venvs.interpreter("2.1").exact is False, "no Python 2.1 anywhere: this one, said so"
