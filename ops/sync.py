"""`make sync`: the DAG folder to the environment's DAG path, then requirements,
plugins and startup script to the keys the deployed stack names, and the environment
pointed at new object versions when (and only when) their content changed.

Safety rules (README, "make sync"):

* Only regular files whose real path lies inside the folder are read.  A link that
  leaves the folder, or points nowhere, stops the sync before anything is uploaded;
  links to folders are never followed (no cycles, no copies).
* Caches (``__pycache__/``, ``*.pyc``, ``.DS_Store``...) are skipped at every depth.
* Each object carries the SHA-256 of its content as metadata, so an unchanged file,
  however large, is neither uploaded again nor restarts the environment.
* ``delete`` removes objects under the DAG path that the folder no longer has, after
  listing them; never when the folder holds no DAG file, and never an object the
  environment reads (requirements, plugins, startup script).
"""

from __future__ import annotations

import datetime
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from templates.catalogue import PLUGINS, REQUIREMENTS, S3_FILES, STARTUP_SCRIPT, S3File

from . import cloudformation, mwaa, releases, verify
from .aws import Aws
from .bucket import Bucket, Put
from .cloudformation import Outputs
from .console import elapsed
from .errors import OpsError, UsageError
from .sync_plan import (
    DAG_SUFFIXES,
    DIGEST_KEY,
    FileState,
    in_use_version,
    local_files,
    managed_paths,
    plan_bumps,
    stale_keys,
    target_key,
    zip_folder,
)
from .text import printable


def sync(
    aws: Aws,
    stack: str,
    dags: Path,
    plugins: Path | None,
    startup: Path | None,
    delete: bool,
    wait: bool = True,
    verify_timeout: float | None = 0.0,
) -> int:
    """``verify_timeout``: how long to wait for the environment to parse the DAG files (0: its
    own default, ops/verify.py); None skips the check."""
    files = local_files(dags, "DAGS")
    if delete and not any(name.endswith(DAG_SUFFIXES) for name in files):
        raise UsageError(
            f"DAGS: {dags} holds no DAG file (.py or .zip): refusing DELETE=1, which would delete "
            "every DAG of the environment"
        )
    plugin_bytes = None
    if plugins is not None and plugins.is_dir():
        plugin_bytes = zip_folder(plugins)
    elif plugins is not None and plugins.is_file() and plugins.suffix == ".zip":
        plugin_bytes = plugins.read_bytes()  # a plugins.zip of the team's own: uploaded as it is
    startup_bytes = startup.read_bytes() if startup is not None and startup.is_file() else None

    outputs, name, environment, bucket, dag_path = mwaa.stack_environment(aws, stack)
    managed = managed_of(aws, stack, outputs)

    started = verify.upload_mark()
    bodies = {relative: path.read_bytes() for relative, path in files.items()}
    puts = {
        f"{dag_path}/{relative}": bucket.put_if_changed(f"{dag_path}/{relative}", body)
        for relative, body in bodies.items()
    }
    uploaded = set(puts)
    changed = sum(put.changed for put in puts.values())
    print(
        f"Synced {dags}/ to s3://{bucket.name}/{dag_path}/: {changed} of {len(files)} file(s) uploaded"
        + ("" if delete else " (objects only in S3 were kept; DELETE=1 removes them)")
    )

    contents = {
        REQUIREMENTS: (dags / "requirements.txt").read_bytes() if "requirements.txt" in files else None,
        PLUGINS: plugin_bytes,
        STARTUP_SCRIPT: startup_bytes,
    }
    states = []
    for file, content in contents.items():
        if content is None:
            continue
        key = target_key(file, managed, environment, dag_path)
        puts[key] = bucket.put_if_changed(key, content)
        states.append(_state(bucket, file, key, puts[key], environment))

    doomed: list[str] = []
    if delete:
        protected = [str(environment[f.path_property]) for f in S3_FILES if environment.get(f.path_property)]
        doomed, kept = stale_keys(bucket.keys(f"{dag_path}/"), uploaded, [*protected, *managed.values()])
        for key in kept:
            print(f"kept: s3://{bucket.name}/{printable(key)} (the environment reads it)")
        for key in doomed:
            print(f"delete: s3://{bucket.name}/{printable(key)}")
        bucket.delete(doomed)

    updating = point_environment_at(aws, outputs.stack, name, states, managed)
    context = {"stack": stack, "environment": name, "dag_path": dag_path}
    files_used = {s.file.version_property: s.pointed_version for s in states}
    key = releases.record(aws, bucket.name, context, dags, releases.objects_of(puts), doomed, files_used)
    print(f"Release recorded: s3://{printable(bucket.name)}/{printable(key)} (`make history` lists them)")

    def expected() -> dict[str, datetime.datetime | None]:
        fresh = {key: started for key, put in puts.items() if put.changed}
        return verify.expected_files({f"{dag_path}/{r}": body for r, body in bodies.items()}, dag_path, fresh)

    return finish(aws, name, environment, updating, wait, verify_timeout, expected)


