"""make preflight in the Airflow this suite runs on: Airflow 3 under `make test`, the newest
Airflow 2 MWAA supports under `make test-airflow2`.  The DAG check uses the project's own
install of that major version, which is the interpreter running these tests."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import airflow

from tests.emulator.airflow_home import ROOT

VERSION = airflow.__version__  # 3.3.1 or 2.11.2, both versions the templates know


def dead_proxy() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}"


def test_the_workflow_passes_preflight_on_this_airflow(tmp_path: Path):
    dags = tmp_path / "dags"
    shutil.copytree(ROOT / "dags", dags, ignore=shutil.ignore_patterns("__pycache__"))
    # User guide, "Apache Airflow versions on Amazon MWAA": both pinned versions run Python 3.12.
    python = {"3.3.1": "3.12", "2.11.2": "3.12"}[VERSION]
    url = f"https://raw.githubusercontent.com/apache/airflow/constraints-{VERSION}/constraints-{python}.txt"
    (dags / "requirements.txt").write_text(f'--constraint "{url}"\napache-airflow-providers-amazon\n')
    proxy = dead_proxy()  # the URL is never fetched: the vendored constraints answer
    env = {**os.environ, "https_proxy": proxy, "http_proxy": proxy, "no_proxy": "127.0.0.1"}
    env = {k: v for k, v in env.items() if not k.startswith("MWAA_STACK_")}
    elsewhere = ["--plugins", str(tmp_path / "plugins"), "--startup", str(tmp_path / "startup.sh")]
    result = subprocess.run(
        [sys.executable, "-m", "ops", "preflight", "--airflow-version", VERSION, "--dags", str(dags), *elsewhere],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"preflight: ok: Airflow {VERSION} (Python {python}), 1 DAG file(s), 1 DAG(s)" in result.stdout
    assert f"constraints-airflow{'2' if VERSION.startswith('2.') else ''}.txt" in result.stdout
