"""`make logs`: the environment's CloudWatch logs, from the log group the environment
reports for that type (never a name typed by hand).

TYPE is task (default), scheduler, worker, webserver or dag-processing; SINCE how far
back (``1h``); FOLLOW=1 keeps printing new events until Ctrl-C (which ends it cleanly)
or TIMEOUT.  For task logs DAG, RUN and TASK narrow the streams: Airflow names a task's
stream ``dag_id=<dag>/run_id=<run>/task_id=<task>/attempt=<n>.log``.
"""

from __future__ import annotations

import datetime
import re
import time
from typing import Any

from templates.catalogue import LOG_MODULES

from .airflow import environment_of
from .aws import Aws, OpsError, UsageError
from .text import printable, printable_lines

# TYPE -> MWAA's LoggingConfiguration key; task first, the default.
TYPES = {m.log_type: m.configuration for m in sorted(LOG_MODULES, key=lambda m: m.log_type != "task")}
FOLLOW_POLL_SECONDS = 2.0


def check_type(kind: str) -> str:
    if kind not in TYPES:
        raise UsageError(f"TYPE={kind!r}: one of {', '.join(TYPES)}")
    return kind


def stream_filter(dag: str, run: str, task: str) -> tuple[str | None, re.Pattern[str] | None]:
    """The stream-name prefix CloudWatch narrows on (the leading parts given), and the pattern
    every shown stream matches (all parts given: TASK without RUN cannot be a prefix)."""
    parts = [("dag_id", dag), ("run_id", run), ("task_id", task)]
    prefix = ""
    for key, value in parts:
        if not value:
            break
        prefix += f"{key}={value}/"
    wanted = [f"(?=.*(^|/){key}={re.escape(value)}/)" for key, value in parts if value]
    return prefix or None, re.compile("".join(wanted)) if wanted else None


def group_of(environment: dict[str, Any], kind: str) -> str:
    module = environment.get("LoggingConfiguration", {}).get(TYPES[kind], {})
    arn = module.get("CloudWatchLogGroupArn")
    if not module.get("Enabled") or not arn:
        raise OpsError(f"{kind} logs are off for {environment['Name']} (disabled_log_types in its settings)")
    return arn.split(":log-group:", 1)[1].split(":", 1)[0]


def logs(
    aws: Aws, stack: str, kind: str, since: float, follow: bool, dag: str = "", run: str = "", task: str = ""
) -> int:
    if kind != "task" and (dag or run or task):
        raise UsageError("DAG, RUN and TASK narrow task logs only: use TYPE=task")
    environment = environment_of(aws, stack)
    group = group_of(environment, kind)
    prefix, pattern = stream_filter(dag, run, task)
    client = aws.client("logs")
    start = int((time.time() - since) * 1000)
    deadline = time.monotonic() + aws.timeouts.total
    seen: set[str] = set()
    try:
        while True:
            start = _print_events(client, group, start, prefix, pattern, seen)
            if not follow:
                return 0
            if time.monotonic() > deadline:
                print(f"(stopped following {group} after {aws.timeouts.total:g} s: TIMEOUT)")
                return 0
            time.sleep(FOLLOW_POLL_SECONDS)
    except KeyboardInterrupt:
        print(f"(stopped following {group})")
        return 0


def _print_events(client: Any, group: str, start: int, prefix: str | None, pattern, seen: set[str]) -> int:
    """Print the events since ``start`` (ms) not printed yet; returns where the next read starts."""
    arguments: dict[str, Any] = {"logGroupName": group, "startTime": start}
    if prefix:
        arguments["logStreamNamePrefix"] = prefix
    latest = start
    for page in client.get_paginator("filter_log_events").paginate(**arguments):
        for event in page.get("events", []):
            if event["eventId"] in seen or (pattern and not pattern.search(event["logStreamName"])):
                continue
            seen.add(event["eventId"])
            when = datetime.datetime.fromtimestamp(event["timestamp"] / 1000, datetime.UTC)
            stream = printable(event.get("logStreamName", ""))
            for line in printable_lines(event.get("message", "")) or [""]:
                print(f"{when:%Y-%m-%d %H:%M:%S} {stream}  {line.rstrip()}", flush=True)
            latest = max(latest, event["timestamp"])
    return latest
