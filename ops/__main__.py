"""mwaa-stack operations: ``python -m ops ACTION [options]``, run by the Makefile.

Each option also reads ``MWAA_STACK_<VARIABLE>`` from the environment: that is how the
Makefile passes ``ENV``, ``PARAMS``, ``CONF``... without any value passing through a
shell or through make's own expansion.  Every value is checked once, by ``inputs``, before
an action runs; actions get plain, checked arguments.

This is the one error boundary: every failure ends in one line on stderr,
``mwaa-stack: error: ...``; exit 2 for bad input (nothing changed), 1 for what AWS
answered or could not be asked, 130 when interrupted.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from functools import partial

from templates.target import REGION

from . import inputs
from .arguments import parse_args
from .aws import Aws, Timeouts, check_target, describe
from .errors import OpsError, ShapeError, UsageError, fail
from .inputs import AIRFLOW_VERSION, PROFILE, checked, duration, flag, path
from .text import printable

# Waits longer by default than a request: a sync follows one environment update (MWAA: 10-30 min).
TOTAL_DEFAULTS = {"sync": 60 * 60.0}
LOG_RETENTION_LIMIT = 3653 * 86400.0  # CloudWatch's longest retention: SINCE cannot reach further
POLL_FLOOR = 0.05


def run(args: argparse.Namespace) -> int:
    """Check every input, then call one action with explicit arguments.  An action's module
    is imported only when it runs: the offline ones (review, preflight) never load boto3."""
    env = inputs.environment(args.env)
    name = inputs.stack_name(args.stack, env)
    region = args.region and checked("REGION", args.region, REGION, "an AWS Region name such as eu-west-1")
    profile = args.profile and checked("PROFILE", args.profile, PROFILE, "an AWS CLI profile name")
    timeouts = Timeouts(
        connect=duration("CONNECT_TIMEOUT", args.connect_timeout, Timeouts.connect, limit=600),
        read=duration("READ_TIMEOUT", args.read_timeout, Timeouts.read, limit=3600),
        total=duration("TIMEOUT", args.timeout, TOTAL_DEFAULTS.get(args.action, Timeouts.total)),
        # A floor: a wait asks AWS at most 20 times a second, however small POLL is.
        poll=duration("POLL", args.poll, Timeouts.poll, limit=600, floor=POLL_FLOOR),
    )
    # Where the environment deploys, if its settings file says: REGION may not say otherwise,
    # and every command that talks to AWS checks the account first (``connect``).
    pin = None if args.action in ("review", "preflight", "environments") else inputs.target(env)
    region = inputs.region_of(region, pin, env)

    def connect() -> Aws:
        aws = Aws(region, profile, timeouts)
        if pin is not None:
            check_target(aws, env, pin)
        return aws

    action: Callable[[Aws], int | None]
    aws: Aws | None = None
    if args.action == "environments":  # offline
        from . import environments

        return environments.run(inputs.output_format(args.format, inputs.LISTING_FORMATS))
    if args.action == "review":  # offline: no AWS session is ever made
        from . import review

        old = path("OLD", args.old, "") if args.old else None
        new = path("NEW", args.new, "") if args.new else None
        form, allow = inputs.output_format(args.format, inputs.REVIEW_FORMATS), inputs.allowed_ids(args.allow)
        return review.run(args.base.strip() or "HEAD", old, new, form, allow)
    if args.action == "upgrade-check":
        return _upgrade_check(args, env, name, region, timeouts, connect)
    if args.action in ("deploy", "diff"):
        from . import stack
        from .overrides import default_template, prepare

        template = path("TEMPLATE", args.template, str(default_template(env)))
        deployment = prepare(template, args.params, name, env)
        role = inputs.role_arn(args.role_arn.strip(), pin, env) if args.action == "deploy" else ""
        aws = connect()
        if args.action == "deploy":
            action = partial(stack.deploy, stack=name, env=env, deployment=deployment, role_arn=role)
        else:
            from . import review

            base = args.base.strip()
            if base and review.known_revision(base):  # first: what the change to out/ does, as make review says
                review.run(base, None, None, "text", frozenset(), exit_on_danger=False)
            elif base:
                print(f"(no git revision {printable(base)}: skipping the review of out/)")
            from .preview import preview

            action = partial(preview, stack=name, deployment=deployment)
    elif args.action in ("sync", "preflight"):
        from . import preflight
        from .overrides import default_template

        dags, plugins, startup = inputs.sources({"DAGS": args.dags, "PLUGINS": args.plugins, "STARTUP": args.startup})
        template = path("TEMPLATE", args.template, str(default_template(env)))
        version = checked("AIRFLOW_VERSION", args.airflow_version, AIRFLOW_VERSION, "a version such as 3.3.1")
        syncing = args.action == "sync"
        delete = syncing and flag("DELETE", args.delete)
        wait = syncing and not flag("NOWAIT", args.nowait)
        skip = syncing and flag("SKIP_PREFLIGHT", args.skip_preflight)
        checked_verify = _verify_timeout(args) if syncing else None
        aws = connect() if syncing else None
        if skip:
            print("mwaa-stack: warning: SKIP_PREFLIGHT=1: uploading without `make preflight`", file=sys.stderr)
        else:
            checked_target = preflight.target(template, version, dags, plugins, startup, region or "")
            preflight.run(checked_target, timeouts.total)
            if not syncing:
                return 0
        from . import sync

        action = partial(
            sync.sync,
            stack=name,
            dags=dags,
            plugins=plugins,
            startup=startup,
            delete=delete,
            wait=wait,
            verify_timeout=checked_verify,
        )
    else:
        action = _aws_action(args, name)
    return action(aws or connect()) or 0


VERIFY_TIMEOUT_LIMIT = 6 * 3600


def _verify_timeout(args: argparse.Namespace) -> float | None:
    """How long sync and rollback wait for the DAGs to register (0: the environment's own
    default, ops/verify.py); None with NOVERIFY=1."""
    if flag("NOVERIFY", args.noverify):
        return None
    return duration("VERIFY_TIMEOUT", args.verify_timeout, 0.0, limit=VERIFY_TIMEOUT_LIMIT)


def _known_release(name: str, value: str) -> str:
    from templates.catalogue import RELEASES

    if value not in RELEASES:
        raise UsageError(f"{name}={value!r}: the project knows Airflow {', '.join(RELEASES)}")
    return value


def _upgrade_check(
    args: argparse.Namespace, env: str, name: str, region: str, timeouts: Timeouts, connect: Callable[[], Aws]
) -> int:
    """Offline with FROM; else the environment's own version, read through the stack first."""
    from templates.catalogue import RELEASES

    from . import preflight, upgrade
    from .overrides import default_template

    dags, plugins, startup = inputs.sources({"DAGS": args.dags, "PLUGINS": args.plugins, "STARTUP": args.startup})
    template = path("TEMPLATE", args.template, str(default_template(env)))
    if not args.to.strip():
        raise UsageError(f"TO: the version to check, one of {', '.join(RELEASES)}")
    check = preflight.target(template, _known_release("TO", args.to.strip()), dags, plugins, startup, region or "")
    current = _known_release("FROM", args.from_version.strip()) if args.from_version.strip() else ""
    if not current:
        from .mwaa import environment_of

        current = str(environment_of(connect(), name)["AirflowVersion"])
        if current not in RELEASES:
            raise OpsError(
                f"environment of stack {name} runs Airflow {printable(current)}, which the project does not know"
            )
    return upgrade.run(current, check, env, timeouts.total)


