"""``make preflight``: what MWAA would report 20-40 minutes after an upload, found on the
laptop in seconds, before anything is uploaded.

1. requirements: ``requirements.txt`` against the constraints of the environment's
   Airflow, for the Python MWAA runs it on (``requirements.py``);
2. DAG imports: every DAG file parsed by a real Airflow of that major version with the
   requirements installed; import errors, duplicate DAG ids, files over the import
   timeout, and the slowest files (``airflow_check.py``, ``venvs.py``);
3. plugins: the layout MWAA unpacks, and every module imports (``layout.py``);
4. startup script: ``bash -n``, ShellCheck, and no export of what MWAA reserves.

Every problem is one line ``preflight: <file>[:line]: <what is wrong>``, all of them,
not only the first; the run ends in one summary line.  Exit 1 when any check failed.
"""

from __future__ import annotations

import json
import re
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from templates.catalogue import RELEASES

from ..aws import OpsError, UsageError
from ..overrides import read_template
from ..sync_plan import local_files
from ..text import printable
from . import layout, requirements, venvs

# Airflow's own default for core.dagbag_import_timeout, which MWAA keeps unless the
# environment's configuration options set it.
DEFAULT_IMPORT_TIMEOUT = 30.0
SLOWEST_SHOWN = 3


@dataclass(frozen=True)
class Target:
    """What preflight checks, every path and version already checked."""

    version: str
    import_timeout: float
    dags: Path
    plugins: Path
    startup: Path


def target(template: Path, version: str, dags: Path, plugins: Path, startup: Path) -> Target:
    """The environment's Airflow version (or ``version``, to check an upgrade) and import
    timeout from ``template``; one line and exit 2 for what cannot be checked."""
    _, body = read_template(template)
    declared: dict[str, Any] = body.get("Parameters", {}).get("AirflowVersion", {})
    known = [str(v) for v in declared.get("AllowedValues", RELEASES)]
    version = version or str(declared.get("Default", ""))
    if version not in known or version not in RELEASES:
        raise UsageError(f"AIRFLOW_VERSION={version!r}: the project knows Airflow {', '.join(known)}")
    if not dags.is_dir():
        raise UsageError(f"DAGS: {dags} is not a folder")
    if (dags / "requirements.txt").exists() and not (dags / "requirements.txt").is_file():
        raise UsageError(f"DAGS: {dags / 'requirements.txt'} is not a file")
    options = body.get("Resources", {}).get("MwaaEnvironment", {}).get("Properties", {})
    configured = options.get("AirflowConfigurationOptions", {}).get("core.dagbag_import_timeout")
    try:
        timeout = float(configured) if configured is not None else DEFAULT_IMPORT_TIMEOUT
    except (TypeError, ValueError):
        timeout = DEFAULT_IMPORT_TIMEOUT
    return Target(version, timeout, dags, plugins, startup)


def run(check: Target, timeout: float) -> int:
    started = time.monotonic()
    lines: list[str] = []
    failures = 0

    def report(file: Path | str, line: int | None, message: str, warning: bool = False) -> None:
        nonlocal failures
        failures += not warning
        lines.append(
            f"preflight: {printable(_shown(file))}{f':{line}' if line else ''}: "
            f"{'warning: ' if warning else ''}{printable(message)}"
        )

    requirements_file = check.dags / "requirements.txt"
    try:
        found = requirements.check(requirements_file, check.version, min(timeout, 30.0))
    except UnicodeDecodeError:
        raise UsageError(f"DAGS: {requirements_file} is not UTF-8 text") from None
    except OSError as err:
        raise UsageError(f"DAGS: cannot read {requirements_file}: {err.strerror}") from None
    for problem in found.problems:
        report(requirements_file, problem.line, problem.message, problem.warning)

    python = venvs.base_python(check.version, timeout)
    site, why = None, None
    if not any(not p.warning for p in found.problems):  # a conflict would fail the install too
        site, why = venvs.requirements_site(
            python, check.version, [str(r) for _, r in found.requirements], found.constraints_text, timeout
        )
    if why:
        report(requirements_file, None, why)
    plugins = check.plugins if check.plugins.is_dir() else None
    with tempfile.TemporaryDirectory(prefix="mwaa-stack-preflight-dags-") as staged:
        # Parsed: exactly what `make sync` would upload (no caches, no followed folder links).
        for relative, source in local_files(check.dags, "DAGS").items():
            (Path(staged) / relative).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, Path(staged) / relative)
        parsed = venvs.run_json(
            python, ["dags", staged, str(plugins or ""), f"{check.import_timeout:g}"], timeout, site
        )
    parsed = json.loads(json.dumps(parsed).replace(json.dumps(staged)[1:-1], json.dumps(str(check.dags))[1:-1]))
    for file, error in sorted(parsed["import_errors"].items()):
        line = _error_line(error, file)
        report(file, line, _last_line(error))
    for file, seconds in sorted(parsed["durations"].items()):
        if seconds > check.import_timeout:
            report(file, None, f"takes {seconds:.1f} s to parse; MWAA stops at {check.import_timeout:g} s")
    for where, error in sorted(parsed["plugin_errors"].items()):
        report(where, None, f"plugin does not import: {error}")
    for file, line, message in layout.plugin_problems(check.plugins):
        report(file, line, message)
    for file, line, message in layout.startup_problems(check.startup, layout.shellcheck_binary(), check.version):
        report(file, line, message)

    for line in lines:
        print(line)
    slowest = sorted(parsed["durations"].items(), key=lambda item: -item[1])[:SLOWEST_SHOWN]
    if slowest:
        print("preflight: slowest DAG files: " + ", ".join(f"{printable(_shown(f))} {s:.2f} s" for f, s in slowest))
    dag_count = sum(len(ids) for ids in parsed["dags"].values())
    summary = (
        f"Airflow {check.version} (Python {RELEASES[check.version].python}), "
        f"{len(parsed['durations'])} DAG file(s), {dag_count} DAG(s), constraints from "
        f"{found.source or 'nowhere'}, {time.monotonic() - started:.1f} s"
    )
    if failures:
        raise OpsError(f"preflight found {failures} problem(s): {summary}")
    print(f"preflight: ok: {summary}")
    return 0


def _shown(file: Path | str) -> str:
    path = Path(file)
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(file)


def _last_line(error: str) -> str:
    lines = [line.strip() for line in error.strip().split("\n") if line.strip()]
    return lines[-1] if lines else "does not import"


def _error_line(error: str, file: str) -> int | None:
    """The line of ``file`` the traceback last points at (a SyntaxError names it too)."""
    numbers = re.findall(rf'File "{re.escape(file)}", line (\d+)', error)
    numbers += re.findall(r"\((?:[^()]*), line (\d+)\)$", error.strip().splitlines()[-1] if error.strip() else "")
    return int(numbers[-1]) if numbers else None
