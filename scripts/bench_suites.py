#!/usr/bin/env python3
"""Benchmark: the wall time of each test suite as `make test` runs it, and its slowest
tests (pytest's ``--durations``), so a change can see what it costs the suites.

Each suite runs alone, through its make target (``test-template``, ``test-ops``,
``test-workflow``, ``test-airflow2``), the venvs and MWAA images already made; then, with
``make bench-tests TOGETHER=1``, the three suites of ``make test`` side by side as ``make test`` runs them.
A benchmark, not a test: it reports against the house's 10 minutes and never fails CI.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

from ops.errors import UsageError, fail
from ops.inputs import flag

ROOT = Path(__file__).resolve().parents[1]
SUITES = ("test-template", "test-ops", "test-workflow", "test-airflow2")
SLOWEST = 8
GOAL_SECONDS = 600
DURATION_LINE = re.compile(r"^(\d+\.\d+)s (call|setup|teardown)\s+(\S+)$")


def timed(*targets: str) -> tuple[float, str]:
    env = {**os.environ, "PYTEST_ADDOPTS": f"--durations={SLOWEST} --durations-min=1"}
    started = time.monotonic()
    done = subprocess.run(
        ["make", "--no-print-directory", *targets], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    took = time.monotonic() - started
    if done.returncode != 0:
        sys.exit(f"make {' '.join(targets)} failed:\n{done.stdout[-4000:]}{done.stderr[-2000:]}")
    return took, done.stdout


def main() -> None:
    try:
        together = flag("TOGETHER", os.environ.get("MWAA_STACK_TOGETHER", ""))
    except UsageError as err:
        sys.exit(fail(str(err), err.code))
    subprocess.run(["make", "--no-print-directory", "venvs"], cwd=ROOT, check=True, capture_output=True)
    total = 0.0
    for suite in SUITES:
        took, out = timed(suite)
        total += took if suite != "test-airflow2" else 0
        counts = re.findall(r"^(\d+ passed.*) in [\d.]+s", out, re.M)
        print(f"{suite}: {took:.0f} s wall ({', '.join(counts) or 'no summary'})")
        for line in out.splitlines():
            match = DURATION_LINE.match(line.strip())
            if match:
                print(f"    {float(match.group(1)):6.1f} s  {match.group(3)} ({match.group(2)})")
    print(f"make test's three suites one after another: {total:.0f} s")
    if together:
        took, _ = timed("-j3", "--output-sync=target", "test-template", "test-ops", "test-workflow")
        verdict = "within" if took <= GOAL_SECONDS else "OVER"
        print(f"side by side, as make test runs them: {took:.0f} s ({verdict} the {GOAL_SECONDS // 60} minutes)")


if __name__ == "__main__":
    main()
