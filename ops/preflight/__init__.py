"""``make preflight``: what MWAA would report 20-40 minutes after an upload, found on the
laptop, before anything is uploaded, with the verdict MWAA would give.

1. requirements: ``requirements.txt`` against the constraints MWAA applies for the
   environment's Airflow, for the Python MWAA runs it on (``requirements.py``, from
   MWAA's own files in ``vendor/mwaa/``: ``vendored.py``);
2. DAG imports: every DAG file parsed by the Airflow MWAA's image installs for that version,
   with the requirements installed on top as MWAA installs them (``venvs.py``), the DAG
   folder and the unpacked plugins on ``sys.path``, the environment's Airflow configuration
   options and region set, and no credentials of the caller (``airflow_check.py``): import
   errors, duplicate DAG ids, files over the import timeout, AWS calls, Variable and
   Connection reads at parse time, and the slowest files;
3. plugins: the layout MWAA unpacks, and every module imports (``layout.py``);
4. startup script: ``bash -n``, ShellCheck, and no export of what MWAA reserves.

Every problem is one line ``preflight: <file>[:line]: <what is wrong>``, all of them,
not only the first; the run ends in one summary line.  Exit 1 when any check failed.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import tempfile
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from templates.catalogue import RELEASES, version_key

from ..errors import OpsError, UsageError
from ..overrides import read_template
from ..sync_plan import local_files
from ..text import printable
from . import layout, requirements, venvs
from .airflow_check import AWS_CALL, ENVIRONMENT_READ
from .venvs import EXCEPTION_LINE

# Airflow's own default for core.dagbag_import_timeout, which MWAA keeps unless the
# environment's configuration options set it.
DEFAULT_IMPORT_TIMEOUT = 30.0
SLOWEST_SHOWN = 3
DEFAULT_REGION = "us-east-1"  # the region a parse runs in when neither REGION nor the shell names one
PLUGINS_ZIP_CAP = 512 * 1024 * 1024  # unpacked: a zip larger than this is not a plugins.zip
# Modules Python 3.12 removed (What's New In Python 3.12, "Removed"): a DAG importing one
# fails on MWAA's 3.12 even where this machine's older Python still has it.
REMOVED_IN_312 = ("asynchat", "asyncore", "distutils", "imp", "smtpd")


@dataclass(frozen=True)
class Target:
    """What preflight checks, every path and version already checked."""

    version: str
    import_timeout: float
    dags: Path
    plugins: Path
    startup: Path
    region: str = DEFAULT_REGION
    options: dict[str, str] = field(default_factory=dict)  # the environment's Airflow configuration options


def target(
    template: Path,
    version: str,
    dags: Path,
    plugins: Path,
    startup: Path,
    region: str = "",
) -> Target:
    """The environment's Airflow version (or ``version``, to check an upgrade), import timeout
    and configuration options from ``template``; one line and exit 2 for what cannot be
    checked.  The folders and files are ``inputs.sources``' (DAGS a folder, STARTUP a file)."""
    _, body = read_template(template)
    declared: dict[str, Any] = body.get("Parameters", {}).get("AirflowVersion", {})
    known = [str(v) for v in declared.get("AllowedValues", RELEASES)]
    version = version or str(declared.get("Default", ""))
    if version not in known or version not in RELEASES:
        raise UsageError(f"AIRFLOW_VERSION={version!r}: the project knows Airflow {', '.join(known)}")
    if (dags / "requirements.txt").exists() and not (dags / "requirements.txt").is_file():
        raise UsageError(f"DAGS: {dags / 'requirements.txt'} is not a file")
    properties = body.get("Resources", {}).get("MwaaEnvironment", {}).get("Properties", {})
    raw = properties.get("AirflowConfigurationOptions", {})
    options = (
        {str(k): str(v) for k, v in raw.items() if isinstance(v, (str, int, float, bool))}
        if isinstance(raw, dict)
        else {}
    )
    try:
        timeout = float(options.get("core.dagbag_import_timeout", DEFAULT_IMPORT_TIMEOUT))
    except ValueError:
        timeout = DEFAULT_IMPORT_TIMEOUT
    region = region or os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or DEFAULT_REGION
    return Target(version, timeout, dags, plugins, startup, region, options)


def _say(line: str) -> None:
    print(printable(line), flush=True)


