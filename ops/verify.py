"""Did the environment take the release?  After `make sync` (and alone, `make verify`), ask
the environment's own Airflow, through InvokeRestApi, until every DAG file uploaded has been
parsed since the upload: into DAGs, or into an import error, which is MWAA's own verdict of
its image, its installed requirements and its network on the file.

Which files are expected to hold DAGs: the ``.py`` files whose text holds both "airflow"
and "dag" (any case), Airflow's DAG-discovery safe mode applies before it parses a
file (Airflow's configuration reference, ``core.dag_discovery_safe_mode``, on by default),
and that build a DAG (``DAG(``, ``@dag``, ``dag(``): a helper module is not waited for.
A ``.zip`` in the DAG folder is not checked.

How long: ``VERIFY_TIMEOUT``, by default the environment's own scan interval plus the
per-file interval plus the import timeout, plus a minute (Airflow's defaults, 300 + 30 + 30
s, where the environment's options do not set them: ``scheduler.dag_dir_list_interval``
and ``scheduler.min_file_process_interval`` on Airflow 2, ``dag_processor.refresh_interval``
and ``dag_processor.min_file_process_interval`` on Airflow 3, ``core.dagbag_import_timeout``).
That MWAA keeps Airflow's defaults for these is not stated in the user guide: unverified.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime
import re
from collections.abc import Mapping
from typing import Any

from .aws import Aws, GaveUp, wait_for
from .errors import OpsError, field
from .mwaa import rest
from .text import printable, printable_lines

PAGE = 100
MARGIN = 60.0
SCAN_DEFAULTS = {  # major -> (scan interval option, per-file interval option), Airflow's defaults 300 and 30
    2: ("scheduler.dag_dir_list_interval", "scheduler.min_file_process_interval"),
    3: ("dag_processor.refresh_interval", "dag_processor.min_file_process_interval"),
}
ERROR_LINES = 6  # of a stack trace, in the verdict
MAX_READ = 16 * 1024 * 1024  # a DAG file larger than this is not read by `make verify`


BUILDS_A_DAG = re.compile(rb"\bDAG\s*\(|@dag\b|\bdag\s*\(")  # DAG(...), with DAG(...), @dag, dag(...)


def expects_dags(content: bytes) -> bool:
    """Whether Airflow should find DAGs in a file: it passes the safe-mode test and builds one.
    A module that only imports DAG yields none, and Airflow's API cannot tell "parsed, no DAG"
    from "not parsed yet": such a file is not waited for."""
    lowered = content.lower()
    return b"airflow" in lowered and b"dag" in lowered and BUILDS_A_DAG.search(content) is not None


def default_timeout(environment: dict[str, Any]) -> float:
    options = environment.get("AirflowConfigurationOptions") or {}
    major = int(str(environment["AirflowVersion"]).split(".")[0])
    scan, per_file = SCAN_DEFAULTS[3 if major >= 3 else 2]

    def seconds(key: str, default: float) -> float:
        try:
            return float(options.get(key, default))
        except (TypeError, ValueError):
            return default

    return seconds(scan, 300) + seconds(per_file, 30) + seconds("core.dagbag_import_timeout", 30) + MARGIN


def _listed(aws: Aws, name: str, path: str, key: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    while True:
        answer = rest(aws, name, "GET", path, query={"limit": str(PAGE), "offset": str(len(found))})
        page = field(answer, key, list, f"GET {path}")
        found += [item for item in page if isinstance(item, dict)]
        total = answer.get("total_entries")
        if not page or not isinstance(total, int) or len(found) >= total:
            return found


def _when(value: object) -> datetime.datetime | None:
    try:
        parsed = datetime.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=datetime.UTC)


def _same_file(reported: object, relative: str) -> bool:
    """An Airflow path (absolute on Airflow 2, relative to the bundle on 3) names ``relative``."""
    text = str(reported)
    return text == relative or text.endswith("/" + relative)


def verdict(
    dags: list[dict[str, Any]], errors: list[dict[str, Any]], expected: dict[str, datetime.datetime | None]
) -> tuple[dict[str, str], dict[str, list[str]], list[str]]:
    """(file -> import error, file -> DAG ids, files still waited for); ``expected``: each
    file and the upload it must have been parsed after (None: any parse counts)."""
    failed, registered, pending = {}, {}, []
    for relative, since in sorted(expected.items()):
        mine = [e for e in errors if _same_file(e.get("filename"), relative)]
        fresh_error = [e for e in mine if since is None or (_when(e.get("timestamp")) or since) >= since]
        ids = [
            str(d.get("dag_id"))
            for d in dags
            if _same_file(d.get("fileloc"), relative)
            and (since is None or (_when(d.get("last_parsed_time")) or since) >= since)
        ]
        if fresh_error:
            failed[relative] = str(fresh_error[0].get("stack_trace", "no stack trace"))
        elif ids:
            registered[relative] = sorted(ids)
        else:
            pending.append(relative)
    return failed, registered, pending


def verify(aws: Aws, name: str, expected: dict[str, datetime.datetime | None], timeout: float) -> int:
    """Poll until each expected file (relative to the DAG folder) is parsed; 1 naming each
    import error and each file whose DAGs never appeared, 0 when all registered."""
    if not expected:
        print("verify: no DAG file to wait for")
        return 0
    print(f"verify: waiting for {name} to parse {len(expected)} DAG file(s) (at most {timeout:g} s, VERIFY_TIMEOUT)")
    last: dict[str, Any] = {}

    def parsed() -> bool | None:
        dags, errors = _listed(aws, name, "/dags", "dags"), _listed(aws, name, "/importErrors", "import_errors")
        last["result"] = verdict(dags, errors, expected)
        return True if not last["result"][2] else None

    with contextlib.suppress(GaveUp):  # what is still pending is the verdict, below
        wait_for(parsed, f"{name} to parse the DAG files", dataclasses.replace(aws.timeouts, total=timeout))
    failed, registered, pending = last.get("result", ({}, {}, sorted(expected)))
    for relative, trace in failed.items():
        lines = [line for line in printable_lines(trace) if line.strip()][-ERROR_LINES:]
        print(f"verify: {printable(relative)}: MWAA's import error: {' | '.join(lines)}")
    for relative in pending:
        print(f"verify: {printable(relative)}: no DAG from it was parsed after the upload within {timeout:g} s")
    for relative, ids in registered.items():
        print(f"verify: {printable(relative)}: {', '.join(map(printable, ids))}")
    if failed or pending:
        raise OpsError(f"{len(failed)} import error(s), {len(pending)} file(s) not registered in {name}")
    print(f"verify: all {len(registered)} DAG file(s) registered in {name}")
    return 0


def upload_mark() -> datetime.datetime:
    """The moment uploads start, as the parse times are compared with it: S3 and Airflow stamp
    to the second, so a parse after the upload is one at or after the second before this."""
    return datetime.datetime.now(datetime.UTC).replace(microsecond=0) - datetime.timedelta(seconds=1)


def expected_files(
    bodies: Mapping[str, bytes], dag_path: str, since: Mapping[str, datetime.datetime]
) -> dict[str, datetime.datetime | None]:
    """The DAG files among ``bodies`` (S3 key -> content), relative to the DAG folder, each
    with the upload it must have been parsed after: ``since`` (by key), else any parse counts."""
    prefix = dag_path.strip("/") + "/"
    return {
        key.removeprefix(prefix): since.get(key)
        for key, body in bodies.items()
        if key.startswith(prefix) and key.endswith(".py") and expects_dags(body)
    }


def run_alone(aws: Aws, stack: str, timeout: float) -> int:
    """`make verify`: the DAG files now in the bucket, any parse of them counting."""
    from .mwaa import stack_environment

    _, name, environment, bucket, dag_path = stack_environment(aws, stack)
    listed = [o for o in bucket.objects(f"{dag_path}/") if o["Key"].endswith(".py")]
    bodies = {o["Key"]: bucket.read(o["Key"], MAX_READ) for o in listed if o.get("Size", 0) <= MAX_READ}
    expected = expected_files(bodies, dag_path, {})
    return verify(aws, name, expected, timeout or default_timeout(environment))
