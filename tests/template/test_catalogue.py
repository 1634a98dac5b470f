"""MWAA's facts are stated once (templates/catalogue.py) and every reader derives from it;
and the facts that depend on the Airflow version are checked against that version."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from templates import catalogue
from tests.template.conftest import ROOT, assert_refused, run_build_py

# Code that acts on MWAA's facts: everything but the catalogue itself, the tests' own
# oracles (tests/template, tests/ops, tests/workflow read AWS's schema or the user guide) and
# vendored data.
READERS = [
    *sorted((ROOT / "templates").rglob("*.py")),
    *sorted((ROOT / "ops").rglob("*.py")),
    *sorted((ROOT / "scripts").glob("*.py")),
    *sorted((ROOT / "tests" / "emulator").rglob("*.py")),
    ROOT / "build.py",
]
# (Statuses are not among them: the emulator must answer them as strings; that every wait
# classifies them through the catalogue is proven by tests/make/test_watch.py.)
FACTS = {
    "log modules": {m.configuration for m in catalogue.LOG_MODULES} | {"DAGProcessing", "WebServer"},
    "Airflow versions": set(catalogue.AIRFLOW_VERSIONS),
    "environment classes": set(catalogue.CLASSES),
}


def string_literals(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
    ]


@pytest.mark.parametrize("fact", sorted(FACTS))
def test_each_fact_is_written_only_in_the_catalogue(fact):
    words = FACTS[fact]
    pattern = re.compile(r"\b(" + "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True)) + r")\b")
    copies = [
        f"{path.relative_to(ROOT)}:{line}: {text!r}"
        for path in READERS
        if path.name != "catalogue.py"
        for line, text in string_literals(path)
        if text in words or (fact == "Airflow versions" and pattern.fullmatch(text.strip()))
    ]
    assert copies == [], f"{fact} written outside templates/catalogue.py"


def test_the_execution_roles_sids_are_written_once():
    """The Sid check reads the template's statements themselves: no list of them elsewhere."""
    sids = re.findall(r'Sid="(\w+)"', (ROOT / "templates" / "execution_role.py").read_text())
    assert len(sids) == len(set(sids)) and "RunEmrSteps" in sids
    for path in READERS:
        if path.name in ("execution_role.py", "bucket.py", "encryption.py", "security_gates.py"):
            continue  # the statements themselves, and the gates' waiver of one statement by its Sid
        text = path.read_text(encoding="utf-8")
        assert not [s for s in sids if f'"{s}"' in text], path


def test_every_settings_module_is_small():
    for path in sorted((ROOT / "templates" / "settings").glob("*.py")):
        assert len(path.read_text().splitlines()) <= 250, path


# --- Airflow options against the environment's version ------------------------------------------


def options_file(tmp_path: Path, options: str, version: str = "") -> Path:
    path = tmp_path / "team.toml"
    path.write_text(
        (f'airflow_version = "{version}"\n' if version else "") + "[airflow_configuration_options]\n" + options
    )
    return path


def test_an_option_airflow_3_removed_is_refused_at_build_with_airflows_word(tmp_path):
    settings = options_file(tmp_path, '"webserver.default_ui_timezone" = "Europe/Berlin"\n')
    assert_refused(tmp_path, ["--settings", str(settings)], "webserver.default_ui_timezone", "removed in Airflow 3")


def test_a_moved_option_names_where_it_went(tmp_path):
    settings = options_file(tmp_path, '"webserver.navbar_color" = "#fff"\n"core.dag_concurrency" = "4"\n')
    result = run_build_py("--settings", str(settings), "--out", str(tmp_path / "out"))
    assert result.returncode == 2 and "core.dag_concurrency" in result.stderr
    assert "moved to core.max_active_tasks_per_dag in Airflow 3" in result.stderr


def test_a_key_a_known_section_lacks_is_refused(tmp_path):
    settings = options_file(tmp_path, '"scheduler.catchup_by_defualt" = false\n')
    assert_refused(
        tmp_path, ["--settings", str(settings)], "scheduler.catchup_by_defualt", "Airflow 3.3.1 has no option"
    )


def test_the_same_options_on_airflow_2_are_options_of_airflow_2(tmp_path):
    settings = options_file(tmp_path, '"webserver.default_ui_timezone" = "Europe/Berlin"\n', version="2.11.2")
    result = run_build_py("--settings", str(settings), "--out", str(tmp_path / "out"))
    assert result.returncode == 0, result.stderr
    assert "webserver.default_ui_timezone: Europe/Berlin" in (tmp_path / "out" / "mwaa.yaml").read_text()


def test_old_names_airflow_still_honours_and_the_teams_own_sections_pass(tmp_path):
    # scheduler.dag_dir_list_interval is Airflow 3.3.1's deprecated alias of dag_processor.refresh_interval.
    options = '"scheduler.dag_dir_list_interval" = 60\n"team.owner" = "data"\n"celery.worker_autoscale" = "10,1"\n'
    result = run_build_py("--settings", str(options_file(tmp_path, options)), "--out", str(tmp_path / "out"))
    assert result.returncode == 0, result.stderr
    assert result.stderr == "", "checked against 3.3.1's list: no note"


def test_a_version_without_a_vendored_list_says_it_cannot_check(tmp_path):
    settings = options_file(tmp_path, '"scheduler.catchup_by_defualt" = false\n', version="3.2.1")
    result = run_build_py("--settings", str(settings), "--out", str(tmp_path / "out"))
    assert result.returncode == 0
    [note] = result.stderr.splitlines()
    assert "no option list of Airflow 3.2.1 is vendored" in note


def test_the_upgrade_paths_of_the_user_guide():
    steps = catalogue.upgrade_steps
    assert steps("2.10.3", "3.3.1") is None, "a new environment"
    assert steps("2.11.0", "3.3.1") == ("2.11.2", "3.3.1")
    assert steps("2.11.2", "3.3.1") == ("3.3.1",)
    assert steps("2.7.2", "2.11.2") == ("2.11.2",) and steps("3.3.1", "2.11.2") == ("2.11.2",)
