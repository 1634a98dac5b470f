"""Live progress of a stack create, update or delete: each stack event as it happens
(time, resource, status, reason), and a status line (resources finished of total, elapsed
time, the MWAA environment's own status from the MWAA API), on ``console.Display``."""

from __future__ import annotations

import time
from collections.abc import Callable

from . import cloudformation, mwaa
from .aws import Aws, wait_for
from .console import Display, elapsed
from .text import printable

FINISHED = ("_COMPLETE", "_FAILED", "_SKIPPED")


def follow_stack(
    aws: Aws,
    stack: str,
    total: int,
    done: Callable[[], bool],
    seen: set[str],
    environment: str | None = None,
    what: str = "",
) -> float:
    """Show ``stack``'s new events and the status line every ``poll`` seconds until ``done()``,
    for at most TIMEOUT (past it, one line naming ``what`` was waited for); returns the
    seconds it took."""
    started = time.monotonic()
    finished: set[str] = set()
    with Display() as display:

        def shown() -> float | None:
            over = done()
            for event in sorted(cloudformation.new_events(aws, stack, seen), key=lambda e: e["Timestamp"]):
                seen.add(event["EventId"])
                status = event.get("ResourceStatus", "")
                if event["LogicalResourceId"] != stack and status.endswith(FINISHED):
                    finished.add(event["LogicalResourceId"])
                display.line(
                    f"{event['Timestamp']:%H:%M:%S}  {printable(event['LogicalResourceId']):<34} "
                    f"{printable(status):<20} {printable(event.get('ResourceStatusReason') or '')}".rstrip()
                )
            state = mwaa.status_of(aws, environment)
            text = f"{min(len(finished), total)}/{total} resources finished, {elapsed(started)}"
            display.status((len(finished), state), text + (f"; MWAA environment {printable(state)}" if state else ""))
            return time.monotonic() - started if over else None

        return wait_for(shown, what or f"stack {stack} to finish changing", aws.timeouts)
