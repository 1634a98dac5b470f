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
from dataclasses import replace
from typing import Any

from .aws import Aws, GaveUp, wait_for
from .errors import OpsError
from .inputs import LOG_TYPES
from .mwaa import environment_of
from .text import printable, printable_lines

FOLLOW_POLL_SECONDS = 2.0


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
    module = environment.get("LoggingConfiguration", {}).get(LOG_TYPES[kind], {})
    arn = module.get("CloudWatchLogGroupArn")
    if not module.get("Enabled") or not arn:
        raise OpsError(f"{kind} logs are off for {environment['Name']} (disabled_log_types in its settings)")
    return arn.split(":log-group:", 1)[1].split(":", 1)[0]


def logs(
    aws: Aws, stack: str, kind: str, since: float, follow: bool, dag: str = "", run: str = "", task: str = ""
) -> int:
    environment = environment_of(aws, stack)
    group = group_of(environment, kind)
    prefix, pattern = stream_filter(dag, run, task)
    client = aws.client("logs")
    start = int((time.time() - since) * 1000)  # where the next read starts (ms)
    seen: set[str] = set()

    def printed() -> int | None:
        nonlocal start
        start = _print_events(client, group, start, prefix, pattern, seen)
        return None if follow else 0

    timeouts = replace(aws.timeouts, poll=min(aws.timeouts.poll, FOLLOW_POLL_SECONDS))
    try:
        return wait_for(printed, f"new events of {group}", timeouts)
    except GaveUp:
        print(f"(stopped following {group} after {aws.timeouts.total:g} s: TIMEOUT)")
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
