#!/usr/bin/env python3
"""Benchmark: `python -m ops review` over every template in out/, warm, as fresh processes.

Against ``BASE`` = ten commits back (or the oldest commit when there are fewer), so the
templates really differ and are parsed and compared, not skipped as unchanged.  The goal is
well under a second on 2 cores.  A benchmark, not a test: it reports and never fails CI.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RUNS = int(os.environ.get("BENCH_RUNS", "7"))
GOAL_SECONDS = 1.0


def main() -> None:
    commits = subprocess.run(
        ["git", "-C", str(ROOT), "rev-list", "--max-count=11", "HEAD"], capture_output=True, text=True
    )
    base = (commits.stdout.split() or ["HEAD"])[-1]
    argv = [sys.executable, "-m", "ops", "review", "--base", base, "--allow", ""]
    env = {k: v for k, v in os.environ.items() if not k.startswith("MWAA_STACK_")}
    times = []
    for run in range(RUNS + 1):
        started = time.perf_counter()
        subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, check=False)
        if run:  # the first warms the byte-code cache
            times.append(time.perf_counter() - started)
    median = statistics.median(times)
    print(
        f"make review against {base[:12]}: median {median:.3f} s "
        f"(min {min(times):.3f}, max {max(times):.3f}), {RUNS} runs"
    )
    print(f"{'meets' if median < GOAL_SECONDS else 'MISSES'} the goal of < {GOAL_SECONDS:g} s")


if __name__ == "__main__":
    main()