def managed_of(aws: Aws, stack: str, outputs: Outputs) -> dict[str, str]:
    """The S3 paths the deployed template's parameters set (sync_plan.managed_paths)."""
    parameters = [p["ParameterKey"] for p in outputs.stack.get("Parameters", [])]
    return managed_paths(cloudformation.deployed_template(aws, stack), parameters)


def finish(
    aws: Aws,
    name: str,
    environment: Mapping[str, Any],
    updating: bool,
    wait: bool,
    verify_timeout: float | None,
    expected: Callable[[], dict[str, datetime.datetime | None]],
) -> int:
    """After a release (sync, rollback): wait for the environment's update unless NOWAIT, then
    check its DAGs registered unless NOVERIFY (``verify_timeout`` None); ``expected`` is
    asked only then."""
    if updating and not wait:
        print(f"Not waiting (NOWAIT=1): `make status` shows when {name} is AVAILABLE again; `make verify` then.")
        return 0
    if updating:
        wait_until_available(aws, name)
    if verify_timeout is None:
        print("verify: skipped (NOVERIFY=1)")
        return 0
    return verify.verify(aws, name, expected(), verify_timeout or verify.default_timeout(dict(environment)))


def wait_until_available(aws: Aws, name: str) -> int:
    """Follow the environment's update to its end: each status change with the time taken;
    exit status 1 with MWAA's own error when the update failed."""
    started = time.monotonic()

    def seen(status: str) -> None:
        print(f"  {elapsed(started)}  {name} is {printable(status)}", flush=True)

    environment = mwaa.settle(aws, name, seen)
    status = environment.get("Status")
    if status == "AVAILABLE":
        print(f"Environment {name} is AVAILABLE after {elapsed(started)}.")
        return 0
    error = (environment.get("LastUpdate") or {}).get("Error") or {}
    detail = f"{error.get('ErrorCode', '')}: {error.get('ErrorMessage', '')}".strip(": ") or "MWAA gave no reason"
    raise OpsError(f"the update of {name} ended {status} after {elapsed(started)}: {detail}")


def _state(bucket: Bucket, file: S3File, key: str, latest: Put, environment: Mapping[str, Any]) -> FileState:
    """``latest`` and the version the environment uses, if it uses one of ``key`` that still exists.
    An object without our digest (uploaded by something else) counts as different content."""
    version = in_use_version(file, key, environment)
    in_use = bucket.head(key, version) if version else None
    if in_use is None:
        return FileState(file, key, latest.version, latest.digest)
    return FileState(file, key, latest.version, latest.digest, version, in_use.get("Metadata", {}).get(DIGEST_KEY))


def point_environment_at(
    aws: Aws, stack: Mapping[str, Any], environment: str, states: list[FileState], managed: Mapping[str, str]
) -> bool:
    """Make the environment use the newest object versions (MWAA ignores a changed file
    otherwise); whether the environment is updating now."""
    if not states:
        return False
    through_stack, through_api = plan_bumps(states, managed)
    if not through_stack and not through_api:
        current = ", ".join(sorted(printable(s.key) for s in states))
        print(f"Environment {environment} already uses the current {current}.")
        return False
    if through_stack:
        cloudformation.update_parameters(aws, stack, through_stack)
    if through_api:
        aws.client("mwaa").update_environment(Name=environment, **through_api)
    print(f"Updating environment {environment} (MWAA restarts its components; this takes a while):")
    for name, value in sorted({**through_stack, **through_api}.items()):
        print(f"  {name} = {printable(value)}" + ("  (stack parameter)" if name in through_stack else ""))
    return True
