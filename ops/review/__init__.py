"""`make review`: what a change to the templates does, offline, for a reviewer.

Every template in ``out/`` at git revision ``BASE`` against ``out/`` in the work tree
(``OLD=``/``NEW=`` compare two files instead), reviewed by ``engine.py`` and written by
``render.py`` as text, Markdown (a pull-request comment) or JSON.  Nothing but git and the
template files is read; no AWS call is made.  Exit 1 when a danger is not accepted by
``ALLOW`` (logical ids, parameter or output names), 0 otherwise, 2 on bad input.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from ..errors import OpsError, UsageError
from ..overrides import parse_template, read_template
from . import render
from .engine import Review, review

ROOT = Path(__file__).resolve().parents[2]
GIT_REVISION = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/@{}~^-]{0,199}")


def check_base(base: str) -> str:
    if not known_revision(base):
        raise UsageError(f"BASE={base!r} is not a revision of this repository")
    return base


def known_revision(base: str) -> bool:
    """Whether ``base`` is a well-formed name (else UsageError) of a commit of this repository."""
    if not GIT_REVISION.fullmatch(base) or ".." in base:
        raise UsageError(f"BASE={base!r} is not a git revision name (letters, digits and ._/@{{}}~^-)")
    return _git("rev-parse", "--verify", "--quiet", "--end-of-options", f"{base}^{{commit}}") is not None


def _git(*args: str) -> str | None:
    try:
        done = subprocess.run(["git", "-C", str(ROOT), "--no-pager", *args], capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout if done.returncode == 0 else None


def at_base(base: str) -> dict[str, str]:
    """out/'s templates as revision ``base`` has them: name -> text."""
    listed = _git("ls-tree", "--name-only", "--end-of-options", base, "out/") or ""
    found = {}
    for name in sorted(line for line in listed.splitlines() if line.endswith((".yaml", ".yml", ".json"))):
        text = _git("show", "--end-of-options", f"{base}:{name}")
        if text is not None:
            found[name] = text
    return found


def in_work_tree() -> dict[str, str]:
    found = {}
    for path in sorted((ROOT / "out").glob("*")):
        if path.suffix in (".yaml", ".yml", ".json") and path.is_file():
            try:
                found[f"out/{path.name}"] = path.read_text(encoding="utf-8")
            except UnicodeDecodeError:
                raise UsageError(f"out: {path} is not UTF-8 text") from None
    return found


def _compared(name: str, base: str, before: str | None, after: str | None) -> Review:
    if before is not None and before == after:
        return Review(name, "unchanged")  # the same text: nothing to parse
    old = parse_template(before, f"{base}:{name}") if before is not None else None
    new = parse_template(after, name) if after is not None else None
    return review(name, old, new)


def check_fresh() -> None:
    """Refuse a stale out/: the review must be of what build.py makes from this tree."""
    sys.path.insert(0, str(ROOT))
    from build import build, differing, orphans

    wanted = build()
    stale = differing(ROOT / "out", wanted) + orphans(ROOT / "out", wanted)
    if stale:
        raise UsageError(f"out/ is stale ({', '.join(stale)}): run `make template` first, then review")


def reviews(base: str, old: Path | None, new: Path | None, fresh: bool = True) -> tuple[str, list[Review]]:
    if (old is None) != (new is None):
        raise UsageError("OLD and NEW go together: make review OLD=<template> NEW=<template>")
    if old is not None and new is not None:
        return f"OLD={old}", [review(str(new), read_template(old, "OLD")[1], read_template(new, "NEW")[1])]
    base = check_base(base)
    if fresh:
        check_fresh()
    before, after = at_base(base), in_work_tree()
    return base, [_compared(name, base, before.get(name), after.get(name)) for name in sorted(set(before) | set(after))]


def run(
    base: str, old: Path | None, new: Path | None, form: str, allow: frozenset[str], exit_on_danger: bool = True
) -> int:
    """Print the review; with ``exit_on_danger`` (make review) an unaccepted danger fails it, while
    make diff's first half only informs, and reviews out/ as it is (stale or not)."""
    label, found = reviews(base, old, new, fresh=exit_on_danger)
    text = {"text": render.text, "markdown": render.markdown, "json": render.as_json}[form](label, found, allow)
    sys.stdout.write(text)
    unaccepted = [d for r in found for d in r.dangers if d["id"] not in allow]
    if unaccepted and exit_on_danger:
        raise OpsError(
            f"{len(unaccepted)} danger(s) not accepted: {', '.join(sorted({d['id'] for d in unaccepted}))} "
            "(ALLOW=<id>,... accepts them)"
        )
    return 0
