"""Every value a user types, checked once, here: each function takes the variable's name and
its text and gives back a plain, checked value, or raises :class:`UsageError` in one line
naming what is wrong and what is allowed.  The actions take only what these return.

Flags mean yes only for 1/true/yes; a path never holds a control character and is made
absolute (an AWS CLI argument can never be mistaken for an option); a folder whose files are
read is never the file system's root, a top-level folder or the home folder.
"""

from __future__ import annotations

import difflib
import json
import os
import re
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from templates.catalogue import LOG_MODULES
from templates.errors import SettingsError
from templates.target import Target, split_target

from .errors import UsageError

T = TypeVar("T")

ON, OFF = ("1", "true", "yes"), ("", "0", "false", "no")
STACK_NAME = re.compile(r"[A-Za-z][A-Za-z0-9-]{0,127}")
ENV_LABEL = re.compile(r"[A-Za-z0-9._-]{1,64}")
RUN_ID = re.compile(r"[A-Za-z0-9_.:+-]{0,250}")
TASK_ID = re.compile(r"[A-Za-z0-9_.-]{0,250}")
# Airflow's KEY_REGEX and ID length limit: what a DAG id may be, checked before it reaches a URL.
DAG_ID = re.compile(r"[A-Za-z0-9_.-]{1,250}")
AIRFLOW_VERSION = re.compile(r"([0-9]{1,2}\.[0-9]{1,2}\.[0-9]{1,2})?")  # empty: the template's
PROFILE = re.compile(r"[A-Za-z0-9_.@+=,/:][A-Za-z0-9_.@+=,/: -]{0,127}")
DURATION = re.compile(r"([0-9]+(?:\.[0-9]+)?)\s*(s|m|h|d)?")
UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, None: 1}
PATH_MAX = 4096
# TYPE of `make logs` -> MWAA's LoggingConfiguration key; task first, the default.
LOG_TYPES = {m.log_type: m.configuration for m in sorted(LOG_MODULES, key=lambda m: m.log_type != "task")}
REVIEW_FORMATS = ("text", "markdown", "json")  # make review
LISTING_FORMATS = ("text", "json")  # make environments
# IAM's role ARN: a partition, a 12-digit account, role/ then an optional path and a name
# (IAM User Guide, "IAM identifiers"; names of [\w+=,.@-], at most 64 characters).
ROLE_ARN = re.compile(
    r"arn:aws(?:-cn|-us-gov)?:iam::(?P<account>[0-9]{12}):role/(?:[\w+=,.@-]+/)*[\w+=,.@-]{1,64}", re.ASCII
)
ALLOWED_ID = re.compile(r"[A-Za-z0-9]{1,255}")
COMMIT = re.compile(r"[0-9a-f]{40}")  # a git commit, as git names it in full


def flag(name: str, value: str) -> bool:
    """1/true/yes is on; 0/false/no or empty is off; anything else is a mistake worth stopping for."""
    folded = value.strip().lower()
    if folded in ON:
        return True
    if folded in OFF:
        return False
    raise UsageError(f"{name}={value!r}: a flag is 1, true or yes (on) or 0, false, no or empty (off)")


def duration(name: str, value: str, default: float, limit: float = 24 * 3600, floor: float = 0) -> float:
    """Seconds from ``30``, ``30s``, ``5m``, ``2h`` or ``7d``; empty is the default."""
    if not value.strip():
        return default
    match = DURATION.fullmatch(value.strip())
    seconds = float(match.group(1)) * UNITS[match.group(2)] if match else 0
    if not (0 < seconds <= limit and seconds >= floor):
        most = f"{limit / 86400:g}d" if limit > 86400 else f"{limit / 3600:g}h" if limit >= 3600 else f"{limit:g}s"
        least = f"at least {floor:g} s" if floor else "more than 0"
        raise UsageError(f"{name}={value!r}: a duration such as 30, 30s, 5m or 2h, {least} and at most {most}")
    return seconds


def checked(name: str, value: str, pattern: re.Pattern[str], allowed: str) -> str:
    if not pattern.fullmatch(value):
        raise UsageError(f"{name}={value!r}: {allowed}")
    return value


def path(name: str, value: str, default: str) -> Path:
    """A file or folder named by the user (``default`` when not given), made absolute."""
    text = value or default
    if "\0" in text or any(ord(c) < 32 for c in text) or len(text) > PATH_MAX:
        raise UsageError(f"{name}={text!r}: a path without control characters, at most {PATH_MAX} characters")
    return Path(text).absolute()


def tree(name: str, value: str, default: str) -> Path:
    """A folder whose files are read and uploaded: never the file system's root, one of its
    top-level folders (/etc, /usr, /home...) or the home folder itself."""
    folder = path(name, value, default)
    real = Path(os.path.realpath(folder))
    if real.parent == real or real.parent == Path(real.anchor) or real == Path.home().resolve():
        raise UsageError(f"{name}={str(folder)!r}: a system folder; name the project folder that holds the files")
    return folder


def sources(values: dict[str, str]) -> tuple[Path, Path, Path]:
    """DAGS, PLUGINS and STARTUP of ``make sync`` and ``make preflight`` (``values`` maps each
    name to what was typed, empty when not given): DAGS a folder; PLUGINS (a folder or a
    plugins.zip) and STARTUP (a script) may be absent unless named, and a STARTUP that exists
    is a file."""
    dags = tree("DAGS", values.get("DAGS", ""), "dags")
    plugins = tree("PLUGINS", values.get("PLUGINS", ""), "plugins")
    startup = path("STARTUP", values.get("STARTUP", ""), "startup.sh")
    if not dags.is_dir():
        raise UsageError(f"DAGS: {dags} is not a folder")
    for name, where in (("PLUGINS", plugins), ("STARTUP", startup)):
        if values.get(name) and not where.exists():
            what = "folder or plugins.zip" if name == "PLUGINS" else "script"
            raise UsageError(f"{name}: {where} does not exist; name the {what}, or leave {name} out")
    if startup.exists() and not startup.is_file():
        raise UsageError(f"STARTUP: {startup} is not a file")
    return dags, plugins, startup


