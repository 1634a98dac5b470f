"""Live progress of a stack create, update or delete: each stack event as it happens
(time, resource, status, reason), and a progress line (resources finished of total,
elapsed time, the MWAA environment's own status from the MWAA API).

On a terminal the progress line stays in place under the events (rich); elsewhere (CI
logs, pipes) everything is plain lines without escape codes, and the progress line is
printed only when what it says changes, not every poll.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import Any

from .aws import Aws, elapsed
from .text import printable

FINISHED = ("_COMPLETE", "_FAILED", "_SKIPPED")


class Display:
    """Permanent lines above, one transient status line below (on a terminal)."""

    def __init__(self) -> None:
        self.live: Any = None
        self.last_key: object = None

    def __enter__(self) -> Display:
        if sys.stdout.isatty():
            from rich.console import Console
            from rich.live import Live
            from rich.text import Text

            self.live = Live(Text(""), console=Console(), transient=True, refresh_per_second=4)
            self.live.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.live is not None:
            self.live.stop()

    def line(self, text: str) -> None:
        if self.live is not None:
            self.live.console.print(text, markup=False, highlight=False, soft_wrap=True)
        else:
            print(text, flush=True)

    def status(self, key: object, text: str) -> None:
        if self.live is not None:
            from rich.text import Text

            self.live.update(Text(text))
        elif key != self.last_key:
            print(text, flush=True)
        self.last_key = key


def event_ids(aws: Aws, stack: str) -> set[str]:
    """The events the stack already has: a follow prints only what comes after."""
    try:
        pages = aws.client("cloudformation").get_paginator("describe_stack_events").paginate(StackName=stack)
        return {e["EventId"] for page in pages for e in page["StackEvents"]}
    except Exception:  # no such stack yet
        return set()


def follow_stack(
    aws: Aws, stack: str, total: int, done: Callable[[], bool], seen: set[str], environment: str | None = None
) -> float:
    """Print ``stack``'s new events and the progress line every ``poll`` seconds until ``done()``
    (bounded by TIMEOUT through the operation it watches); returns the seconds it took."""
    cfn = aws.client("cloudformation")
    started = time.monotonic()
    finished: set[str] = set()
    with Display() as display:
        while True:
            over = done()
            events = _new_events(cfn, stack, seen)
            for event in sorted(events, key=lambda e: e["Timestamp"]):
                seen.add(event["EventId"])
                status = event.get("ResourceStatus", "")
                if event["LogicalResourceId"] != stack and status.endswith(FINISHED):
                    finished.add(event["LogicalResourceId"])
                display.line(
                    f"{event['Timestamp']:%H:%M:%S}  {printable(event['LogicalResourceId']):<34} "
                    f"{printable(status):<20} {printable(event.get('ResourceStatusReason') or '')}".rstrip()
                )
            state = _environment_status(aws, environment)
            text = f"{min(len(finished), total)}/{total} resources finished, {elapsed(started)}"
            shown = f"; MWAA environment {printable(state)}" if state else ""
            display.status((len(finished), state), text + shown)
            if over:
                return time.monotonic() - started
            time.sleep(aws.timeouts.poll)


def _new_events(cfn: Any, stack: str, seen: set[str]) -> list[dict[str, Any]]:
    """Every event not yet shown.  Events come newest first, a page at a time: read pages
    until one holds an event already shown (a poll may bring more than one page)."""
    new: list[dict[str, Any]] = []
    try:
        for page in cfn.get_paginator("describe_stack_events").paginate(StackName=stack):
            fresh = [e for e in page["StackEvents"] if e["EventId"] not in seen]
            new += fresh
            if len(fresh) < len(page["StackEvents"]):
                break
    except Exception:  # a deleted stack has no events to read by name
        pass
    return new


def _environment_status(aws: Aws, environment: str | None) -> str | None:
    if not environment:
        return None
    try:
        return aws.client("mwaa").get_environment(Name=environment)["Environment"].get("Status")
    except Exception:  # not created yet, or already gone
        return None
