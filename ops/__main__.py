"""mwaa-stack operations: ``python -m ops ACTION [options]``, run by the Makefile.

Each option also reads ``MWAA_STACK_<VARIABLE>`` from the environment: that is how the
Makefile passes ``ENV``, ``PARAMS``, ``CONF``... without any value passing through a
shell or through make's own expansion.  Everything is validated here, once; actions
get plain, checked arguments.

This is the one error boundary: every failure ends in one line on stderr,
``mwaa-stack: error: ...``; exit 2 for bad input (nothing changed), 1 for what AWS
answered or could not be asked, 130 when interrupted.
"""

from __future__ import annotations

import argparse
import difflib
import os
import re
import sys
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import NoReturn

from . import airflow, logs, preflight, review, stack, status, sync
from .aws import Aws, OpsError, Timeouts, UsageError, describe
from .overrides import default_template, prepare
from .text import ShapeError, printable

ON, OFF = ("1", "true", "yes"), ("", "0", "false", "no")
STACK_NAME = re.compile(r"[A-Za-z][A-Za-z0-9-]{0,127}")
ENV_LABEL = re.compile(r"[A-Za-z0-9._-]{1,64}")
RUN_ID = re.compile(r"[A-Za-z0-9_.:+-]{0,250}")
TASK_ID = re.compile(r"[A-Za-z0-9_.-]{0,250}")
# Waits longer by default than a request: a sync follows one environment update (MWAA: 10-30 min).
TOTAL_DEFAULTS = {"sync": 60 * 60.0}
AIRFLOW_VERSION = re.compile(r"([0-9]{1,2}\.[0-9]{1,2}\.[0-9]{1,2})?")  # empty: the template's
REGION = re.compile(r"[a-z]{2}(-[a-z0-9]+)+-[0-9]{1,2}")
PROFILE = re.compile(r"[A-Za-z0-9_.@+=,/:][A-Za-z0-9_.@+=,/: -]{0,127}")
DURATION = re.compile(r"([0-9]+(?:\.[0-9]+)?)\s*(s|m|h|d)?")
UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, None: 1}
LOG_RETENTION_LIMIT = 3653 * 86400.0  # CloudWatch's longest retention: SINCE cannot reach further


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


PATH_MAX = 4096
POLL_FLOOR = 0.05


def folder_or_file(name: str, value: str, default: str) -> Path:
    text = value or default
    if "\0" in text or any(ord(c) < 32 for c in text) or len(text) > PATH_MAX:
        raise UsageError(f"{name}={text!r}: a path without control characters, at most {PATH_MAX} characters")
    return Path(text).absolute()  # absolute: never mistaken for an option by the AWS CLI


def tree(name: str, value: str, default: str) -> Path:
    """A folder whose files are read and uploaded: never the file system's root, one of its
    top-level folders (/etc, /usr, /home...) or the home folder itself."""
    path = folder_or_file(name, value, default)
    real = Path(os.path.realpath(path))
    if real.parent == real or real.parent == Path(real.anchor) or real == Path.home().resolve():
        raise UsageError(f"{name}={str(path)!r}: a system folder; name the project folder that holds the files")
    return path


def known_environment(env: str) -> str:
    """``env``, unless it has no ``environments/<env>.toml`` and is that close to one that does
    (``prdd`` for ``prd``): a typo would take ``out/mwaa.yaml`` and another environment's
    settings in silence.  Any other label (a test stack, a scratch stack) is a label."""
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


class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(message)


