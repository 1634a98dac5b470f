"""Text that did not come from the project, made safe to print.  The ground floor of
``ops``: it imports nothing of the project, and every printing module imports it.

Whatever AWS, Airflow, a task's log, pip or a file name sends can hold terminal control
sequences: ``ESC ] 0;title BEL`` renames the window, ``ESC [2J`` clears the screen,
``ESC [8m`` hides text, a carriage return overwrites the line, a newline forges another
line.  :func:`printable` turns every C0 and C1 control (tab excepted), DEL and the Unicode
bidirectional overrides into visible escapes (``\\x1b``, ``\\r``, ``\\u202e``), replaces
invalid UTF-8 instead of failing, and cuts long values with a note.  Text that may hold
several lines (a log, CLI output) goes through :func:`printable_lines` instead, split on its
newlines first.  Every print of such text in ``ops`` goes through one of the two.
"""

from __future__ import annotations

import re

LIMIT = 2000  # characters of one value; a log line or an error line is rarely longer
# C0 but tab, DEL, C1, and the bidi embeddings, overrides and isolates (Trojan Source).
UNSAFE = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
NAMED = {"\n": "\\n", "\r": "\\r", "\x1b": "\\x1b"}


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    if char in NAMED:
        return NAMED[char]
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(value: object, limit: int = LIMIT) -> str:
    """``value`` as one line a terminal shows as it is, at most ``limit`` characters of it."""
    if isinstance(value, bytes | bytearray):
        text = bytes(value).decode("utf-8", errors="replace")
    else:
        text = value if isinstance(value, str) else str(value)
    text = text.encode("utf-8", errors="replace").decode("utf-8", errors="replace")  # lone surrogates
    cut = ""
    if len(text) > limit:
        cut = f"… ({len(text) - limit} more characters)"
        text = text[:limit]
    return UNSAFE.sub(_escape, text) + cut


def printable_lines(value: object, limit: int = LIMIT) -> list[str]:
    """Multi-line text (a log, CLI output) as printable lines, one per line it holds."""
    if isinstance(value, bytes | bytearray):
        value = bytes(value).decode("utf-8", errors="replace")
    text = value if isinstance(value, str) else str(value)
    # Split on newlines alone (CRLF counts as one): a bare carriage return is what overwrites a
    # line, so it stays in its line, escaped, where str.splitlines would have honoured it.
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return [printable(line.removesuffix("\r"), limit) for line in lines]
