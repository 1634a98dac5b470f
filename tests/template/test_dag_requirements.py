"""dags/requirements.txt, what MWAA pip-installs, agrees with the template's Airflow version."""

from __future__ import annotations

import re

from templates.settings import Settings
from tests.template.conftest import ROOT

REQUIREMENTS = ROOT / "dags" / "requirements.txt"


def lines() -> list[str]:
    return [line.strip() for line in REQUIREMENTS.read_text().splitlines() if line.strip() and not line.startswith("#")]


def test_constraint_matches_the_default_airflow_version():
    version = Settings().airflow_version
    # MWAA runs Python 3.12 from Airflow 2.11 on, 3.11 before (user guide, versions table).
    python = "3.12" if tuple(int(part) for part in version.split(".")) >= (2, 11) else "3.11"
    assert lines()[0] == (
        f'--constraint "https://raw.githubusercontent.com/apache/airflow/constraints-{version}/constraints-{python}.txt"'
    )


def test_every_package_is_pinned_and_airflow_is_not_reinstalled():
    for line in lines()[1:]:
        assert re.fullmatch(r"[A-Za-z0-9_.\-\[\],]+==[^=\s]+", line), f"unpinned: {line}"
        assert not line.lower().startswith("apache-airflow=="), "MWAA provides Airflow itself"


def test_test_environment_runs_the_default_airflow_version():
    pins = dict(
        line.split("==")
        for line in (ROOT / "requirements-airflow.txt").read_text().splitlines()
        if "==" in line and not line.startswith("#")
    )
    assert pins["apache-airflow"] == Settings().airflow_version
