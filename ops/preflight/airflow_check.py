"""The half of ``make preflight`` that runs inside Airflow (the project's install of the
environment's major version, with the requirements on ``PYTHONPATH``).  Standard library
and Airflow only; prints one JSON object.

    python -m ops.preflight.airflow_check dags DAGS_FOLDER PLUGINS_FOLDER|'' TIMEOUT_SECONDS
    python -m ops.preflight.airflow_check installed REQUIREMENTS_FILE

``dags``: fills a DagBag from the folder as MWAA's DAG processor does (``.airflowignore``
respected, the import timeout enforced), then imports each top-level plugin module.
``installed``: which requirements of the file (one per line) this interpreter does not
already satisfy.  The temporary AIRFLOW_HOME is removed before the answer is printed.
"""

from __future__ import annotations

import importlib
import json
import os
import shutil
import sys
import tempfile
import time
import traceback
from pathlib import Path


def check_dags(dags: str, plugins: str, timeout: str) -> dict:
    home = tempfile.mkdtemp(prefix="mwaa-stack-preflight-")
    try:
        return _check_dags(home, dags, plugins, timeout)
    finally:
        shutil.rmtree(home, ignore_errors=True)


def _check_dags(home: str, dags: str, plugins: str, timeout: str) -> dict:
    os.environ.update(
        {
            "AIRFLOW_HOME": home,
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__DAGS_FOLDER": dags,
            "AIRFLOW__CORE__PLUGINS_FOLDER": plugins or home,
            "AIRFLOW__CORE__DAGBAG_IMPORT_TIMEOUT": timeout,
            "AIRFLOW__CORE__UNIT_TEST_MODE": "False",
        }
    )
    plugin_errors = import_plugins(plugins) if plugins else {}
    try:
        from airflow.dag_processing.dagbag import DagBag  # Airflow 3
    except ImportError:  # Airflow 2
        from airflow.models import DagBag
    started = time.monotonic()
    bag = DagBag(dag_folder=dags)  # examples are off through AIRFLOW__CORE__LOAD_EXAMPLES
    files: dict[str, list[str]] = {}
    for dag_id, dag in bag.dags.items():
        files.setdefault(dag.fileloc, []).append(dag_id)
    return {
        "import_errors": {str(k): str(v) for k, v in bag.import_errors.items()},
        "durations": {_in_folder(dags, s.file): s.duration.total_seconds() for s in bag.dagbag_stats},
        "dags": files,
        "plugin_errors": plugin_errors,
        "seconds": time.monotonic() - started,
    }


def _in_folder(dags: str, file: str) -> str:
    """Airflow 3 names a file relative to the DAG folder; Airflow 2 with the folder cut off
    its front ("/emr_steps.py")."""
    return file if file.startswith(dags) else os.path.join(dags, file.lstrip("/"))


def import_plugins(folder: str) -> dict[str, str]:
    """Import each module and package at the top of the plugins folder, as Airflow's plugin
    manager does from the unpacked plugins.zip; module -> the error's last line."""
    sys.path.insert(0, folder)
    errors = {}
    for entry in sorted(Path(folder).iterdir()):
        if entry.name.startswith((".", "_")):
            continue
        if entry.suffix == ".py":
            name = entry.stem
        elif entry.is_dir() and (entry / "__init__.py").exists():
            name = entry.name
        else:
            continue
        try:
            importlib.import_module(name)
        except BaseException as err:  # a plugin that exits or raises anything is broken the same way
            where = [f for f in traceback.extract_tb(err.__traceback__) if f.filename.startswith(folder)]
            line = f":{where[-1].lineno}" if where else ""
            errors[f"{where[-1].filename if where else entry}{line}"] = f"{type(err).__name__}: {err}"
    return errors


def missing(requirements: list[str]) -> list[str]:
    from importlib.metadata import distributions

    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    installed = {canonicalize_name(d.metadata["Name"] or ""): d.version for d in distributions()}
    unmet = []
    for text in requirements:
        requirement = Requirement(text)
        have = installed.get(canonicalize_name(requirement.name))
        if have is None or not requirement.specifier.contains(have, prereleases=True):
            unmet.append(text)
    return unmet


def main(argv: list[str]) -> None:
    if argv[0] == "dags":
        result = check_dags(*argv[1:4])
    else:
        result = {"missing": missing(Path(argv[1]).read_text(encoding="utf-8").splitlines())}
    print(json.dumps(result))


if __name__ == "__main__":
    main(sys.argv[1:])
