"""`make review` as a user runs it (the review's own cases: tests/ops/test_review.py)."""

from __future__ import annotations

import subprocess

from tests.mwaa_files import ROOT


def test_make_review_of_an_unchanged_tree_passes():
    result = subprocess.run(
        ["make", "--no-print-directory", "review"], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 danger(s) in" in result.stdout
