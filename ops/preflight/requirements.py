"""Does ``requirements.txt`` install together with the environment's Airflow?

MWAA installs the requirements with Airflow's constraints for the environment's
Airflow and Python versions: a pin the constraints contradict fails the whole
install, 20-40 minutes after the upload.  Checked here, offline and in
milliseconds: every requirement against the constraint of its package, for the
Python MWAA runs (markers are evaluated for it, not for this machine).

The constraints come from the file's ``--constraint`` line as MWAA reads it
(``images/airflow/<v>/python/mwaa/utils/user_requirements.py``: a line containing
``-c `` or ``--constraint `` with a space, commented out or not):

* a URL (``http``/``https`` only) when it answers, else the project's vendored
  constraints for that Airflow version (the pip freeze of the project's own install of
  it); for a version with neither, that is a problem, not a pass;
* a file in the DAG folder, as MWAA's containers see it (``/usr/local/airflow/dags/...``,
  user guide, "Managing Python dependencies in requirements.txt"), read from ``DAGS``;
  nothing outside ``DAGS`` is read;
* a commented-out line: MWAA's documented opt-out, so MWAA applies no constraints and
  none are checked (a warning says so);
* ``--constraint=URL``: MWAA does not see it and adds its own constraints file as well
  (a problem).

A requirement the constraints do not name cannot conflict with them; whether it exists
on PyPI is found when the DAG check installs it.
"""

from __future__ import annotations

import functools
import re
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from templates.catalogue import CONTAINER_DAGS, RELEASES

ROOT = Path(__file__).resolve().parents[2]


def _pinned_airflow(requirements: str) -> str:
    """The Airflow version a project venv pins (``apache-airflow==X`` in its requirements)."""
    text = (ROOT / requirements).read_text(encoding="utf-8")
    return re.search(r"^apache-airflow==(\S+)$", text, re.MULTILINE).group(1)


@functools.cache
def vendored() -> dict[str, Path]:
    """Airflow version -> the project's pip freeze of a passing install of it (read when
    preflight needs it, not when any ``python -m ops`` command starts)."""
    return {
        _pinned_airflow(f"requirements-airflow{suffix}.txt"): ROOT / f"constraints-airflow{suffix}.txt"
        for suffix in ("", "2")
    }


# What MWAA itself takes for a constraint line (user_requirements.py), and what pip takes.
MWAA_SEES_CONSTRAINT = re.compile(r"-c |--constraint ")
CONSTRAINT_LINE = re.compile(r"^\s*(-c|--constraint)(\s+|=)(\S+)\s*$")
COMMENTED_CONSTRAINT = re.compile(r"^\s*#.*?(-c|--constraint)\s+(\S+)")
CONSTRAINT_URL = re.compile(r"constraints-(\d+\.\d+\.\d+)/constraints-(\d+\.\d+)\.txt$")
DOWNLOAD_CAP = 16 * 1024 * 1024  # Airflow's constraint files are about 40 kB
READ_STEP_SECONDS = 5.0  # the longest one read may block; the deadline is checked between reads
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
    return RELEASES[version].constraints_url


def check(path: Path, version: str, timeout: float) -> RequirementsCheck:
    result = RequirementsCheck()
    python = RELEASES[version].python
    lines = path.read_text(encoding="utf-8").splitlines() if path.is_file() else []
    url, url_line, opted_out = None, None, False
    for number, raw in enumerate(lines, start=1):
        if (match := COMMENTED_CONSTRAINT.match(raw)) and MWAA_SEES_CONSTRAINT.search(raw):
            opted_out = url is None
            result.problems.append(
                Problem(
                    number,
                    "a commented-out --constraint line is MWAA's opt-out: MWAA installs these requirements "
                    "without Airflow's constraints, so none are checked here; remove the line to have them",
                    warning=True,
                )
            )
            continue
        line = raw.split(" #", 1)[0].strip()
        if not line or line.startswith("#"):
            continue
        if match := CONSTRAINT_LINE.match(line):
            url, url_line, opted_out = match.group(3).strip("'\""), number, False
            if match.group(2) == "=":
                result.problems.append(
                    Problem(
                        number,
                        f"MWAA does not see {match.group(1)}=...: it looks for '{match.group(1)} ' with a space, "
                        f"so it adds its own constraints file on top; write {match.group(1)} {url}",
                    )
                )
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
    if path.is_file() and url is None and not opted_out:
        result.problems.append(
            Problem(None, f'no --constraint line; add: --constraint "{expected_url(version)}"', warning=True)
        )
    if opted_out:
        result.source = "none: MWAA applies no constraints (commented-out --constraint line)"
        return result
    if url is not None:
        _check_url(result, url, url_line, version, python)
    _load_constraints(result, url, url_line, path.parent, version, timeout)
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


