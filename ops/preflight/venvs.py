"""The Airflow the DAGs are parsed with: the project's install of the environment's
major version, plus whatever ``requirements.txt`` adds that it lacks.

The additions go to ``.cache/preflight/<airflow version>-<hash>/site`` (put on
``PYTHONPATH``), keyed by the Airflow version, the constraints and the requirements:
an unchanged tree reuses it and installs nothing; a changed requirement gets its own.
They are installed with the environment's constraints; pip reaches the package index
only then.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from ..aws import OpsError

ROOT = Path(__file__).resolve().parents[2]
BASE_VENVS = {"3": ".venv-airflow", "2": ".venv-airflow2"}
# MWAA_STACK_PREFLIGHT_CACHE: another place for it (the benchmark keeps the repository's own).
CACHE = Path(os.environ.get("MWAA_STACK_PREFLIGHT_CACHE") or ROOT / ".cache" / "preflight")


def base_python(version: str, timeout: float) -> Path:
    """The interpreter of the project's Airflow for ``version``'s major version, made on first use."""
    venv = BASE_VENVS[version.split(".", 1)[0]]
    python = ROOT / venv / "bin" / "python"
    if not (ROOT / venv / ".installed").exists():
        print(f"preflight: creating {venv} (once) for Airflow {version.split('.', 1)[0]}", flush=True)
        made = subprocess.run(
            ["make", "--no-print-directory", f"{venv}/.installed"], cwd=ROOT, timeout=timeout, check=False
        )
        if made.returncode != 0:
            raise OpsError(f"could not create {venv}; see the pip output above")
    return python


def run_json(python: Path, args: list[str], timeout: float, extra_path: Path | None = None) -> dict:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(extra_path or ""), str(ROOT)]))}
    try:
        done = subprocess.run(
            [str(python), "-m", "ops.preflight.airflow_check", *args],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise OpsError(f"the DAG check did not finish within {timeout:.0f} s (TIMEOUT)") from None
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise OpsError(f"the DAG check could not run in {python.parent.parent.name}: {last}")
    return json.loads(lines[-1])


def requirements_site(
    python: Path, version: str, requirements: list[str], constraints: str, timeout: float
) -> tuple[Path | None, str | None]:
    """The folder holding what the base install lacks (None: nothing), or why it could not be made."""
    if not requirements:
        return None, None
    # Through files, not the argument list: any number of requirements fits.
    with tempfile.NamedTemporaryFile("w", suffix=".txt", prefix="mwaa-stack-requirements-") as listed:
        listed.write("\n".join(requirements) + "\n")
        listed.flush()
        unmet = run_json(python, ["installed", listed.name], timeout)["missing"]
    if not unmet:
        return None, None
    key = hashlib.sha256(json.dumps([version, sorted(requirements), constraints]).encode()).hexdigest()[:16]
    folder = CACHE / f"{version}-{key}"
    site = folder / "site"
    if (folder / "complete").exists():
        return site, None
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    (folder / "constraints.txt").write_text(constraints, encoding="utf-8")
    (folder / "requirements.txt").write_text("\n".join(unmet) + "\n", encoding="utf-8")
    pip = [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--target", str(site)]
    try:
        done = subprocess.run(
            [*pip, "--constraint", str(folder / "constraints.txt"), "--requirement", str(folder / "requirements.txt")],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return None, f"installing {', '.join(unmet)} did not finish within {timeout:.0f} s"
    if done.returncode != 0:
        errors = [line for line in done.stderr.splitlines() if "ERROR" in line] or done.stderr.splitlines()[-1:]
        return None, f"pip cannot install {', '.join(unmet)}: {errors[0] if errors else 'no output'}"
    (folder / "complete").write_text("\n".join(unmet), encoding="utf-8")
    return site, None
