"""The Airflow the DAGs are parsed with: MWAA's image for the environment's version, remade
as a venv, and the user's requirements installed into it as MWAA installs them.

``.cache/preflight/<version>-py<python>-<key>/`` is a venv of MWAA's Python for the version
(the machine's own interpreter of that minor version, where it has one; otherwise this
one, and the summary says so) holding what the image installs before the user's
requirements (``vendored.Image.preinstalled``) resolved against the image's Airflow and
essential constraints.  uv (pinned in requirements.txt) builds it: it takes the same pins
pip would, from the same index, in seconds.  The user's requirements go on top with pip,
MWAA's own tool and the judge of a conflict, with MWAA's constraint files.  A tree whose
requirements the image already satisfies parses in the image's venv itself; any other set
gets its own venv, kept for the next run.  At most ``KEEP`` venvs are kept (the least
recently used go first); ``make clean`` removes them all.

Two of the image's packages are not built here: ``psycopg2`` (a C build against libpq; the
image's ``psycopg2-binary``, at the same pin, provides the same module) and ``pycurl``
(Celery's SQS transport, which no DAG parse loads).
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import hashlib
import json
import os
import pwd
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from ..errors import OpsError
from . import vendored

ROOT = Path(__file__).resolve().parents[2]
# MWAA_STACK_PREFLIGHT_CACHE: another place for it (the benchmark keeps the repository's own).
CACHE = Path(os.environ.get("MWAA_STACK_PREFLIGHT_CACHE") or ROOT / ".cache" / "preflight").absolute()
KEEP = 6
NOT_BUILT = {"psycopg2": "psycopg2-binary", "pycurl": None}
SLOW_STEP_SECONDS = 3.0  # an install that took longer gets a line with its time
ERROR_LINES = 12  # at most this many of pip's lines that say why


@dataclass(frozen=True)
class Interpreter:
    path: Path
    version: str  # major.minor
    exact: bool  # the Python MWAA runs this Airflow on


@functools.cache
def interpreter(python: str) -> Interpreter:
    """MWAA's Python (``python``, major.minor) where the machine has it, else this one."""
    candidates = [Path(p) / f"python{python}" for p in os.environ.get("PATH", "").split(os.pathsep) if p]
    # pyenv's interpreters, wherever HOME points (the user's own home, from the password database)
    roots = {
        Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv"),
        Path(pwd.getpwuid(os.getuid()).pw_dir) / ".pyenv",
    }
    candidates += [
        p for root in sorted(roots) for p in sorted(root.glob(f"versions/{python}.*/bin/python{python}"), reverse=True)
    ]
    candidates += [Path(f"/usr/bin/python{python}"), Path(f"/usr/local/bin/python{python}")]
    for candidate in candidates:
        if not os.access(candidate, os.X_OK):
            continue
        try:
            said = subprocess.run(
                [str(candidate), "-c", "import sys; print(sys.executable); print('%d.%d' % sys.version_info[:2])"],
                capture_output=True,
                text=True,
                timeout=20,
                check=False,
            ).stdout.split()
        except (OSError, subprocess.SubprocessError):
            continue
        if len(said) == 2 and said[1] == python:
            return Interpreter(Path(said[0]), python, True)
    here = f"{sys.version_info[0]}.{sys.version_info[1]}"
    return Interpreter(Path(sys.executable).resolve(), here, here == python)


def uv() -> Path:
    return Path(sys.executable).parent / "uv"


def image_packages(image: vendored.Image) -> list[str]:
    packages = []
    for package in image.preinstalled():
        name = package.split("[", 1)[0].split("=", 1)[0]
        if name in NOT_BUILT:
            packages += [NOT_BUILT[name]] if NOT_BUILT[name] else []
        else:
            packages.append(package)
    return packages


@dataclass(frozen=True)
class Parser:
    """The interpreter the DAGs are parsed with, or why there is none."""

    python: Path | None
    interpreter: Interpreter
    why: str | None = None  # the install failed: pip's own reasons


