"""Files the tests read themselves: MWAA's own (not through ops.preflight.vendored, the code
under test), what a verdict is expected to name; and the project's root."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VENDOR = ROOT / "vendor" / "mwaa"


def mwaa_pin(version: str, package: str) -> str:
    """The version MWAA's image pins ``package`` to, read from AWS's file itself."""
    text = (VENDOR / version / "airflow_constraints.txt").read_text()
    return re.search(rf"^{re.escape(package)}==(\S+)$", text, re.MULTILINE | re.IGNORECASE).group(1)


PROJECT_DAG = object()  # in dag_folder's files: the project's own file of that name, from dags/


def dag_folder(parent: Path, files: dict[str, str | object]) -> Path:
    """``parent/dags`` holding ``files`` (name -> text, or PROJECT_DAG)."""
    folder = parent / "dags"
    folder.mkdir()
    for name, text in files.items():
        (folder / name).write_text((ROOT / "dags" / name).read_text() if text is PROJECT_DAG else str(text))
    return folder
