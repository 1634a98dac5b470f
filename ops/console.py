"""What the operator's terminal shows: aligned tables, durations, and the live display of a
long operation (permanent lines above, one status line below).  Every cell and line that
holds outside text goes through :func:`~ops.text.printable`.

On a terminal the status line stays in place under the lines (rich); elsewhere (CI logs,
pipes) everything is plain lines without escape codes, and the status line is printed only
when what it says changes, not every poll.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterable
from typing import Any

from .text import printable


def confirm(stack: str, question: str, refusal: str, nothing: str) -> None:
    """Ask at a terminal for the stack's name before a change that loses something; ``refusal``
    (no terminal) and ``nothing`` ("nothing deleted") end the one error line otherwise."""
    from .errors import UsageError

    if not sys.stdin.isatty():
        raise UsageError(refusal)
    try:
        answer = input(f"{question} Type the stack name: ")
    except EOFError:
        raise UsageError(f"no answer; {nothing}") from None
    if answer.strip() != stack:
        raise UsageError(f"not confirmed; {nothing}")


def table(rows: Iterable[tuple[object, ...]], header: tuple[str, ...]) -> str:
    """Aligned columns; every cell made printable (cells come from AWS)."""
    rows = [tuple(printable(cell, 300) for cell in row) for row in rows]
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in [header, *rows]]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def elapsed(started: float) -> str:
    """Time since ``started`` (a monotonic reading) as 3m07s."""
    return minutes(time.monotonic() - started)


def minutes(seconds: float) -> str:
    return f"{int(seconds) // 60:d}m{int(seconds) % 60:02d}s"


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
