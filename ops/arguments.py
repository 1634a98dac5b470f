"""The command line of ``python -m ops``: one subcommand per action, each option defaulting
to ``MWAA_STACK_<VARIABLE>`` from the environment (how the Makefile passes what a user typed).
Values are taken as text here and checked by ``inputs`` when the action runs."""

from __future__ import annotations

import argparse
import os
from typing import NoReturn

from .errors import UsageError
from .inputs import LOG_TYPES

DESCRIPTION = "mwaa-stack operations: ``python -m ops ACTION [options]``, run by the Makefile."


class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(message)


def parse_args(argv: list[str]) -> argparse.Namespace:
    def env(variable: str, fallback: str | None = "") -> str | None:
        return os.environ.get(f"MWAA_STACK_{variable}", fallback)

    parser = Parser(prog="python -m ops", description=DESCRIPTION)
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
        if name == "deploy":
            p.add_argument("--role-arn", default=env("ROLE_ARN"), help="CloudFormation's service role (ROLE_ARN)")
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
            p.add_argument("--noverify", default=env("NOVERIFY"), help="flag: do not check the DAGs registered")
            p.add_argument("--verify-timeout", default=env("VERIFY_TIMEOUT"), help="how long to wait for the parse")
    p = sub.add_parser("upgrade-check")
    p.add_argument("--to", default=env("TO"), help="the Airflow version to upgrade to (TO)")
    p.add_argument("--from", dest="from_version", default=env("FROM"), help="the current version, offline (FROM)")
    p.add_argument("--dags", default=env("DAGS"))
    p.add_argument("--plugins", default=env("PLUGINS"))
    p.add_argument("--startup", default=env("STARTUP"))
    p.add_argument("--template", default=env("TEMPLATE"), help="where the options come from")
    p = sub.add_parser("environments")
    p.add_argument("--format", default=env("FORMAT", "text"), help="text or json (FORMAT)")
    p = sub.add_parser("review")
    p.add_argument("--base", default=env("BASE", "HEAD"), help="git revision out/ is compared with (BASE)")
    p.add_argument("--old", default=env("OLD"), help="compare this template file (OLD) ...")
    p.add_argument("--new", default=env("NEW"), help="... with this one (NEW)")
    p.add_argument("--format", default=env("FORMAT", "text"), help="text, markdown or json (FORMAT)")
    p.add_argument("--allow", default=env("ALLOW"), help="dangers accepted: logical ids, comma-separated (ALLOW)")
    sub.add_parser("outputs")
    sub.add_parser("status")
    sub.add_parser("history")
    p = sub.add_parser("verify")
    p.add_argument("--verify-timeout", default=env("VERIFY_TIMEOUT"), help="how long to wait for the parse")
    p = sub.add_parser("rollback")
    p.add_argument("--to", default=env("TO"), help="the release, or the commit it was made from (TO)")
    p.add_argument("--yes", default=env("YES"), help="flag: skip the confirmation")
    p.add_argument("--nowait", default=env("NOWAIT"), help="flag: do not wait for the environment update")
    p.add_argument("--noverify", default=env("NOVERIFY"), help="flag: do not check the DAGs registered")
    p.add_argument("--verify-timeout", default=env("VERIFY_TIMEOUT"), help="how long to wait for the parse")
    sub.add_parser("drift")
    p = sub.add_parser("logs")
    p.add_argument("--type", default=env("TYPE", "task"), help=", ".join(LOG_TYPES))
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
