"""`make rollback ENV=<name> TO=<release or commit>`: a recorded release (ops/releases.py) put
back, as a new release, history kept.

1. each object of the release whose newest version holds other content is copied from the
   recorded version back to the newest (S3 keeps every version in between);
2. DAG files added since are deleted, each printed first: only keys under the DAG path, never
   requirements, plugins or startup script, nothing outside the DAG path;
3. the environment is pointed at the release's requirements, plugins and startup versions the
   way `make sync` does it (the stack parameters where the template names them, else the MWAA
   API), and followed until it settles (NOWAIT=1 does not wait);
4. the result is recorded as a new release, and checked as `make sync` checks one: every DAG
   file parsed by the environment (ops/verify.py; NOVERIFY=1 skips it).

It asks first, like `make destroy` (YES=1 skips).  A TO that names no release (its name, or
a commit of 7 or more hex digits it was made from) is refused in one line.
"""

from __future__ import annotations

import datetime
import re
from pathlib import Path

from templates.catalogue import S3_FILES

from . import releases, verify
from .aws import Aws
from .bucket import Put
from .console import confirm
from .errors import UsageError
from .mwaa import stack_environment
from .sync import finish, managed_of, point_environment_at
from .sync_plan import FileState, in_use_version, target_key
from .text import printable

COMMIT_PREFIX = re.compile(r"[0-9a-f]{7,40}")


def chosen(found: list[releases.Release], wanted: str, stack: str) -> releases.Release:
    """The release ``wanted`` names: by its name, else the newest made from that commit."""
    for release in found:
        if release.name == wanted:
            return release
    if COMMIT_PREFIX.fullmatch(wanted):
        for release in found:  # newest first
            if str(release.record.get("commit") or "").startswith(wanted):
                return release
    raise UsageError(
        f"TO={wanted!r}: no release of {stack} has that name or was made from that commit; `make history` lists them"
    )


def rollback(aws: Aws, stack: str, wanted: str, confirmed: bool, wait: bool, verify_timeout: float | None = 0.0) -> int:
    """``verify_timeout`` as for ops.sync.sync: 0 the environment's default, None no check."""
    outputs, name, environment, bucket, dag_path = stack_environment(aws, stack)
    found, warnings = releases.releases(bucket)
    for line in warnings:
        print(line)
    release = chosen(found, wanted, stack)
    managed = managed_of(aws, stack, outputs)
    recorded = {o["key"]: o for o in release.record["objects"]}
    protected = {target_key(f, managed, environment, dag_path) for f in S3_FILES}
    added = sorted(k for k in bucket.keys(f"{dag_path}/") if k not in recorded and k not in protected)
    if not confirmed:
        confirm(
            stack,
            f"Roll stack {stack}'s environment back to release {printable(release.name)} "
            f"({len(recorded)} object(s), {len(added)} DAG file(s) added since deleted)?",
            f"refusing to roll back {stack} without confirmation: run `make rollback TO=... YES=1`",
            "nothing changed",
        )
    started = verify.upload_mark()
    puts: dict[str, Put] = {}
    for key, item in sorted(recorded.items()):
        puts[key] = bucket.restore(key, item["version_id"], item["sha256"])
    for key in added:
        print(f"delete: s3://{printable(bucket.name)}/{printable(key)} (added after {printable(release.name)})")
    bucket.delete(added)
    states = []
    for file in S3_FILES:
        version = release.record.get("environment_files", {}).get(file.version_property)
        if not isinstance(version, str) or not version:
            continue
        key = target_key(file, managed, environment, dag_path)
        in_use = in_use_version(file, key, environment)
        states.append(FileState(file, key, version, puts.get(key, Put(False, version, "")).digest, in_use))
    updating = point_environment_at(aws, outputs.stack, name, states, managed)
    context = {"stack": stack, "environment": name, "dag_path": dag_path, "rollback_of": release.name}
    files_used = {s.file.version_property: s.pointed_version for s in states}
    made_from = (release.record.get("commit"), bool(release.record.get("dirty")))
    key = releases.record(
        aws, bucket.name, context, Path.cwd(), releases.objects_of(puts), added, files_used, made_from
    )
    print(f"Rolled back to {printable(release.name)}; recorded as s3://{printable(bucket.name)}/{printable(key)}")

    def expected() -> dict[str, datetime.datetime | None]:
        dag_files = [key for key in puts if key.startswith(f"{dag_path}/") and key.endswith(".py")]
        fresh = {key: started for key, put in puts.items() if put.changed}
        return verify.expected_files({k: bucket.read(k, verify.MAX_READ) for k in dag_files}, dag_path, fresh)

    return finish(aws, name, environment, updating, wait, verify_timeout, expected)
