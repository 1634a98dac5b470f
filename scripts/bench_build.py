#!/usr/bin/env python3
"""Benchmark: wall time and peak memory of `python build.py`, against a minimal troposphere
template (one bucket, one awacs statement) built by a fresh interpreter the same way.

Runs real processes each time (imports included, as a user pays them), interleaved so both
see the same machine, and prints medians, the spread and the ratio to the floor: all
templates, and one (``environments/prd.toml``).  The goal is at most 2x the floor.  A
benchmark, not a test: it reports against the goal and never fails CI.
"""

from __future__ import annotations

import compileall
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RUNS = int(os.environ.get("BENCH_RUNS", "15"))
GOAL_RATIO, GOAL_MIB = 2.0, 60
MINIMAL = """
from troposphere import Template, s3
from awacs.aws import Allow, PolicyDocument, Statement
from awacs import s3 as s3_actions
t = Template()
b = t.add_resource(s3.Bucket("Bucket"))
t.add_resource(s3.BucketPolicy("Policy", Bucket="b", PolicyDocument=PolicyDocument(
    Statement=[Statement(Effect=Allow, Action=[s3_actions.GetObject], Resource=["*"])])))
open({out!r}, "w").write(t.to_yaml())
"""


def run_once(argv: list[str]) -> tuple[float, float]:
    start = time.perf_counter()
    pid = os.posix_spawn(
        sys.executable,
        [sys.executable, *argv],
        os.environ,
        file_actions=[(os.POSIX_SPAWN_OPEN, 1, os.devnull, os.O_WRONLY, 0)],
    )
    _, status, usage = os.wait4(pid, 0)
    elapsed = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"{argv} failed")
    return elapsed, usage.ru_maxrss / 1024  # Linux reports KiB


def main() -> None:
    with tempfile.TemporaryDirectory() as out:
        commands = {
            "minimal troposphere + awacs template": ["-c", MINIMAL.format(out=f"{out}/minimal.yaml")],
            "build.py, every template": [str(ROOT / "build.py"), "--out", out],
            "build.py, environments/prd.toml": [
                str(ROOT / "build.py"),
                "--settings",
                str(ROOT / "environments" / "prd.toml"),
                "--out",
                f"{out}/one",
            ],
        }
        # Warm the byte-code cache, as every later build is: Python writes it on the first run,
        # and `make template` where PYTHONDONTWRITEBYTECODE says it must not.
        compileall.compile_dir(ROOT / "templates", quiet=1)
        for argv in commands.values():
            run_once(argv)
        samples: dict[str, list[tuple[float, float]]] = {name: [] for name in commands}
        for _ in range(RUNS):
            for name, argv in commands.items():
                samples[name].append(run_once(argv))
        count = len(list(Path(out).glob("mwaa*.yaml")))
    floor = statistics.median(t for t, _ in samples["minimal troposphere + awacs template"])
    verdicts = []
    for name, runs in samples.items():
        times = sorted(t for t, _ in runs)
        median, peak = statistics.median(times), max(m for _, m in runs)
        ratio = median / floor
        label = name.replace("every template", f"{count} templates")
        print(
            f"{label}: median {median:.3f} s (min {times[0]:.3f}, max {times[-1]:.3f}), "
            f"{ratio:.2f}x the minimal template, peak RSS {peak:.1f} MiB"
        )
        if name.startswith("build.py"):
            verdicts.append(ratio <= GOAL_RATIO and peak <= GOAL_MIB)
    print(f"{RUNS} runs each on {os.cpu_count()} cores, interleaved")
    print(
        f"{'meets' if all(verdicts) else 'MISSES'} the goal of <= {GOAL_RATIO}x the minimal template "
        f"and <= {GOAL_MIB} MiB"
    )


if __name__ == "__main__":
    main()
