"""What goes wrong, and the one line it ends in: the error classes every layer raises (the
pure modules and the offline preflight and review included, which import nothing of AWS),
the shape check of an answer from AWS or Airflow, and ``fail``, the one error line.

Exit statuses: 2 for bad input (nothing changed), 1 for what AWS or Airflow answered or
could not be asked, 130 when interrupted.
"""

from __future__ import annotations

import sys
from typing import Any

from .text import printable


class OpsError(Exception):
    """A failure to report in one line; ``code`` is the exit status."""

    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.code = code


class UsageError(OpsError):
    """Bad input: exit status 2, and nothing was changed."""

    def __init__(self, message: str) -> None:
        super().__init__(message, 2)


class ShapeError(Exception):
    """An answer from AWS or Airflow that lacks a field or has one of the wrong type."""


def field(answer: Any, name: str, kind: type | tuple[type, ...], api: str) -> Any:
    """``answer[name]`` when ``answer`` is a mapping holding a value of ``kind`` there; else
    :class:`ShapeError` in one line naming the API, the field and what came."""
    if not isinstance(answer, dict):
        raise ShapeError(f"{api} answered {_kind(answer)} where an object with {name!r} belongs: {_sample(answer)}")
    if name not in answer:
        raise ShapeError(f"{api} answered without {name!r}: {_sample(answer)}")
    value = answer[name]
    if not isinstance(value, kind):
        wanted = " or ".join(k.__name__ for k in (kind if isinstance(kind, tuple) else (kind,)))
        raise ShapeError(f"{api} answered {name!r} as {_kind(value)}, not {wanted}: {_sample(value)}")
    return value


def _kind(value: Any) -> str:
    return "null" if value is None else type(value).__name__


def _sample(value: Any) -> str:
    return printable(repr(value), 200)


def fail(message: str, code: int) -> int:
    """The one error line on stderr; its text may hold what AWS, Airflow or a file name said."""
    print(f"mwaa-stack: error: {printable(message)}", file=sys.stderr)
    return code
