"""scripts/lint_workflows.py, the gate over .github/workflows/ in `make lint`: the project's
workflows pass, and each rule catches what it is for."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.template.conftest import ROOT


def lint(folder: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "lint_workflows.py"), str(folder)],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_project_s_workflows_pass():
    result = lint(ROOT / ".github" / "workflows")
    assert result.returncode == 0, result.stdout
    assert "workflows: no findings in deploy.yml review-comment.yml review.yml" in result.stdout


def test_each_rule_finds_what_it_is_for(tmp_path):
    (tmp_path / "bad.yml").write_text(
        "name: bad\n"
        "on: pull_request_target\n"
        "jobs:\n"
        "  build:\n"
        "    runs-on: ubuntu-latest\n"
        "    steps:\n"
        "      - uses: actions/checkout@v4\n"
        '      - name: Greet\n        run: echo "${{ github.head_ref }}"\n'
        "      - name: Unquoted\n        run: cd $HOME/x && ls $FOLDER\n"
    )
    (tmp_path / "shape.yml").write_text(
        "name: shape\non: push\npermissions: {}\njobs:\n  x:\n    runs-on: ubuntu-latest\n    stepz: []\n"
    )
    result = lint(tmp_path)
    assert result.returncode == 1
    found = result.stdout
    assert "bad.yml: pull_request_target runs a pull request's workflow with a writable token" in found
    assert "bad.yml: no top-level permissions" in found
    assert "bad.yml: build: Greet: an expression inside run:; pass it through env:" in found
    assert "uses actions/checkout@v4: pin the action to a commit" in found
    assert "bad.yml: build: Unquoted: shellcheck:" in found and "SC2086" in found
    assert "schema:" in found and "shape.yml" in found


def test_an_empty_folder_is_bad_input(tmp_path):
    result = lint(tmp_path)
    assert result.returncode == 2 and "no workflow in" in result.stderr
