"""Does ``requirements.txt`` install on MWAA?  The constraints MWAA applies, checked offline
and in milliseconds, with markers evaluated for the Python MWAA runs (not this machine's).

MWAA installs the file as ``vendored.py`` describes: MWAA's essential constraints always
(Airflow, Celery, Flask, SQLAlchemy... at the image's versions: a requirement that moves one
fails the install), and Airflow's constraints for the version unless the file has its own
constraint line.  That line is read as MWAA reads it (``user_requirements.py``: a line
containing ``-c `` or ``--constraint `` with a space, commented out or not):

* a URL of Airflow's constraints (``constraints-<airflow>/constraints-<python>.txt``) for a
  version MWAA supports: the copy MWAA's image carries of exactly that file answers
  offline; when the URL answers and says otherwise, the URL wins and the difference is said;
* any other ``https://``/``http://`` URL: read when it answers; when not, only the
  essential constraints are checked, and a warning says so;
* a file in the DAG folder, as MWAA's containers see it (``/usr/local/airflow/dags/...``,
  user guide, "Managing Python dependencies in requirements.txt"), read from ``DAGS``;
  nothing outside ``DAGS`` is read;
* a commented-out line: MWAA's documented opt-out, so MWAA applies Airflow's constraints
  not at all (the essential ones still);
* no line: MWAA applies the image's Airflow constraints (and logs a warning; so does this);
* ``--constraint=URL``: MWAA does not see it and adds its own constraints file as well.

``-r`` files are followed inside ``DAGS`` (``/usr/local/airflow/dags/x.txt`` is ``DAGS/x.txt``,
a relative name is beside the file naming it); pip options (``--index-url``,
``--extra-index-url``, ``--find-links``, ``--trusted-host``) are kept for the install and
named, since the packages such an index serves are checked only when it answers.
"""

from __future__ import annotations

import re
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from templates.catalogue import CONTAINER_DAGS, RELEASES

from . import vendored

# What MWAA itself takes for a constraint line (user_requirements.py), and what pip takes.
MWAA_SEES_CONSTRAINT = re.compile(r"-c |--constraint ")
CONSTRAINT_LINE = re.compile(r"^\s*(-c|--constraint)(\s+|=)(\S+)\s*$")
COMMENTED_CONSTRAINT = re.compile(r"^\s*#.*?(-c|--constraint)\s+(\S+)")
INCLUDE_LINE = re.compile(r"^\s*(-r|--requirement)(?:\s+|=)(\S+)\s*$")
INDEX_OPTION = re.compile(r"^\s*(-i|--index-url|--extra-index-url|-f|--find-links|--trusted-host)(?:\s+|=)(\S+)\s*$")
UNSUPPORTED = re.compile(r"^\s*(-e|--editable)\b")
DOWNLOAD_CAP = 16 * 1024 * 1024  # Airflow's constraint files are about 40 kB
READ_STEP_SECONDS = 5.0  # the longest one read may block; the deadline is checked between reads
MAX_INCLUDE_DEPTH = 8


@dataclass(frozen=True)
class Problem:
    line: int | None
    message: str
    warning: bool = False
    file: Path | None = None  # a -r file, when the line is in it


class Listed(NamedTuple):
    line: int
    requirement: Requirement
    file: Path | None  # a -r file, when it is listed there


@dataclass
class RequirementsCheck:
    problems: list[Problem] = field(default_factory=list)
    requirements: list[Listed] = field(default_factory=list)  # those that apply on MWAA's Python
    pip_options: list[str] = field(default_factory=list)  # index options, for the install
    constraints: dict[str, str] = field(default_factory=dict)  # Airflow's (or the file's): name -> version
    constraints_text: str = ""
    essential: dict[str, str] = field(default_factory=dict)
    essential_text: str = ""
    source: str = ""

    @property
    def failed(self) -> bool:
        return any(not p.warning for p in self.problems)


def expected_url(version: str) -> str:
    return RELEASES[version].constraints_url


@dataclass
class _Reading:
    url: str | None = None
    url_line: int | None = None
    opted_out: bool = False
    seen: set[Path] = field(default_factory=set)


def check(path: Path, version: str, timeout: float) -> RequirementsCheck:
    result = RequirementsCheck()
    image = vendored.image(version)
    result.essential_text = image.essential_text()
    result.essential = vendored.pins(result.essential_text)
    reading = _Reading()
    if path.is_file():
        _read(result, reading, path, path.parent, image.python, 0)
    if path.is_file() and reading.url is None and not reading.opted_out:
        result.problems.append(
            Problem(
                None,
                "no --constraint line: MWAA applies Airflow's constraints for "
                f'{version} itself (checked here) and logs a warning; add: --constraint "{expected_url(version)}"',
                warning=True,
            )
        )
    if reading.opted_out:
        result.source = "MWAA's essential constraints only (a commented-out --constraint line is MWAA's opt-out)"
    elif reading.url is not None:
        _check_url(result, reading.url, reading.url_line, version, image.python)
        _load_constraints(result, reading.url, reading.url_line, path.parent, timeout)
    else:
        result.constraints_text = image.constraints.read_text(encoding="utf-8")
        result.source = f"Airflow's constraints for {version} as {image.carrier} carries them"
    result.constraints = vendored.pins(result.constraints_text)
    for number, requirement, listed_in in result.requirements:
        name = canonicalize_name(requirement.name)
        for pinned, where in (
            (result.essential.get(name), "MWAA's essential constraints, which no requirements.txt overrides"),
            (result.constraints.get(name), result.source),
        ):
            if pinned is not None and not requirement.specifier.contains(pinned, prereleases=True):
                result.problems.append(
                    Problem(
                        number, f"{requirement} conflicts with {requirement.name}=={pinned} ({where})", file=listed_in
                    )
                )
                break
    return result


