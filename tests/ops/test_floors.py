"""ops stands on named floors: each module imports only modules on its floor or below, so
the pure modules, preflight and review never load the AWS layer."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OPS = ROOT / "ops"
# Bottom up.  A package (preflight, review) is one module here: its parts import each other.
FLOORS = [
    {"text"},
    {"errors"},
    {"inputs", "console", "intrinsics", "rules", "sync_plan"},
    {"overrides", "arguments"},
    {"aws"},
    {"cloudformation", "log_groups", "bucket"},
    {"mwaa"},
    {"progress"},
    {"releases", "verify"},
    {"stack", "sync", "status", "logs", "airflow", "preflight", "review", "environments", "history"},
    {"preview", "upgrade", "rollback"},  # make diff (the deploy's checks first); make upgrade-check (preflight's)
    {"__main__"},
]
FLOOR = {name: level for level, names in enumerate(FLOORS) for name in names}


def _module(path: Path) -> str:
    relative = path.relative_to(OPS)
    return relative.parts[0] if len(relative.parts) > 1 else relative.stem


def _imports(path: Path) -> set[str]:
    """The ops modules ``path`` imports, relative (``from .aws``) or absolute (``from ops.aws``)."""
    own = _module(path)
    package_depth = len(path.relative_to(OPS).parts) - 1
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level and node.level > package_depth:  # leaves its own package for ops
                names = [node.module] if node.module else [a.name for a in node.names]
            elif node.module and node.module.startswith("ops."):
                names = [node.module.removeprefix("ops.")]
            elif node.level == 1 and package_depth == 0:
                names = [node.module] if node.module else [a.name for a in node.names]
            else:
                continue
            found |= {n.split(".")[0] for n in names if n}
    return found - {own}


def test_every_module_has_a_floor_and_imports_nothing_above_it():
    files = [p for p in OPS.rglob("*.py") if "__pycache__" not in p.parts and p != OPS / "__init__.py"]
    assert {_module(p) for p in files} == set(FLOOR), "a module without a floor: add it to FLOORS"
    above = [
        f"{p.relative_to(ROOT)} imports {name}"
        for p in files
        for name in sorted(_imports(p))
        if FLOOR[name] > FLOOR[_module(p)]
    ]
    assert above == []


def test_the_offline_commands_never_load_boto3():
    code = (
        "import sys, ops.preflight, ops.review, ops.overrides\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('boto3', 'botocore')))"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