def run(check: Target, timeout: float) -> int:
    started = time.monotonic()
    lines: list[str] = []
    failures = 0

    def report(file: Path | str, line: int | None, message: str, warning: bool = False) -> None:
        nonlocal failures
        failures += not warning
        lines.append(
            f"preflight: {printable(shown_path(file))}{f':{line}' if line else ''}: "
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
        report(problem.file or requirements_file, problem.line, problem.message, problem.warning)

    wanted = [str(listed.requirement) for listed in found.requirements]
    if found.failed:  # a conflict fails MWAA's install too: parse with the image alone
        parser = venvs.parser(check.version, [], [], "", timeout, _say)
        not_installed = "not installed, because requirements.txt failed (see above)"
    else:
        parser = venvs.parser(check.version, wanted, found.pip_options, found.constraints_text, timeout, _say)
        not_installed = "not installed, because pip could not install requirements.txt (see above)"
        if parser.why:
            report(requirements_file, None, f"pip cannot install it: {parser.why}")
    failed_install = found.failed or bool(parser.why)
    if parser.why:  # parse with the image alone, as MWAA runs after a failed install
        parser = venvs.parser(check.version, [], [], "", timeout, _say)
    wanted_modules = {_module_name(listed.requirement.name) for listed in found.requirements}
    with tempfile.TemporaryDirectory(prefix="mwaa-stack-preflight-") as staged:
        dags, plugins = Path(staged) / "dags", _staged_plugins(check.plugins, Path(staged) / "plugins", report)
        # Parsed: exactly what `make sync` would upload (no caches, no followed folder links).
        for relative, source in local_files(check.dags, "DAGS").items():
            (dags / relative).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dags / relative)
        dags.mkdir(exist_ok=True)
        parsed = venvs.run_json(
            parser.python,
            ["dags", str(dags), str(plugins or ""), f"{check.import_timeout:g}"],
            timeout,
            parse_environment(check),
        )
        parsed = json.loads(
            json.dumps(parsed)
            .replace(json.dumps(str(dags))[1:-1], json.dumps(str(check.dags))[1:-1])
            .replace(json.dumps(str(plugins))[1:-1], json.dumps(str(check.plugins))[1:-1])
        )
    unchecked = 0
    for file, error in sorted(parsed["import_errors"].items()):
        if match := re.search(rf"{AWS_CALL}: (\S+)", error):
            unchecked += 1
            report(
                file,
                _error_line(error, file),
                f"calls AWS at parse time: {match.group(1)} — MWAA makes it as the execution role on every "
                "parse; move it into a task (the rest of the file is not checked)",
                warning=True,
            )
            continue
        if match := re.search(rf"{ENVIRONMENT_READ}: (.+)$", error, re.MULTILINE):
            unchecked += 1
            report(
                file,
                _error_line(error, file),
                f"reads {match.group(1)} at parse time: its value comes from the environment (metadata database "
                "or secrets backend), which preflight does not have; give a default or read it in a task "
                "(the rest of the file is not checked)",
                warning=True,
            )
            continue
        why = _why(error)
        missing = re.search(r"No module named '([^'.]+)", why)
        if failed_install and missing and missing.group(1) in wanted_modules:
            why += f" ({missing.group(1)} is in requirements.txt: {not_installed})"
        report(file, _error_line(error, file), why)
    on_mwaa = RELEASES[check.version].python
    if not parser.interpreter.exact and version_key(on_mwaa) >= (3, 12):  # modules this Python still has
        for file, line, module in _removed_imports(check.dags):
            report(
                file,
                line,
                f"imports {module}, which Python 3.12 removed: MWAA runs Airflow {check.version} on {on_mwaa}",
            )
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
        print("preflight: slowest DAG files: " + ", ".join(f"{printable(shown_path(f))} {s:.2f} s" for f, s in slowest))
    dag_count = sum(len(ids) for ids in parsed["dags"].values())
    parsed_with = (
        f"Python {on_mwaa}"
        if parser.interpreter.exact
        else (
            f"Python {on_mwaa} on MWAA; parsed here with {parsed['python']}, so modules Python 3.12 "
            f"removed were looked for, not wheels for {on_mwaa})"
        )
    )
    summary = (
        f"Airflow {check.version} ({parsed_with}), {len(parsed['durations'])} DAG file(s), {dag_count} DAG(s)"
        f"{f', {unchecked} not checked to the end' if unchecked else ''}, constraints: {found.source}, "
        f"{time.monotonic() - started:.1f} s"
    )
    if failures:
        raise OpsError(f"preflight found {failures} problem(s): {summary}")
    print(f"preflight: ok: {summary}")
    return 0