def _read(result: RequirementsCheck, reading: _Reading, path: Path, dags: Path, python: str, depth: int) -> None:
    """One requirements file, and the ``-r`` files it names (inside ``dags`` only)."""
    reading.seen.add(path.resolve())
    inner = None if depth == 0 else path

    def problem(line: int | None, message: str, warning: bool = False) -> None:
        result.problems.append(Problem(line, message, warning, inner))

    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if COMMENTED_CONSTRAINT.match(raw) and MWAA_SEES_CONSTRAINT.search(raw):
            reading.opted_out = reading.url is None
            problem(
                number,
                "a commented-out --constraint line is MWAA's opt-out: MWAA installs these requirements "
                "without Airflow's constraints (its essential ones still apply); remove the line to have them",
                warning=True,
            )
            continue
        line = raw.split(" #", 1)[0].strip()
        if not line or line.startswith("#"):
            continue
        if match := CONSTRAINT_LINE.match(line):
            reading.url, reading.url_line, reading.opted_out = match.group(3).strip("'\""), number, False
            if match.group(2) == "=":
                problem(
                    number,
                    f"MWAA does not see {match.group(1)}=...: it looks for '{match.group(1)} ' with a space, "
                    f"so it adds its own constraints file on top; write {match.group(1)} {reading.url}",
                )
            continue
        if match := INCLUDE_LINE.match(line):
            included = _included(match.group(2).strip("'\""), path.parent, dags)
            if isinstance(included, str):
                problem(number, f"{match.group(1)} {match.group(2)}: {included}")
            elif depth >= MAX_INCLUDE_DEPTH or included.resolve() in reading.seen:
                problem(number, f"{match.group(1)} {match.group(2)}: included again (a loop)")
            else:
                _read(result, reading, included, dags, python, depth + 1)
            continue
        if match := INDEX_OPTION.match(line):
            result.pip_options += [match.group(1), match.group(2)]
            if match.group(1) != "--trusted-host":
                problem(
                    number,
                    f"{match.group(1)} {match.group(2)}: what this index serves is installed and parsed only when "
                    "this machine reaches it (CodeArtifact: `aws codeartifact login --tool pip` first); "
                    "offline, only the constraints are checked",
                    warning=True,
                )
            continue
        if UNSUPPORTED.match(line):
            problem(number, f"{line.split()[0]} is not checked here; list the packages")
            continue
        if line.startswith("-"):
            problem(number, f"{line.split()[0]}: a pip option preflight does not pass on", warning=True)
            continue
        try:
            requirement = Requirement(line)
        except InvalidRequirement as err:
            problem(number, f"not a requirement: {line!r} ({err})")
            continue
        if requirement.marker is None or requirement.marker.evaluate({"python_version": python}):
            result.requirements.append(Listed(number, requirement, inner))


def _included(named: str, beside: Path, dags: Path) -> Path | str:
    """The file a ``-r`` line names, or why it cannot be read."""
    container = CONTAINER_DAGS + "/"
    if named.startswith(container):
        path = dags / named[len(container) :]
    elif named.startswith("/") or "://" in named:
        return f"MWAA reads only files in its DAG folder ({container}); this one is not uploaded"
    else:
        path = beside / named
    if not path.resolve().is_relative_to(dags.resolve()):
        return "outside the DAG folder: not uploaded with it"
    if not path.is_file():
        return f"there is no {path.relative_to(dags) if path.is_relative_to(dags) else named} in the DAG folder"
    return path


def _check_url(result: RequirementsCheck, url: str, line: int | None, version: str, python: str) -> None:
    match = vendored.AIRFLOW_CONSTRAINTS_URL.search(url)
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


def _load_constraints(result: RequirementsCheck, url: str, line: int | None, dags: Path, timeout: float) -> None:
    if "://" not in url:
        _load_local(result, url, line, dags)
        return
    if not url.startswith(("https://", "http://")):
        result.problems.append(
            Problem(line, f"--constraint {url}: MWAA takes an https:// URL or a file in its dags folder")
        )
        return
    copy = vendored.for_url(url)
    try:
        answered = download(url, timeout).decode("utf-8")
    except (urllib.error.URLError, OSError, ValueError, UnicodeError) as err:
        answered, why = None, f"{url} did not answer ({getattr(err, 'reason', err)})"
    if copy is not None:
        result.constraints_text = copy.constraints.read_text(encoding="utf-8")
        result.source = f"{url}, as {copy.carrier} for Airflow {copy.version} carries it"
        if answered is not None and vendored.pins(answered) != vendored.pins(result.constraints_text):
            differ = _differences(vendored.pins(answered), vendored.pins(result.constraints_text))
            result.problems.append(
                Problem(
                    line,
                    f"{url} now differs from the copy in MWAA's image ({differ}); checked against the URL's",
                    warning=True,
                )
            )
            result.constraints_text, result.source = answered, url
    elif answered is not None:
        result.constraints_text, result.source = answered, url
    else:
        result.source = "MWAA's essential constraints only"
        result.problems.append(
            Problem(
                line,
                f"not checked against --constraint: {why}; MWAA's install fails if MWAA cannot read it either",
                warning=True,
            )
        )


def _differences(answered: dict[str, str], copy: dict[str, str]) -> str:
    changed = sorted(n for n in answered.keys() & copy.keys() if answered[n] != copy[n])
    added, removed = sorted(answered.keys() - copy.keys()), sorted(copy.keys() - answered.keys())
    parts = [f"{len(changed)} pin(s) changed{': ' + ', '.join(changed[:3]) if changed else ''}"]
    parts += [f"{len(added)} added"] if added else []
    parts += [f"{len(removed)} removed"] if removed else []
    return ", ".join(parts)


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
