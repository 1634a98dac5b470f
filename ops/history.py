"""`make history ENV=<name>`: the releases `make sync` recorded (ops/releases.py), newest
first, what each changed against the one before, and which one the environment runs now."""

from __future__ import annotations

from templates.catalogue import S3_FILES

from .aws import Aws
from .bucket import Bucket
from .cloudformation import outputs_of
from .console import table
from .mwaa import environment_named
from .releases import PREFIX, Release, releases
from .text import printable


def changes(release: Release, before: Release | None) -> list[str]:
    """What ``release`` changed against the one before it."""
    now, then = release.digests, before.digests if before else {}
    added = sorted(set(now) - set(then))
    changed = sorted(k for k in now if k in then and now[k] != then[k])
    gone = sorted(set(release.record.get("deleted", [])))
    files = release.record.get("environment_files", {})
    old_files = before.record.get("environment_files", {}) if before else {}
    moved = sorted(f"{k} {v}" for k, v in files.items() if old_files.get(k) != v)
    parts = []
    for verb, keys in (("added", added), ("changed", changed), ("deleted", gone), ("points at", moved)):
        if keys:
            parts.append(f"{verb} {', '.join(map(printable, keys))}")
    return parts or ["no change"]


def current(found: list[Release], etags: dict[str, str], environment_files: dict[str, str]) -> Release | None:
    """The newest release the environment runs: its objects are the bucket's newest (by ETag)
    and the environment uses its requirements, plugins and startup versions."""
    for release in found:
        same_objects = all(etags.get(k) == e for k, e in release.etags.items() if e)
        files = release.record.get("environment_files", {})
        if same_objects and all(environment_files.get(k) == v for k, v in files.items()):
            return release
    return None


def history(aws: Aws, stack: str) -> int:
    outputs = outputs_of(aws, stack)
    bucket, name = Bucket(aws, outputs["EnvironmentBucketName"]), outputs["MwaaEnvironmentName"]
    found, warnings = releases(bucket)
    for line in warnings:
        print(line)
    if not found:
        print(f"No release of {stack} yet: `make sync` records one in s3://{printable(bucket.name)}/{PREFIX}.")
        return 0
    environment = environment_named(aws, name)
    in_use = {
        f.version_property: str(environment[f.version_property])
        for f in S3_FILES
        if environment.get(f.version_property)
    }
    etags = {o["Key"]: o.get("ETag", "") for o in bucket.objects()}
    running = current(found, etags, in_use)
    rows = []
    for index, release in enumerate(found):
        before = found[index + 1] if index + 1 < len(found) else None
        commit = release.record.get("commit") or "(not a git tree)"
        commit = f"{str(commit)[:12]}{' dirty' if release.record.get('dirty') else ''}"
        rows.append(
            (
                ("* " if release is running else "  ") + printable(release.name),
                printable(release.record["time"]),
                printable(commit),
                printable(release.record.get("caller", "")).rsplit("/", 1)[-1],
                "; ".join(changes(release, before)),
            )
        )
    print(f"Releases of {stack}, newest first (* the environment runs it now):")
    print(table(rows, ("Release", "Time", "Commit", "By", "What it changed")))
    if running is None:
        print("None of these is what the environment runs now: its objects or versions changed outside `make sync`.")
    return 0