def _aws_action(args: argparse.Namespace, name: str) -> Callable[[Aws], int | None]:
    """The actions that only read or change what the stack made."""
    if args.action == "outputs":
        from . import stack

        return partial(stack.print_outputs, stack=name)
    if args.action == "verify":
        from . import verify

        timeout = duration("VERIFY_TIMEOUT", args.verify_timeout, 0.0, limit=VERIFY_TIMEOUT_LIMIT)
        return partial(verify.run_alone, stack=name, timeout=timeout)
    if args.action == "history":
        from . import history

        return partial(history.history, stack=name)
    if args.action == "rollback":
        from . import rollback

        wanted = args.to.strip()
        if not wanted:
            raise UsageError("TO: the release to put back (its name, or its commit): `make history` lists them")
        confirmed, wait = flag("YES", args.yes), not flag("NOWAIT", args.nowait)
        return partial(
            rollback.rollback,
            stack=name,
            wanted=wanted,
            confirmed=confirmed,
            wait=wait,
            verify_timeout=_verify_timeout(args),
        )
    if args.action in ("status", "drift"):
        from . import status

        return partial(status.status if args.action == "status" else status.drift, stack=name)
    if args.action == "logs":
        from . import logs

        kind, dag, run, task = inputs.log_filter(args.type, args.dag, args.run, args.task)
        since = duration("SINCE", args.since, 3600, limit=LOG_RETENTION_LIMIT)
        follow = flag("FOLLOW", args.follow)
        return partial(logs.logs, stack=name, kind=kind, since=since, follow=follow, dag=dag, run=run, task=task)
    if args.action in ("ui", "airflow", "trigger"):
        from . import airflow

        if args.action == "ui":
            return partial(airflow.ui, stack=name)
        if args.action == "airflow":
            return partial(airflow.run_cli, stack=name, command=inputs.airflow_command(args.cmd))
        dag, conf, wait = inputs.dag_id(args.dag), inputs.conf(args.conf), flag("WAIT", args.wait)
        return partial(airflow.trigger, stack=name, dag=dag, conf=conf, wait=wait)
    from . import stack

    return partial(stack.destroy, stack=name, confirmed=flag("YES", args.yes))


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


if __name__ == "__main__":
    sys.exit(main())