def parse_environment(check: Target) -> dict[str, str]:
    """The parse's environment: MWAA's, not the caller's.  No AWS credentials, profile or
    config of the caller, the instance metadata service off, every AWS endpoint on a closed
    local port (a call that escapes the parse's own refusal fails at once, unsigned), the
    environment's region, and its Airflow configuration options as MWAA sets them
    (``AIRFLOW__SECTION__KEY``); no Airflow setting of the caller's shell."""
    kept = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "AIRFLOW", "BOTO", "MWAA_"))}
    with socket.socket() as probe:  # a port nothing listens on: connections are refused at once
        probe.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{probe.getsockname()[1]}"
    options = {
        f"AIRFLOW__{k.split('.', 1)[0].upper()}__{k.split('.', 1)[-1].upper()}": v
        for k, v in check.options.items()
        if "." in k
    }
    return {
        **kept,
        **options,
        "AWS_REGION": check.region,
        "AWS_DEFAULT_REGION": check.region,
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_ENDPOINT_URL": closed,
    }


def _staged_plugins(plugins: Path, into: Path, report) -> Path | None:
    """The plugins folder as MWAA has it: a folder as is, a plugins.zip unpacked."""
    if plugins.is_dir():
        return plugins
    if not (plugins.is_file() and plugins.suffix == ".zip"):
        return None
    try:
        with zipfile.ZipFile(plugins) as archive:
            members = archive.infolist()
            if sum(m.file_size for m in members) > PLUGINS_ZIP_CAP:
                report(plugins, None, f"unpacks to over {PLUGINS_ZIP_CAP // 2**20} MiB: not checked")
                return None
            for member in members:
                target = (into / member.filename).resolve()
                if not target.is_relative_to(into.resolve()):
                    report(plugins, None, f"{member.filename} would unpack outside the plugins folder")
                    return None
            archive.extractall(into)
    except (zipfile.BadZipFile, OSError) as err:
        report(plugins, None, f"not a zip file MWAA can unpack: {err}")
        return None
    return into


def _module_name(requirement: str) -> str:
    return requirement.lower().replace("-", "_")


def _removed_imports(dags: Path) -> list[tuple[Path, int, str]]:
    import ast

    found = []
    for path in sorted(dags.rglob("*.py")):
        try:
            tree = ast.parse(path.read_text(encoding="utf-8", errors="replace"))
        except (SyntaxError, ValueError):
            continue
        for node in ast.walk(tree):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else ([node.module] if isinstance(node, ast.ImportFrom) and node.module and not node.level else [])
            )
            for name in names:
                if name.split(".", 1)[0] in REMOVED_IN_312:
                    found.append((path, node.lineno, name.split(".", 1)[0]))
    return found


def shown_path(file: Path | str) -> str:
    """A file as a report names it: relative to the working folder where it lies inside it."""
    path = Path(file)
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(file)


WHY_CAP = 400


def _why(error: str) -> str:
    """What went wrong, as the traceback's own exception line says it, with the lines of a
    message that spans several (Airflow's "Invalid arguments were:\n**kwargs: {...}")."""
    lines = [line.rstrip() for line in error.strip().split("\n") if line.strip()]
    if not lines:
        return "does not import"
    starts = [i for i, line in enumerate(lines) if EXCEPTION_LINE.match(line.strip())]
    if not starts:
        return lines[-1].strip()
    why = " ".join(line.strip() for line in lines[starts[-1] :])
    return why if len(why) <= WHY_CAP else why[: WHY_CAP - 1] + "…"


def _error_line(error: str, file: str) -> int | None:
    """The line of ``file`` the traceback last points at (a SyntaxError names it too)."""
    numbers = re.findall(rf'File "{re.escape(file)}", line (\d+)', error)
    numbers += re.findall(r"\((?:[^()]*), line (\d+)\)$", error.strip().splitlines()[-1] if error.strip() else "")
    return int(numbers[-1]) if numbers else None