def _run(command: list[str], timeout: float, what: str) -> subprocess.CompletedProcess[str]:
    """``command``, its output and errors in one stream, in order (pip names a conflict's
    causes on stdout, between its ERROR lines on stderr)."""
    env = {**os.environ, "UV_PYTHON_DOWNLOADS": "never", "PIP_DISABLE_PIP_VERSION_CHECK": "1", "PIP_NO_INPUT": "1"}
    try:
        return subprocess.run(
            command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=timeout, check=False, env=env
        )
    except subprocess.TimeoutExpired:
        raise OpsError(f"{what} did not finish within {timeout:.0f} s (TIMEOUT)") from None


def _timed(what: str, build, say) -> None:
    say(f"preflight: {what} ...")
    started = time.monotonic()
    outcome = "failed"
    try:
        build()
        outcome = "done"
    finally:
        if (spent := time.monotonic() - started) > SLOW_STEP_SECONDS:
            say(f"preflight: {what}: {outcome} in {spent:.0f} s")


def _image_venv(folder: Path, image: vendored.Image, python: Interpreter, timeout: float) -> None:
    """A venv holding what MWAA's image preinstalls, resolved as the image resolves it."""
    made = _run([str(uv()), "venv", "--quiet", "--seed", "--python", str(python.path), str(folder)], timeout, "uv")
    if made.returncode != 0:
        raise OpsError(f"cannot make a venv with {python.path}: {_reasons(made.stdout)[0]}")
    essential = folder / "mwaa_essential_constraints.txt"
    essential.write_text(image.essential_text(), encoding="utf-8")
    constraints = ["-c", str(image.constraints), "-c", str(essential)]
    install = [
        str(uv()),
        "pip",
        "install",
        "--quiet",
        "--compile-bytecode",
        "--python",
        str(folder / "bin" / "python"),
        *constraints,
    ]
    installed = _run(
        [*install, *image_packages(image)],
        timeout,
        f"installing Airflow {image.version}",
    )
    if installed.returncode != 0:
        raise OpsError(
            f"cannot install Airflow {image.version} as MWAA's image has it: {'; '.join(_reasons(installed.stdout))}"
        )


def parser(version: str, requirements: list[str], pip_options: list[str], constraints: str, timeout: float, say):
    """The interpreter for ``version`` with ``requirements`` installed under MWAA's constraints
    (``constraints``: Airflow's or the file's, empty when MWAA applies none)."""
    image = vendored.image(version)
    python = interpreter(image.python)
    base = _venv(image, python, "image", lambda folder: _image_venv(folder, image, python, timeout), say)
    if not requirements:
        return Parser(base, python)
    missing = _missing(base, requirements, timeout)
    if not missing:
        return Parser(base, python)
    key = hashlib.sha256(json.dumps([sorted(requirements), pip_options, constraints]).encode()).hexdigest()[:12]
    why: list[str] = []

    def build(folder: Path) -> None:
        # The image's venv, its files hard-linked, not copied: pip replaces a file it changes
        # (a new inode), so the image's own venv never sees the user's installs.
        shutil.copytree(base.parent.parent, folder, symlinks=True, copy_function=os.link)
        (folder / "complete").unlink()
        listed = folder / "user-requirements.txt"
        listed.write_text("\n".join([*pip_options, *requirements]) + "\n", encoding="utf-8")
        files = ["-c", str(folder / "mwaa_essential_constraints.txt")]
        if constraints:
            (folder / "user-constraints.txt").write_text(constraints, encoding="utf-8")
            files += ["-c", str(folder / "user-constraints.txt")]
        pip = [str(folder / "bin" / "python"), "-m", "pip", "install", *files, "-r", str(listed)]
        done = _run(pip, timeout, f"installing {', '.join(missing)}")
        if done.returncode != 0:
            why.extend(_reasons(done.stdout))
            raise _Failed

    try:
        python_path = _venv(image, python, key, build, say, f"installing {', '.join(missing)} (pip, as MWAA does)")
    except _Failed:
        return Parser(None, python, "; ".join(why) or "pip failed without saying why")
    return Parser(python_path, python)


class _Failed(Exception):
    pass