def _load_constraints(
    result: RequirementsCheck, url: str | None, line: int | None, dags: Path, version: str, timeout: float
) -> None:
    why_not_url = "the file names no --constraint URL"
    if url is not None and "://" not in url:
        _load_local(result, url, line, dags)
        if not result.source:
            return
    elif url is not None and not url.startswith(("https://", "http://")):
        result.problems.append(
            Problem(line, f"--constraint {url}: MWAA takes an https:// URL or a file in its dags folder")
        )
        return
    elif url is not None:
        try:
            result.constraints_text = download(url, timeout).decode("utf-8")
            result.source = url
        except (urllib.error.URLError, OSError, ValueError, UnicodeError) as err:
            why_not_url = f"{url} did not answer ({getattr(err, 'reason', err)})"
    if not result.source and version in vendored():
        result.constraints_text = vendored()[version].read_text(encoding="utf-8")
        result.source = f"the project's constraints for Airflow {version}, {vendored()[version].name}"
    if not result.source:
        result.problems.append(
            Problem(None, f"no constraints for Airflow {version}: {why_not_url} and the project vendors none")
        )
        return
    _parse_constraints(result)


def download(url: str, timeout: float) -> bytes:
    """``url`` (http or https only, redirects included) within ``timeout`` seconds in all, and at
    most DOWNLOAD_CAP bytes: a server that trickles or never ends is cut off, not waited for."""
    opener = urllib.request.OpenerDirector()
    for handler in (
        urllib.request.ProxyHandler(),
        urllib.request.HTTPHandler(),
        urllib.request.HTTPSHandler(),
        urllib.request.HTTPRedirectHandler(),
        urllib.request.HTTPDefaultErrorHandler(),
        urllib.request.HTTPErrorProcessor(),
    ):
        opener.add_handler(handler)
    deadline = time.monotonic() + timeout
    chunks: list[bytes] = []
    size = 0
    with opener.open(url, timeout=min(timeout, READ_STEP_SECONDS)) as response:
        while chunk := response.read1(65536):
            size += len(chunk)
            if size > DOWNLOAD_CAP:
                raise ValueError(f"over {DOWNLOAD_CAP // (1024 * 1024)} MiB: not a constraints file")
            if time.monotonic() > deadline:
                raise TimeoutError(f"still sending after {timeout:g} s")
            chunks.append(chunk)
    return b"".join(chunks)


def _load_local(result: RequirementsCheck, named: str, line: int | None, dags: Path) -> None:
    """A constraints file MWAA reads from its own DAG folder: the same file under ``DAGS``."""
    container = CONTAINER_DAGS + "/"
    if not named.startswith(container):
        result.problems.append(
            Problem(line, f"--constraint {named}: MWAA reads a local constraints file only from {container}")
        )
        return
    relative = named[len(container) :]
    local = (dags / relative).resolve()
    if not local.is_relative_to(dags.resolve()) or not local.is_file():
        result.problems.append(
            Problem(line, f"--constraint {named}: there is no {relative} in the DAG folder to upload with it")
        )
        return
    if local.stat().st_size > DOWNLOAD_CAP:
        result.problems.append(
            Problem(line, f"--constraint {named}: over {DOWNLOAD_CAP} bytes, not a constraints file")
        )
        return
    try:
        result.constraints_text = local.read_text(encoding="utf-8")
    except (OSError, UnicodeError) as err:
        result.problems.append(Problem(line, f"--constraint {named}: cannot read {relative} ({err})"))
        return
    result.source = f"{relative} in the DAG folder ({named} on MWAA)"


def _parse_constraints(result: RequirementsCheck) -> None:
    for raw in result.constraints_text.splitlines():
        name, sep, pinned = raw.split("#", 1)[0].strip().partition("==")
        if sep and name:
            result.constraints[canonicalize_name(name)] = pinned.strip().split(";", 1)[0].strip()