def from_toml(path: Path, read: Callable[[dict[str, Any]], T]) -> T:
    """``read`` of a TOML file's table; a file that is not UTF-8 TOML, or a table ``read``
    refuses, is one line naming the file."""
    try:
        return read(tomllib.loads(path.read_text(encoding="utf-8")))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError, SettingsError) as err:
        raise UsageError(f"{path}: {err}") from None


def target(env: str) -> Target | None:
    """The ``[target]`` of ``environments/<env>.toml`` (the account and region its stack belongs
    to), or None when the file or the table is absent."""
    settings_file = Path("environments") / f"{env}.toml"
    if not settings_file.is_file():
        return None
    return from_toml(settings_file, lambda values: split_target(values)[1])


def region_of(region: str, target: Target | None, env: str) -> str:
    """The session's region: the pinned one; REGION, when given, may not say otherwise."""
    if target is None:
        return region
    if region and region != target.region:
        raise UsageError(
            f"REGION={region}: environment {env} is pinned to {target.region} (environments/{env}.toml [target])"
        )
    return target.region


def role_arn(value: str, target: Target | None, env: str) -> str:
    """ROLE_ARN of make deploy (CloudFormation's service role for the stack), or "" for none;
    an environment pinned to an account takes only a role of that account."""
    if not value:
        return ""
    found = ROLE_ARN.fullmatch(value)
    if found is None:
        raise UsageError(f"ROLE_ARN={value!r}: not an IAM role ARN; allowed: arn:aws:iam::<12 digits>:role/<name>")
    if target is not None and found["account"] != target.account_id:
        raise UsageError(
            f"ROLE_ARN: a role of account {found['account']}; environment {env} is pinned to account "
            f"{target.account_id} (environments/{env}.toml [target])"
        )
    return value


def environment(value: str) -> str:
    """ENV: a label, unless it has no ``environments/<env>.toml`` and is that close to one that
    does (``prdd`` for ``prd``): a typo would take ``out/mwaa.yaml`` and another environment's
    settings in silence.  Any other label (a test stack, a scratch stack) is a label."""
    env = checked("ENV", value, ENV_LABEL, "1-64 letters, digits, '.', '_' or '-'")
    known = sorted(p.stem for p in Path("environments").glob("*.toml"))
    if env in known or not known:
        return env
    close = difflib.get_close_matches(env, known, n=3, cutoff=0.75)
    if close:
        raise UsageError(
            f"ENV={env!r}: no environments/{env}.toml; did you mean {' or '.join(close)}? "
            f"Known environments: {', '.join(known)}"
        )
    return env


def stack_name(value: str | None, env: str) -> str:
    """STACK_NAME, or mwaa-ENV when not given."""
    if value is None:
        return checked(f"STACK_NAME (mwaa-ENV, from ENV={env!r})", f"mwaa-{env}", STACK_NAME, _STACK_ALLOWED)
    return checked("STACK_NAME", value, STACK_NAME, _STACK_ALLOWED)


_STACK_ALLOWED = "a letter, then letters, digits or '-', at most 128 characters"


def conf(text: str) -> dict[str, Any]:
    """CONF as a JSON object; CONF not given, or given empty, is ``{}`` (the DAG's own params)."""
    try:
        value = json.loads(text or "{}")
    except ValueError as err:
        raise UsageError(f"CONF is not JSON: {text!r} ({err})") from None
    if not isinstance(value, dict):
        raise UsageError(f"CONF must be a JSON object, got {text!r}")
    return value


def dag_id(dag: str) -> str:
    if not DAG_ID.fullmatch(dag):
        raise UsageError(f"DAG={dag!r} is not a DAG id: 1-250 letters, digits, '_', '.' or '-'")
    return dag


def airflow_command(command: str) -> str:
    if not command.strip():
        raise UsageError('CMD is empty: try make airflow CMD="dags list"')
    return command.strip()


def log_filter(kind: str, dag: str, run: str, task: str) -> tuple[str, str, str, str]:
    """TYPE, and DAG, RUN and TASK, which narrow task logs only."""
    if kind not in LOG_TYPES:
        raise UsageError(f"TYPE={kind!r}: one of {', '.join(LOG_TYPES)}")
    if kind != "task" and (dag or run or task):
        raise UsageError("DAG, RUN and TASK narrow task logs only: use TYPE=task")
    return (
        kind,
        dag_id(dag) if dag else "",
        checked("RUN", run, RUN_ID, "an Airflow run id: letters, digits and _.:+-, at most 250"),
        checked("TASK", task, TASK_ID, "an Airflow task id: letters, digits and _.-, at most 250"),
    )


def output_format(value: str, formats: tuple[str, ...]) -> str:
    """FORMAT: one of ``formats``; empty is text."""
    value = value.strip() or "text"
    if value not in formats:
        raise UsageError(f"FORMAT={value!r}: one of {', '.join(formats)}")
    return value


def allowed_ids(value: str) -> frozenset[str]:
    """ALLOW: the dangers a review accepts, logical ids separated by commas."""
    names = [n.strip() for n in value.split(",") if n.strip()]
    if any(not ALLOWED_ID.fullmatch(n) for n in names):
        raise UsageError(f"ALLOW={value!r}: logical ids, parameter or output names separated by commas")
    return frozenset(names)