def parse_args(argv: list[str]) -> argparse.Namespace:
    def env(variable: str, fallback: str | None = "") -> str | None:
        return os.environ.get(f"MWAA_STACK_{variable}", fallback)

    parser = Parser(prog="python -m ops", description=__doc__.split("\n\n")[0])
    parser.add_argument("--env", default=env("ENV", "dev"), help="environment label (ENV)")
    parser.add_argument("--stack", default=env("STACK_NAME", None), help="stack name (STACK_NAME); default mwaa-ENV")
    parser.add_argument("--region", default=env("REGION"))
    parser.add_argument("--profile", default=env("PROFILE"))
    parser.add_argument("--connect-timeout", default=env("CONNECT_TIMEOUT"))
    parser.add_argument("--read-timeout", default=env("READ_TIMEOUT"))
    parser.add_argument("--timeout", default=env("TIMEOUT"))
    parser.add_argument("--poll", default=env("POLL"), help="how often waits ask again (POLL)")
    sub = parser.add_subparsers(dest="action", required=True)
    for name in ("deploy", "diff"):
        p = sub.add_parser(name)
        p.add_argument("--template", default=env("TEMPLATE"), help="default out/mwaa-ENV.yaml, else out/mwaa.yaml")
        p.add_argument("--params", default=env("PARAMS"), help="NAME=VALUE ... (PARAMS)")
        if name == "diff":
            p.add_argument("--base", default=env("BASE", "HEAD"), help="git revision for the template diff (BASE)")
    for name in ("sync", "preflight"):
        p = sub.add_parser(name)
        p.add_argument("--dags", default=env("DAGS"))
        p.add_argument("--plugins", default=env("PLUGINS"))
        p.add_argument("--startup", default=env("STARTUP"))
        p.add_argument("--template", default=env("TEMPLATE"), help="where the Airflow version comes from")
        p.add_argument("--airflow-version", default=env("AIRFLOW_VERSION"), help="check another version (upgrade)")
        if name == "sync":
            p.add_argument("--delete", default=env("DELETE"), help="flag: also delete S3 objects the folder lacks")
            p.add_argument("--skip-preflight", default=env("SKIP_PREFLIGHT"), help="flag: upload unchecked")
            p.add_argument("--nowait", default=env("NOWAIT"), help="flag: do not wait for the environment update")
    p = sub.add_parser("review")
    p.add_argument("--base", default=env("BASE", "HEAD"), help="git revision out/ is compared with (BASE)")
    p.add_argument("--old", default=env("OLD"), help="compare this template file (OLD) ...")
    p.add_argument("--new", default=env("NEW"), help="... with this one (NEW)")
    p.add_argument("--format", default=env("FORMAT", "text"), help="text, markdown or json (FORMAT)")
    p.add_argument("--allow", default=env("ALLOW"), help="dangers accepted: logical ids, comma-separated (ALLOW)")
    sub.add_parser("outputs")
    sub.add_parser("status")
    sub.add_parser("drift")
    p = sub.add_parser("logs")
    p.add_argument("--type", default=env("TYPE", "task"), help=", ".join(logs.TYPES))
    p.add_argument("--since", default=env("SINCE", "1h"), help="how far back: 30m, 1h, 2d... (SINCE)")
    p.add_argument("--follow", default=env("FOLLOW"), help="flag: keep printing new events (FOLLOW)")
    p.add_argument("--dag", default=env("DAG"))
    p.add_argument("--run", default=env("RUN"))
    p.add_argument("--task", default=env("TASK"))
    sub.add_parser("ui")
    p = sub.add_parser("airflow")
    p.add_argument("--cmd", default=env("CMD", "version"))
    p = sub.add_parser("trigger")
    p.add_argument("--dag", default=env("DAG", "emr_steps"))
    p.add_argument("--conf", default=env("CONF", "{}"))
    p.add_argument("--wait", default=env("WAIT"), help="flag: follow the run to its end (WAIT)")
    p = sub.add_parser("destroy")
    p.add_argument("--yes", default=env("YES"), help="flag: skip the confirmation")
    return parser.parse_args(argv)


