"""Does ``requirements.txt`` install together with the environment's Airflow?

MWAA installs the requirements with Airflow's constraints for the environment's
Airflow and Python versions: a pin the constraints contradict fails the whole
install, 20-40 minutes after the upload.  Checked here, offline and in
milliseconds: every requirement against the constraint of its package, for the
Python MWAA runs (markers are evaluated for it, not for this machine).

The constraints come from the file's ``--constraint`` URL when it answers, else
from the project's vendored constraints for that Airflow version (the pip freeze
of the project's own install of it); for a version with neither, that is a
problem, not a pass.  A requirement the constraints do not name cannot conflict
with them; whether it exists on PyPI is found when the DAG check installs it.
"""

from __future__ import annotations

import re
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
# The Python MWAA runs each Airflow version on (user guide, "Apache Airflow versions on
# Amazon MWAA": Python 3.11 for 2.7.2 through 2.11; 3.12 for Airflow 3).
MWAA_PYTHON = {
    "2.7.2": "3.11",
    "2.8.1": "3.11",
    "2.9.2": "3.11",
    "2.10.1": "3.11",
    "2.10.3": "3.11",
    "2.11.0": "3.11",
    "2.11.2": "3.11",
    "3.0.6": "3.12",
    "3.2.1": "3.12",
    "3.3.1": "3.12",
}
# Airflow version -> the project's pip freeze of a passing install of it.
VENDORED = {"3.3.1": ROOT / "constraints-airflow.txt", "2.11.2": ROOT / "constraints-airflow2.txt"}
CONSTRAINT_LINE = re.compile(r"^\s*(-c|--constraint)(\s+|=)(\S+)\s*$")
CONSTRAINT_URL = re.compile(r"constraints-(\d+\.\d+\.\d+)/constraints-(\d+\.\d+)\.txt$")
UNSUPPORTED = re.compile(r"^\s*(-r|--requirement|-e|--editable)\b")


@dataclass(frozen=True)
class Problem:
    line: int | None
    message: str
    warning: bool = False


@dataclass
class RequirementsCheck:
    problems: list[Problem] = field(default_factory=list)
    requirements: list[tuple[int, Requirement]] = field(default_factory=list)  # (line, those on MWAA's Python)
    constraints: dict[str, str] = field(default_factory=dict)  # canonical name -> pinned version
    constraints_text: str = ""
    source: str = ""


def expected_url(version: str) -> str:
    return (
        f"https://raw.githubusercontent.com/apache/airflow/constraints-{version}/constraints-{MWAA_PYTHON[version]}.txt"
    )


def check(path: Path, version: str, timeout: float) -> RequirementsCheck:
    result = RequirementsCheck()
    python = MWAA_PYTHON[version]
    lines = path.read_text(encoding="utf-8").splitlines() if path.is_file() else []
    url, url_line = None, None
    for number, raw in enumerate(lines, start=1):
        line = raw.split(" #", 1)[0].strip()
        if not line or line.startswith("#"):
            continue
        if match := CONSTRAINT_LINE.match(line):
            url, url_line = match.group(3).strip("'\""), number
            continue
        if UNSUPPORTED.match(line):
            result.problems.append(Problem(number, f"{line.split()[0]} is not checked here; list the packages"))
            continue
        if line.startswith("-"):
            continue  # --index-url, --find-links...: pip options, not packages
        try:
            requirement = Requirement(line)
        except InvalidRequirement as err:
            result.problems.append(Problem(number, f"not a requirement: {line!r} ({err})"))
            continue
        if requirement.marker is None or requirement.marker.evaluate({"python_version": python}):
            result.requirements.append((number, requirement))
    if path.is_file() and url is None:
        result.problems.append(
            Problem(None, f'no --constraint line; add: --constraint "{expected_url(version)}"', warning=True)
        )
    if url is not None:
        _check_url(result, url, url_line, version, python)
    _load_constraints(result, url, version, timeout)
    for number, requirement in result.requirements:
        pinned = result.constraints.get(canonicalize_name(requirement.name))
        if pinned is not None and not requirement.specifier.contains(pinned, prereleases=True):
            result.problems.append(
                Problem(
                    number,
                    f"{requirement} conflicts with the constraint {requirement.name}=={pinned} ({result.source})",
                )
            )
    return result


def _check_url(result: RequirementsCheck, url: str, line: int | None, version: str, python: str) -> None:
    match = CONSTRAINT_URL.search(url)
    if match is None:
        return
    named_version, named_python = match.groups()
    if named_version != version:
        result.problems.append(
            Problem(line, f"the --constraint URL is for Airflow {named_version}; the environment runs {version}")
        )
    if named_python != python:
        result.problems.append(
            Problem(line, f"the --constraint URL is for Python {named_python}; MWAA runs Airflow {version} on {python}")
        )


def _load_constraints(result: RequirementsCheck, url: str | None, version: str, timeout: float) -> None:
    why_not_url = "the file names no --constraint URL"
    if url is not None:
        try:
            with urllib.request.urlopen(url, timeout=timeout) as response:
                result.constraints_text = response.read().decode("utf-8")
                result.source = url
        except (urllib.error.URLError, OSError, ValueError, UnicodeError) as err:
            why_not_url = f"{url} did not answer ({getattr(err, 'reason', err)})"
    if not result.source and version in VENDORED:
        result.constraints_text = VENDORED[version].read_text(encoding="utf-8")
        result.source = f"the project's constraints for Airflow {version}, {VENDORED[version].name}"
    if not result.source:
        result.problems.append(
            Problem(None, f"no constraints for Airflow {version}: {why_not_url} and the project vendors none")
        )
        return
    for raw in result.constraints_text.splitlines():
        name, sep, pinned = raw.split("#", 1)[0].strip().partition("==")
        if sep and name:
            result.constraints[canonicalize_name(name)] = pinned.strip().split(";", 1)[0].strip()
