"""The pure halves of make preflight: requirements against constraints, plugin layout."""

from __future__ import annotations

import time
import zipfile

import pytest

from ops.preflight import layout, requirements

# Shaped like Airflow's constraint URLs, on a closed loopback port: unreachable at once.
URL = "http://127.0.0.1:9/apache/airflow/constraints-3.3.1/constraints-3.12.txt"


def checked(tmp_path, text: str, version: str = "3.3.1") -> requirements.RequirementsCheck:
    path = tmp_path / "requirements.txt"
    path.write_text(text)
    return requirements.check(path, version, timeout=2)


def test_markers_are_evaluated_for_mwaas_python_not_this_one(tmp_path):
    text = f'--constraint "{URL}"\nboto3==1.0.0; python_version < "3.12"\nboto3==1.44.8; python_version >= "3.12"\n'
    result = checked(tmp_path, text)
    assert [(n, str(r)) for n, r in result.requirements] == [(3, 'boto3==1.44.8; python_version >= "3.12"')]
    assert not [p for p in result.problems if not p.warning and "conflicts" in p.message]


def test_a_range_that_admits_the_pin_passes_and_one_that_does_not_is_named(tmp_path):
    result = checked(tmp_path, "apache-airflow-providers-amazon>=9,<10\napache-airflow<3\n")
    conflicts = [p for p in result.problems if "conflicts" in p.message]
    assert [(p.line, p.message.split(" (")[0]) for p in conflicts] == [
        (2, "apache-airflow<3 conflicts with the constraint apache-airflow==3.3.1")
    ]


def test_an_unparsable_line_and_a_nested_file_are_problems(tmp_path):
    result = checked(tmp_path, "-r other.txt\nnot a requirement!!\n")
    lines = {p.line: p.message for p in result.problems if p.line}
    assert "-r is not checked here" in lines[1] and "not a requirement" in lines[2]


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


def test_markers_on_2_11_are_evaluated_for_python_3_12(tmp_path):
    text = 'numpy==1.0; python_version < "3.12"\nrich; python_version >= "3.12"\n'
    result = checked(tmp_path, text, version="2.11.2")
    assert [r.name for _, r in result.requirements] == ["rich"]


def test_a_commented_out_constraint_is_mwaas_opt_out_and_nothing_is_checked(tmp_path):
    result = checked(tmp_path, f'# --constraint "{URL}"\napache-airflow<3\n')
    [warning] = [p for p in result.problems if p.warning]
    assert (
        warning.line == 1 and "MWAA's opt-out" in warning.message and "without Airflow's constraints" in warning.message
    )
    assert not [p for p in result.problems if not p.warning], "no constraints apply, so nothing conflicts"
    assert result.constraints == {} and "applies no constraints" in result.source


def test_constraint_with_an_equals_sign_is_not_seen_by_mwaa(tmp_path):
    result = checked(tmp_path, f"--constraint={URL}\n")
    [problem] = [p for p in result.problems if "does not see" in p.message]
    assert problem.line == 1 and "adds its own constraints file on top" in problem.message
    assert f"write --constraint {URL}" in problem.message


def test_a_constraints_file_in_the_dag_folder_is_read_from_dags(tmp_path):
    (tmp_path / "constraints.txt").write_text("rich==13.0.0\n")
    result = checked(tmp_path, '--constraint "/usr/local/airflow/dags/constraints.txt"\nrich>=14\n')
    assert [p.message.split(" (")[0] for p in result.problems] == [
        "rich>=14 conflicts with the constraint rich==13.0.0"
    ]
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
    import sys as _sys
    from pathlib import Path

    from ops.preflight import venvs

    monkeypatch.setattr(venvs, "CACHE", tmp_path / "cache")
    monkeypatch.setenv("PIP_INDEX_URL", "http://127.0.0.1:9/simple")  # closed: pip fails at once
    monkeypatch.setenv("PIP_RETRIES", "0")
    # 12,000 names of 200 characters, 2.4 MB: over Linux's 2 MiB argument-list limit (ARG_MAX).
    wanted = [f"no-such-package-{n:05d}-{'x' * 178}==1.0" for n in range(12_000)]
    site, why = venvs.requirements_site(Path(_sys.executable), "3.3.1", wanted, "", timeout=120)
    assert site is None and why.startswith("pip cannot install"), why
    assert "Argument list too long" not in why