def run(args: argparse.Namespace) -> int:
    """Validate every input, then call one action with explicit arguments."""
    env = known_environment(checked("ENV", args.env, ENV_LABEL, "1-64 letters, digits, '.', '_' or '-'"))
    name = f"mwaa-{env}" if args.stack is None else args.stack
    what = f"STACK_NAME (mwaa-ENV, from ENV={env!r})" if args.stack is None else "STACK_NAME"
    checked(what, name, STACK_NAME, "a letter, then letters, digits or '-', at most 128 characters")
    region = args.region and checked("REGION", args.region, REGION, "an AWS Region name such as eu-west-1")
    profile = args.profile and checked("PROFILE", args.profile, PROFILE, "an AWS CLI profile name")
    timeouts = Timeouts(
        connect=duration("CONNECT_TIMEOUT", args.connect_timeout, Timeouts.connect, limit=600),
        read=duration("READ_TIMEOUT", args.read_timeout, Timeouts.read, limit=3600),
        total=duration("TIMEOUT", args.timeout, TOTAL_DEFAULTS.get(args.action, Timeouts.total)),
        # A floor: a wait asks AWS at most 20 times a second, however small POLL is.
        poll=duration("POLL", args.poll, Timeouts.poll, limit=600, floor=POLL_FLOOR),
    )
    action: Callable[[Aws], int | None]
    if args.action == "review":  # offline: no AWS session is ever made
        old = folder_or_file("OLD", args.old, "") if args.old else None
        new = folder_or_file("NEW", args.new, "") if args.new else None
        form, allow = review.check_format(args.format.strip() or "text"), review.check_allow(args.allow)
        return review.run(args.base.strip() or "HEAD", old, new, form, allow)
    if args.action in ("deploy", "diff"):
        template = folder_or_file("TEMPLATE", args.template, str(default_template(env)))
        deployment = prepare(template, args.params, name, env)
        if args.action == "deploy":
            action = partial(stack.deploy, stack=name, env=env, deployment=deployment)
        else:
            base = args.base.strip()
            if base and review.known_revision(base):  # first: what the change to out/ does, as make review says
                review.run(base, None, None, "text", frozenset(), exit_on_danger=False)
            elif base:
                print(f"(no git revision {printable(base)}: skipping the review of out/)")
            action = partial(stack.preview, stack=name, deployment=deployment)
    elif args.action in ("sync", "preflight"):
        dags = tree("DAGS", args.dags, "dags")
        plugins = tree("PLUGINS", args.plugins, "plugins")
        startup = folder_or_file("STARTUP", args.startup, "startup.sh")
        template = folder_or_file("TEMPLATE", args.template, str(default_template(env)))
        version = checked("AIRFLOW_VERSION", args.airflow_version, AIRFLOW_VERSION, "a version such as 3.3.1")
        syncing = args.action == "sync"
        delete = syncing and flag("DELETE", args.delete)
        wait = syncing and not flag("NOWAIT", args.nowait)
        if syncing and flag("SKIP_PREFLIGHT", args.skip_preflight):
            print("mwaa-stack: warning: SKIP_PREFLIGHT=1: uploading without `make preflight`", file=sys.stderr)
        else:
            given = frozenset(name for name, value in (("PLUGINS", args.plugins), ("STARTUP", args.startup)) if value)
            checked_target = preflight.target(template, version, dags, plugins, startup, region or "", given)
            preflight.run(checked_target, timeouts.total)
            if not syncing:
                return 0
        action = partial(sync.sync, stack=name, dags=dags, plugins=plugins, startup=startup, delete=delete, wait=wait)
    elif args.action == "outputs":
        action = partial(stack.print_outputs, stack=name)
    elif args.action == "status":
        action = partial(status.status, stack=name)
    elif args.action == "drift":
        action = partial(status.drift, stack=name)
    elif args.action == "logs":
        action = partial(
            logs.logs,
            stack=name,
            kind=logs.check_type(args.type),
            since=duration("SINCE", args.since, 3600, limit=LOG_RETENTION_LIMIT),
            follow=flag("FOLLOW", args.follow),
            dag=airflow.check_dag_id(args.dag) if args.dag else "",
            run=checked("RUN", args.run, RUN_ID, "an Airflow run id: letters, digits and _.:+-, at most 250"),
            task=checked("TASK", args.task, TASK_ID, "an Airflow task id: letters, digits and _.-, at most 250"),
        )
    elif args.action == "ui":
        action = partial(airflow.ui, stack=name)
    elif args.action == "airflow":
        action = partial(airflow.run_cli, stack=name, command=args.cmd)
    elif args.action == "trigger":
        action = partial(
            airflow.trigger,
            stack=name,
            dag=airflow.check_dag_id(args.dag),
            conf=airflow.parse_conf(args.conf),
            wait=flag("WAIT", args.wait),
        )
    else:
        action = partial(stack.destroy, stack=name, confirmed=flag("YES", args.yes))
    return action(Aws(region, profile, timeouts)) or 0


def main(argv: list[str] | None = None) -> int:
    try:
        return run(parse_args(sys.argv[1:] if argv is None else argv))
    except OpsError as err:
        return fail(str(err), err.code)
    except ShapeError as err:
        return fail(str(err), 1)
    except KeyboardInterrupt:
        return fail("interrupted", 130)
    except EOFError:
        return fail("input ended before an answer", 2)
    except UnicodeError as err:
        return fail(f"not UTF-8 text: {err}", 2)
    except OSError as err:
        if type(err).__module__.startswith("botocore"):  # its timeouts are OSErrors too
            return fail(describe(err), 1)
        return fail(f"{err.filename + ': ' if err.filename else ''}{err.strerror or err}", 1)
    except Exception as err:  # botocore and anything unforeseen: one line, not a traceback
        if os.environ.get("MWAA_STACK_DEBUG"):
            raise
        return fail(describe(err), 1)


def fail(message: str, code: int) -> int:
    """The one error line; its text may hold what AWS, Airflow or a file name said."""
    print(f"mwaa-stack: error: {printable(message)}", file=sys.stderr)
    return code


if __name__ == "__main__":
    sys.exit(main())