def _venv(image: vendored.Image, python: Interpreter, key: str, build, say, what: str = "") -> Path:
    folder = CACHE / f"{image.version}-py{python.version}-{key}"
    if (folder / "complete").exists():
        os.utime(folder / "complete")  # most recently used: the last to be pruned
        return folder / "bin" / "python"
    with _cache_lock():
        # Another preflight (make -j, a second terminal) may have built it while this one waited.
        if (folder / "complete").exists():
            return folder / "bin" / "python"
        shutil.rmtree(folder, ignore_errors=True)
        what = (
            what or f"building Airflow {image.version} as MWAA's image installs it, on Python {python.version} (once)"
        )
        try:
            _timed(what, lambda: build(folder), say)
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        (folder / "complete").write_text(what, encoding="utf-8")
        _prune(keep=folder)
    return folder / "bin" / "python"


@contextlib.contextmanager
def _cache_lock():
    """One builder of the cache at a time: two preflights building one venv, or one pruning
    the venv the other is filling, would leave neither a venv."""
    CACHE.mkdir(parents=True, exist_ok=True)
    with open(CACHE / ".lock", "w", encoding="utf-8") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _prune(keep: Path) -> None:
    """At most KEEP venvs: the least recently used beyond that are removed."""
    made = [p for p in CACHE.iterdir() if (p / "complete").exists()]
    made.sort(key=lambda p: (p == keep, (p / "complete").stat().st_mtime), reverse=True)
    for stale in made[KEEP:]:
        shutil.rmtree(stale, ignore_errors=True)


def _missing(python: Path, requirements: list[str], timeout: float) -> list[str]:
    with tempfile.NamedTemporaryFile("w", suffix=".txt", prefix="mwaa-stack-requirements-") as listed:
        listed.write("\n".join(requirements) + "\n")
        listed.flush()
        return run_json(python, ["installed", listed.name], timeout)["missing"]


# An exception line as Python prints it: "ValueError: ...", "airflow.exceptions.AirflowException: ...".
EXCEPTION_LINE = re.compile(
    r"^([A-Za-z_][\w.]*(?:Error|Exception|Exit|Interrupt|Timeout|Warning)|[a-z_.]+\.[A-Z]\w*): "
)


PIP_NOISE = ("subprocess-exited-with-error", "ResolutionImpossible: for help visit")


def _reasons(output: str) -> list[str]:
    """The lines of pip's (or uv's) output that say why, not the last one ("note: This error
    originates from a subprocess..."): its ERROR lines, the conflict it names, and the
    exception a failed build raised."""
    errors: list[str] = []
    causes: list[str] = []
    in_conflict = False
    for raw in output.splitlines():
        line = raw.strip()
        if not line:
            in_conflict = False
        elif line.startswith("The conflict is caused by:"):
            in_conflict = True
        elif in_conflict:
            causes.append(line)
        elif line.startswith(("ERROR: ", "error: ")) and not any(noise in line for noise in PIP_NOISE):
            errors.append(line.split(": ", 1)[1])
        elif EXCEPTION_LINE.match(line):
            causes.append(line)
    kept = list(dict.fromkeys(errors + causes))
    if not kept:
        kept = [line.strip() for line in output.splitlines() if line.strip()][-1:] or ["no output"]
    return kept[:ERROR_LINES]


CHECK_SCRIPT = Path(__file__).with_name("airflow_check.py")


def run_json(python: Path, args: list[str], timeout: float, env: dict[str, str] | None = None) -> dict:
    """Run ``airflow_check.py`` in ``python`` isolated (``-I``: no PYTHONPATH, no user site, no
    script folder on ``sys.path``) from an empty folder, so a DAG imports only what MWAA has."""
    with tempfile.TemporaryDirectory(prefix="mwaa-stack-parse-") as empty:
        try:
            done = subprocess.run(
                [str(python), "-I", "-c", CHECK_SCRIPT.read_text(encoding="utf-8"), *args],
                cwd=empty,
                env=env if env is not None else dict(os.environ),
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


def pinned_airflow(requirements: Path) -> str:
    """The Airflow version a project venv's requirements file pins (``apache-airflow==X``)."""
    lines = requirements.read_text(encoding="utf-8").splitlines()
    return next(line.split("==", 1)[1].strip() for line in lines if line.startswith("apache-airflow=="))


def pinned_versions() -> list[str]:
    """The Airflow versions the project's own venvs pin (requirements-airflow*.txt)."""
    return [pinned_airflow(path) for path in sorted(ROOT.glob("requirements-airflow*.txt"))]
