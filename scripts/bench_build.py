#!/usr/bin/env python3
"""Benchmark: wall time and peak memory of `python build.py` building every template.

Runs the real CLI as a fresh process each time (imports included, as a user
pays them), into a temporary folder, and prints the median and the spread.
A benchmark, not a test: it reports against the goal and never fails CI.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RUNS = int(os.environ.get("BENCH_RUNS", "15"))
GOAL_SECONDS, GOAL_MIB = 0.25, 60


def run_once(out: str) -> tuple[float, float]:
    start = time.perf_counter()
    pid = os.posix_spawn(
        sys.executable,
        [sys.executable, str(ROOT / "build.py"), "--out", out],
        os.environ,
        file_actions=[(os.POSIX_SPAWN_OPEN, 1, os.devnull, os.O_WRONLY, 0)],
    )
    _, status, usage = os.wait4(pid, 0)
    elapsed = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit("build.py failed")
    return elapsed, usage.ru_maxrss / 1024  # Linux reports KiB


def main() -> None:
    with tempfile.TemporaryDirectory() as out:
        run_once(out)  # warm the byte-code cache, as every later build is
        samples = [run_once(out) for _ in range(RUNS)]
        count = len(list(Path(out).glob("*.yaml")))
    times = sorted(t for t, _ in samples)
    peak = max(m for _, m in samples)
    median = statistics.median(times)
    print(
        f"build.py, {count} template(s), {RUNS} runs on {os.cpu_count()} cores: "
        f"median {median:.3f} s (min {times[0]:.3f}, max {times[-1]:.3f}), peak RSS {peak:.1f} MiB"
    )
    verdict = "meets" if median <= GOAL_SECONDS and peak <= GOAL_MIB else "MISSES"
    print(f"{verdict} the goal of <= {GOAL_SECONDS} s and <= {GOAL_MIB} MiB")


if __name__ == "__main__":
    main()
