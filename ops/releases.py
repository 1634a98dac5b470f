"""Every `make sync` is a release, recorded in the environment's bucket outside the DAG path,
read back for `make history` and `make rollback`.

A record, ``releases/<UTC time, to the microsecond>-<commit>.json``::

    {"format": 1, "time": "2026-12-03T12:00:00.123456Z", "commit": "<sha>" | null, "dirty": bool,
     "caller": "<ARN>", "stack": "...", "environment": "...", "dag_path": "dags",
     "objects": [{"key": "dags/x.py", "version_id": "...", "sha256": "...", "etag": "..."}],
     "deleted": ["dags/old.py"],
     "environment_files": {"RequirementsS3ObjectVersion": "...", ...}}

``objects`` holds every key the sync made current, uploaded or already there (with the S3
version the release consists of), so a release can be put back whole; ``environment_files``
the object versions of requirements, plugins and startup script the environment was pointed
at.  Records are data someone else may have written: each is checked for shape, and one that
is not a record is skipped with a warning, never trusted.  `make history` (ops/history.py)
reads them.
"""

from __future__ import annotations

import datetime
import json
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from .aws import Aws
from .bucket import Bucket
from .inputs import COMMIT
from .text import printable

PREFIX = "releases/"  # outside the DAG path: MWAA never parses it, DELETE=1 never touches it
FORMAT = 1
MAX_SHOWN = 50  # releases `make history` reads and lists, newest first
MAX_RECORD_BYTES = 4 * 1024 * 1024


@dataclass(frozen=True)
class Release:
    name: str  # the record's file name without .json
    record: dict[str, Any]

    @property
    def digests(self) -> dict[str, str]:
        return {o["key"]: o["sha256"] for o in self.record["objects"]}

    @property
    def etags(self) -> dict[str, str]:
        return {o["key"]: o.get("etag", "") for o in self.record["objects"]}


def git_state(folder: Path) -> tuple[str | None, bool]:
    """The commit checked out where ``folder`` is, and whether the tree differs from it."""

    def git(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            ["git", "-C", str(folder), *args], capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL
        )

    try:
        head = git("rev-parse", "HEAD")
        if head.returncode != 0 or not COMMIT.fullmatch(head.stdout.strip()):
            return None, False
        return head.stdout.strip(), bool(git("status", "--porcelain", "--untracked-files=normal").stdout.strip())
    except (OSError, subprocess.TimeoutExpired):
        return None, False


def record(
    aws: Aws,
    bucket: str,
    context: dict[str, str],
    dags: Path,
    objects: list[dict[str, str]],
    deleted: list[str],
    environment_files: dict[str, str],
    made_from: tuple[str | None, bool] | None = None,
) -> str:
    """Write the release record; its key.  ``context``: stack, environment and dag_path;
    ``made_from``: the commit and dirtiness to record instead of the DAG folder's (a rollback
    records the release it put back)."""
    now = datetime.datetime.now(datetime.UTC)  # to the microsecond: two syncs never share a name
    commit, dirty = made_from if made_from is not None else git_state(dags)
    caller = aws.client("sts").get_caller_identity().get("Arn", "")
    body = {
        "format": FORMAT,
        "time": now.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "commit": commit,
        "dirty": dirty,
        "caller": caller,
        **context,
        "objects": sorted(objects, key=lambda o: o["key"]),
        "deleted": sorted(deleted),
        "environment_files": dict(sorted(environment_files.items())),
    }
    key = f"{PREFIX}{now.strftime('%Y%m%dT%H%M%S%fZ')}-{(commit or 'nogit')[:12]}.json"
    aws.client("s3").put_object(
        Bucket=bucket, Key=key, Body=json.dumps(body, indent=1).encode(), ContentType="application/json"
    )
    return key


def _checked(record: Any) -> dict[str, Any] | None:
    """The record when it has the shape this module writes, else None."""
    if not isinstance(record, dict) or record.get("format") != FORMAT:
        return None
    objects = record.get("objects")
    if not isinstance(objects, list) or not all(
        isinstance(o, dict) and all(isinstance(o.get(k), str) for k in ("key", "version_id", "sha256")) for o in objects
    ):
        return None
    if not isinstance(record.get("deleted", []), list) or not isinstance(record.get("environment_files", {}), dict):
        return None
    if not isinstance(record.get("time"), str):
        return None
    return record


def releases(bucket: Bucket) -> tuple[list[Release], list[str]]:
    """The newest MAX_SHOWN releases, newest first, and a warning for each record not read."""
    keys = [
        o["Key"] for o in bucket.objects(PREFIX) if o["Key"].endswith(".json") and o.get("Size", 0) <= MAX_RECORD_BYTES
    ]
    found, warnings = [], []
    for key in sorted(keys, reverse=True)[:MAX_SHOWN]:
        try:
            body = _checked(json.loads(bucket.read(key, MAX_RECORD_BYTES)))
        except (ClientError, ValueError, UnicodeDecodeError):
            body = None
        if body is None:
            warnings.append(
                f"history: warning: s3://{printable(bucket.name)}/{printable(key)} is not a release record; skipped"
            )
            continue
        found.append(Release(key.removeprefix(PREFIX).removesuffix(".json"), body))
    found.sort(key=lambda r: (str(r.record["time"]), r.name), reverse=True)
    return found, warnings


def objects_of(puts: dict[str, Any]) -> list[dict[str, str]]:
    """Release objects from ``key -> Put`` (ops.sync)."""
    return [{"key": k, "version_id": p.version, "sha256": p.digest, "etag": p.etag} for k, p in puts.items()]
