"""``make dag-test``: run ``run_dag.py`` on the project's Airflow of the environment's major
version, the one its template deploys (``AirflowVersion``'s default, or ``AIRFLOW_VERSION``):
``.venv-airflow`` for Airflow 3, ``.venv-airflow2`` for Airflow 2, made on first use.

The project pins one Airflow per major (requirements-airflow*.txt); an environment on
another minor of the same major runs on it, and the first line says so.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from ops.errors import OpsError, UsageError
from ops.overrides import default_template, read_template
from ops.preflight.venvs import pinned_airflow
from ops.text import printable
from templates.catalogue import RELEASES

ROOT = Path(__file__).resolve().parents[2]
VENVS = {3: ".venv-airflow", 2: ".venv-airflow2"}


def launch() -> int:
    env = os.environ.get("MWAA_STACK_ENV") or "dev"
    template = Path(os.environ.get("MWAA_STACK_TEMPLATE") or default_template(env)).absolute()
    _, body = read_template(template)
    declared = body.get("Parameters", {}).get("AirflowVersion", {}).get("Default", "")
    version = os.environ.get("MWAA_STACK_AIRFLOW_VERSION") or str(declared)
    if version not in RELEASES:
        raise UsageError(f"AIRFLOW_VERSION={version!r}: MWAA supports {', '.join(RELEASES)}")
    venv = VENVS[RELEASES[version].major]
    if not (ROOT / venv / ".installed").exists():
        print(f"dag-test: creating {venv} (once)", flush=True)
        if subprocess.run(["make", "--no-print-directory", f"{venv}/.installed"], cwd=ROOT, check=False).returncode:
            raise OpsError(f"could not create {venv}; see pip's output above")
    pinned = pinned_airflow(ROOT / f"requirements-{venv.removeprefix('.venv-')}.txt")
    print(f"dag-test: {template.name} runs Airflow {version}; running on the project's Airflow {pinned} ({venv})")
    sys.stdout.flush()
    python = ROOT / venv / "bin" / "python"
    os.execv(python, [str(python), "-m", "tests.emulator.run_dag", *sys.argv[1:]])
    return 0  # not reached


def main() -> int:
    try:
        return launch()
    except OpsError as err:
        print(f"mwaa-stack: error: {printable(str(err))}", file=sys.stderr)
        return err.code


if __name__ == "__main__":
    sys.exit(main())
