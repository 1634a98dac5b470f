"""Read generated templates as data: resources by logical ID, properties by path."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from cfn_flip import load_yaml

from templates.settings import Settings
from templates.stack import render

ROOT = Path(__file__).resolve().parents[2]
COMMITTED = ROOT / "out" / "mwaa.yaml"
CI_ROLES = ROOT / "out" / "mwaa-ci-roles.yaml"  # the pipeline's roles (pipeline.toml), no environment
# The MWAA environment templates: every file in out/ but the CI roles.
ENVIRONMENT_TEMPLATES = sorted(p for p in (ROOT / "out").glob("*.yaml") if p != CI_ROLES)


class Cfn:
    """A parsed template with the lookups a reviewer does by eye."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.data = load_yaml(text)
        self.resources = self.data["Resources"]

    def resource(self, logical_id: str) -> dict:
        return self.resources[logical_id]

    def props(self, logical_id: str) -> dict:
        return self.resources[logical_id].get("Properties", {})

    def of_type(self, resource_type: str) -> dict[str, dict]:
        return {k: v for k, v in self.resources.items() if v["Type"] == resource_type}

    def parameter(self, name: str) -> dict:
        return self.data["Parameters"][name]


@pytest.fixture(scope="session")
def cfn() -> Cfn:
    """The committed template, exactly what a reviewer and `make deploy` see."""
    return Cfn(COMMITTED.read_text())


def run_build_py(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(ROOT / "build.py"), *args], capture_output=True, text=True, cwd=cwd)


def snapshot(folder: Path) -> dict[str, tuple[bytes, int]]:
    """Names, bytes and modification times: what "nothing written" compares."""
    return {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in sorted(folder.iterdir())}


def assert_refused(tmp_path: Path, args: list[str], setting: str, allowed: str) -> None:
    """build.py with ``args`` exits 2 with one line naming ``setting`` and ``allowed``, and
    leaves a copy of out/ exactly as it was."""
    out = tmp_path / "out"
    shutil.copytree(ROOT / "out", out)
    before = snapshot(out)
    result = run_build_py(*args, "--out", str(out))
    assert result.returncode == 2, result.stdout + result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""
    assert setting in lines[0] and allowed in lines[0], lines[0]
    assert snapshot(out) == before, "nothing written, no temporary file left"


def rendered(**settings: object) -> Cfn:
    return Cfn(render(Settings(**settings)))
