"""Benchmark: how long parsing dags/ takes, provider imports included.

Each sample is a fresh interpreter that imports Airflow (what every DAG
processor has already paid for), then fills a DagBag from dags/; the sample is
the DagBag's own per-file parse duration, which includes the file's first
import of the Amazon provider's EMR operators.  A benchmark, not a test.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RUNS = int(os.environ.get("BENCH_RUNS", "7"))
GOAL_SECONDS = 0.2

PROBE = """
import json, airflow
try:
    from airflow.dag_processing.dagbag import DagBag
except ImportError:
    from airflow.models import DagBag
bag = DagBag(dag_folder=%r)
assert not bag.import_errors, bag.import_errors
print(json.dumps({s.file: s.duration.total_seconds() for s in bag.dagbag_stats}))
"""


def main() -> None:
    env = {
        **os.environ,
        "AIRFLOW_HOME": tempfile.mkdtemp(prefix="mwaa-stack-bench-"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
    }
    samples: dict[str, list[float]] = {}
    for _ in range(RUNS):
        out = (
            subprocess.run(
                [sys.executable, "-c", PROBE % str(ROOT / "dags")], env=env, check=True, capture_output=True, text=True
            )
            .stdout.strip()
            .splitlines()[-1]
        )
        for name, seconds in json.loads(out).items():
            samples.setdefault(name, []).append(seconds)
    import airflow

    for name, times in sorted(samples.items()):
        median = statistics.median(times)
        verdict = "meets" if median <= GOAL_SECONDS else "MISSES"
        print(
            f"Airflow {airflow.__version__}: {Path(name).name} parses in median {median:.3f} s "
            f"(min {min(times):.3f}, max {max(times):.3f}, {RUNS} fresh processes); "
            f"{verdict} the goal of <= {GOAL_SECONDS} s"
        )


if __name__ == "__main__":
    main()
