#!/usr/bin/env python3
"""Benchmark: `make preflight` on the repository's DAG tree, warm (unchanged tree, the
requirements' venv cached), and after a one-line requirements change (a package the
project's Airflow lacks, installed once into a new cached folder; the package index
must be reachable for that part).

Runs the real command as a fresh process each time, on a copy of dags/, so the
repository's own cache and tree are untouched.  A benchmark, not a test.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RUNS = int(os.environ.get("BENCH_RUNS", "5"))
GOAL_SECONDS = 15.0
# Not in the project's Airflow: the change makes preflight install it into a new cache entry.
ADDED_REQUIREMENT = "toolz==1.2.0"


def preflight(dags: Path, cache: Path) -> float:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MWAA_STACK_")}
    others: list[str] = []  # no plugins or startup script: the DAG check is what is measured
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "ops", "preflight", "--dags", str(dags), *others],
        cwd=ROOT,
        env={**env, "MWAA_STACK_PREFLIGHT_CACHE": str(cache)},
        capture_output=True,
        text=True,
        check=False,
    )
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"preflight failed:\n{done.stdout}{done.stderr}")
    return elapsed


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="mwaa-stack-bench-preflight-") as tmp:
        dags, cache = Path(tmp) / "dags", Path(tmp) / "cache"
        shutil.copytree(ROOT / "dags", dags, ignore=shutil.ignore_patterns("__pycache__"))
        preflight(dags, cache)  # warm: byte code, the cached requirements folder
        warm = sorted(preflight(dags, cache) for _ in range(RUNS))
        print(
            f"make preflight, unchanged tree, {RUNS} runs on {os.cpu_count()} cores: median "
            f"{statistics.median(warm):.1f} s (min {warm[0]:.1f}, max {warm[-1]:.1f}); goal <= {GOAL_SECONDS:g} s: "
            + ("meets" if statistics.median(warm) <= GOAL_SECONDS else "MISSES")
        )
        with (dags / "requirements.txt").open("a") as requirements:
            requirements.write(f"{ADDED_REQUIREMENT}\n")
        changed = preflight(dags, cache)
        again = preflight(dags, cache)
        print(
            f"make preflight after adding {ADDED_REQUIREMENT} to requirements.txt: {changed:.1f} s "
            f"(installs it once), then {again:.1f} s (cached)"
        )


if __name__ == "__main__":
    main()
