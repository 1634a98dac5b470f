"""The pure halves of make preflight: requirements against constraints, plugin layout."""

from __future__ import annotations

import zipfile

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
