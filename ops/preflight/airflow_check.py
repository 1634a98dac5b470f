"""The half of ``make preflight`` that runs inside MWAA's Airflow (``venvs.py`` makes it),
isolated (``python -I``).  Standard library and Airflow only; prints one JSON object.

    python -I -c SOURCE dags DAGS_FOLDER PLUGINS_FOLDER|'' TIMEOUT_SECONDS
    python -I -c SOURCE installed REQUIREMENTS_FILE

``dags``: fills a DagBag from the folder as MWAA's DAG processor does, after putting the DAG
folder and the plugins folder on ``sys.path`` as MWAA's Airflow does (Airflow 2's
``settings.prepare_syspath``; Airflow 3's bundle DAG bag adds the DAG folder, its
``prepare_syspath_for_config_and_plugins`` the plugins), ``.airflowignore`` respected, the
import timeout enforced; then imports each top-level plugin module.  What the caller's
environment offers and MWAA's does not is refused, and named:

* an AWS call at parse time (any botocore or aiobotocore client) raises at once, before
  anything is signed or sent: MWAA makes such a call as the execution role on every parse;
* a Variable or Connection read at parse time returns its default when the code gives one,
  and otherwise raises: its value lives in the environment's metadata database or secrets
  backend, which preflight does not have.

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

AWS_CALL = "MwaaStackParseTimeAwsCall"
ENVIRONMENT_READ = "MwaaStackParseTimeRead"


class MwaaStackParseTimeAwsCall(Exception):
    pass


class MwaaStackParseTimeRead(Exception):
    pass


def refuse_aws_calls() -> None:
    try:
        from botocore.client import BaseClient
    except ImportError:
        return

    def call(client, operation, params):
        raise MwaaStackParseTimeAwsCall(f"{client.meta.service_model.service_name}.{operation}")

    BaseClient._make_api_call = call
    try:
        from aiobotocore.client import AioBaseClient
    except ImportError:
        return

    async def async_call(client, operation, params):
        call(client, operation, params)

    AioBaseClient._make_api_call = async_call


# (module, class, method, what is read, the keyword of its default): Airflow 2's and 3's.
READS = (
    ("airflow.models.variable", "Variable", "get", "Variable", "default_var"),
    ("airflow.sdk.definitions.variable", "Variable", "get", "Variable", "default"),
    ("airflow.hooks.base", "BaseHook", "get_connection", "Connection", None),
    ("airflow.sdk.bases.hook", "BaseHook", "get_connection", "Connection", None),
    ("airflow.models.connection", "Connection", "get_connection_from_secrets", "Connection", None),
    ("airflow.sdk.definitions.connection", "Connection", "get", "Connection", None),
)


def refuse_environment_reads() -> None:
    for module_name, class_name, method, what, default_keyword in READS:
        try:
            owner = getattr(importlib.import_module(module_name), class_name)
        except (ImportError, AttributeError):
            continue

        def read(cls, key, *args, _what=what, _default=default_keyword, **kwargs):
            if _default and _default in kwargs:
                return kwargs[_default]
            if _default and args:
                return args[0]
            raise MwaaStackParseTimeRead(f"{_what} {key!r}")

        setattr(owner, method, classmethod(read))


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
            # the DAG file's own line in the traceback, not only its last frames
            "AIRFLOW__CORE__DAGBAG_IMPORT_ERROR_TRACEBACK_DEPTH": "100",
        }
    )
    for folder in filter(None, (plugins, dags)):
        if folder not in sys.path:
            sys.path.insert(0, folder)
    refuse_aws_calls()
    plugin_errors = import_plugins(plugins) if plugins else {}
    try:
        from airflow.dag_processing.dagbag import DagBag  # Airflow 3
    except ImportError:  # Airflow 2
        from airflow.models import DagBag
    refuse_environment_reads()
    started = time.monotonic()
    bag = DagBag(dag_folder=dags)  # examples are off through AIRFLOW__CORE__LOAD_EXAMPLES
    files: dict[str, list[str]] = {}
    for dag_id, dag in bag.dags.items():
        files.setdefault(dag.fileloc, []).append(dag_id)
    import airflow

    return {
        "import_errors": {_in_folder(dags, str(k)): str(v) for k, v in bag.import_errors.items()},
        "durations": {_in_folder(dags, s.file): s.duration.total_seconds() for s in bag.dagbag_stats},
        "dags": files,
        "plugin_errors": plugin_errors,
        "seconds": time.monotonic() - started,
        "airflow": airflow.__version__,
        "python": ".".join(str(n) for n in sys.version_info[:3]),
    }


def _in_folder(dags: str, file: str) -> str:
    """Airflow 3 names a file relative to the DAG folder; Airflow 2 with the folder cut off
    its front ("/emr_steps.py")."""
    return file if file.startswith(dags) else os.path.join(dags, file.lstrip("/"))


def import_plugins(folder: str) -> dict[str, str]:
    """Import each module and package at the top of the plugins folder, as Airflow's plugin
    manager does from the unpacked plugins.zip; module -> the error's last line."""
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
