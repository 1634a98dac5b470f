"""`make upgrade-check ENV=<name> TO=<version> [FROM=<version>]`: an Airflow upgrade
rehearsed offline, one report, problems first.

1. **path**: the steps MWAA takes from the current version to ``TO``
   (``templates.catalogue.upgrade_steps``, from the user guide's "Changing the Apache Airflow
   version"), or that a new environment is needed, and what that costs;
2. **code**: ruff's Airflow rules (the pinned ruff) over DAGS and PLUGINS, for a target of
   Airflow 3: AIR301, AIR302, AIR303 (removed in Airflow 3) are problems, AIR311, AIR312
   (moved, still working) warnings, each with ruff's fix where it has one.  Code written for
   both majors passes: ruff already skips the imports of a ``try: … except ImportError:``
   fallback, and a finding on the *use* of a name the file imports in both branches is the
   fallback's binding, which Airflow 3 never runs, so it is dropped;
3. **options**: the environment's ``AirflowConfigurationOptions`` against the options of
   ``TO`` (``templates.airflow_options``: the vendored lists and Airflow 3's renames);
4. **packages**: what moves between the two versions' constraints (MWAA's files in
   ``vendor/mwaa/``) for the Amazon provider, what requirements.txt names and what the DAGs
   and plugins import; major bumps first;
5. **preflight** on ``TO``: requirements against its constraints, the DAGs parsed by its
   Airflow, plugins, startup script (``make preflight AIRFLOW_VERSION=TO``, its cache reused).

Exit 1 when the upgrade would fail or needs a new environment, 0 when it can go ahead.
"""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from packaging.utils import canonicalize_name

from templates.airflow_options import known_options, option_problem
from templates.catalogue import NEWEST_AIRFLOW_2, RELEASES, upgrade_steps, version_key

from . import preflight
from .errors import OpsError
from .preflight import requirements, vendored
from .text import printable

RUFF = Path(sys.executable).with_name("ruff")
PROBLEM_RULES = ("AIR301", "AIR302", "AIR303")  # removed in Airflow 3
WARNING_RULES = ("AIR311", "AIR312")  # moved; still working in Airflow 3
AMAZON_PROVIDER = "apache-airflow-providers-amazon"  # MWAA installs it in every image


@dataclass
class Report:
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def print(self) -> None:
        for line in self.problems:
            print(f"upgrade: {line}")
        for line in self.warnings:
            print(f"upgrade: warning: {line}")
        for line in self.notes:
            print(f"upgrade: {line}")


def path_lines(current: str, target: str, env: str, report: Report) -> None:
    if current == target:
        report.notes.append(f"path: the environment runs Airflow {target} already")
        return
    steps = upgrade_steps(current, target)
    if steps is None:
        report.problems.append(
            f"path: Airflow {current} -> {target} needs a new environment (MWAA upgrades to Airflow 3 in place "
            f"only from {NEWEST_AIRFLOW_2}). The metadata database does not move: the run history, and the "
            "connections, variables and pools kept there, stay with the old environment (keep connections and "
            "variables in Secrets Manager, secrets_backend = true, and they carry over). The project's way: a "
            f"second stack, `make deploy ENV={env} STACK_NAME=mwaa-{env}-next PARAMS=AirflowVersion={target}`, "
            f"`make sync ENV={env} STACK_NAME=mwaa-{env}-next`, check it, switch the users and the pipeline to it, "
            "then `make destroy` the old one"
        )
        return
    direction = "downgrade" if version_key(target) < version_key(current) else "upgrade"
    chain = " -> ".join((current, *steps))
    kind = "in place" if len(steps) == 1 else f"in place, {len(steps)} steps"
    report.notes.append(f"path: {direction} {chain} ({kind}; each step an environment update of 20-40 minutes)")


def dual_names(source: str) -> set[str]:
    """Names a file imports both in a ``try:`` body and in its ``except ImportError:``
    (or ModuleNotFoundError) fallback."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return set()

    def imported(nodes: list[ast.stmt]) -> set[str]:
        names = set()
        for node in nodes:
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                names |= {(a.asname or a.name).split(".")[0] for a in node.names}
        return names

    found: set[str] = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.Try):
            continue
        for handler in node.handlers:
            caught = handler.type
            kinds = caught.elts if isinstance(caught, ast.Tuple) else [caught]
            if any(isinstance(k, ast.Name) and k.id in ("ImportError", "ModuleNotFoundError") for k in kinds):
                found |= imported(node.body) & imported(handler.body)
    return found


def code_lines(folders: list[Path], target: str, report: Report, timeout: float) -> None:
    if RELEASES[target].major < 3:
        report.notes.append(f"code: ruff's Airflow 3 rules do not apply to Airflow {target}")
        return
    present = [str(f) for f in folders if f.exists()]
    if not present:
        return
    rules = ",".join((*PROBLEM_RULES, *WARNING_RULES))
    command = [str(RUFF), "check", "--isolated", "--no-cache", "--select", rules, "--output-format", "json", *present]
    done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)
    if done.returncode not in (0, 1):
        raise OpsError(f"ruff could not check {', '.join(present)}: {printable(done.stderr.strip()[-300:])}")
    dual: dict[str, set[str]] = {}
    for finding in sorted(json.loads(done.stdout), key=lambda f: (f["filename"], f["location"]["row"], f["code"])):
        file = finding["filename"]
        if file not in dual:
            dual[file] = dual_names(Path(file).read_text(encoding="utf-8", errors="replace"))
        symbol = re.match(r"`([^`]+)`", finding["message"])
        if symbol and symbol.group(1).rsplit(".", 1)[-1] in dual[file]:
            continue  # the fallback's binding: Airflow 3 runs the try's
        fix = (finding.get("fix") or {}).get("message")
        where = preflight.shown_path(file)
        line = f"{printable(where)}:{finding['location']['row']}: {finding['code']} {printable(finding['message'])}"
        line += f" (fix: {printable(fix)})" if fix else ""
        (report.problems if finding["code"] in PROBLEM_RULES else report.warnings).append(line)


def option_lines(options: dict[str, str], target: str, report: Report) -> None:
    if known_options(target) is None:
        report.notes.append(f"options: Airflow {target}'s options are not vendored; checked for shape only")
    for key, value in sorted(options.items()):
        problem = option_problem(key, value, target)
        if problem:
            report.problems.append(f"options: {printable(key)}: {printable(problem)}")


def imported_distributions(folders: list[Path]) -> set[str]:
    """Distribution names of what the DAGs and plugins import at the top: a provider module's
    package, else the module's own name."""
    found = set()
    for folder in folders:
        for path in sorted(folder.rglob("*.py")) if folder.is_dir() else []:
            try:
                tree = ast.parse(path.read_text(encoding="utf-8", errors="replace"))
            except SyntaxError:
                continue  # preflight reports it
            for node in ast.walk(tree):
                modules = [a.name for a in node.names] if isinstance(node, ast.Import) else []
                if isinstance(node, ast.ImportFrom) and node.module and not node.level:
                    modules = [node.module]
                for module in modules:
                    parts = module.split(".")
                    if parts[:2] == ["airflow", "providers"] and len(parts) > 2:
                        found |= {f"apache-airflow-providers-{'-'.join(parts[2:n])}" for n in (3, 4)}
                    else:
                        found.add(parts[0])
    return {canonicalize_name(name) for name in found}


def package_lines(current: str, target: str, wanted: set[str], report: Report) -> None:
    before = vendored.pins(vendored.image(current).constraints.read_text(encoding="utf-8"))
    after = vendored.pins(vendored.image(target).constraints.read_text(encoding="utf-8"))
    moves = []
    for name in sorted(wanted | {AMAZON_PROVIDER}):
        old, new = before.get(name), after.get(name)
        if old == new:
            continue
        major = bool(old and new and old.split(".")[0] != new.split(".")[0])
        moves.append((name, old or "(not constrained)", new or "(not constrained)", major))
    for name, old, new, major in sorted(moves, key=lambda move: not move[3]):  # major bumps first, stable
        report.notes.append(f"packages: {name} {old} -> {new}{' (major: read its changelog)' if major else ''}")


def run(current: str, check: preflight.Target, env: str, timeout: float) -> int:
    """The report; ``check`` is preflight's target for ``TO`` (DAGS, PLUGINS, STARTUP, options)."""
    target = check.version
    report = Report()
    print(f"upgrade: Airflow {current} -> {target}, environment {printable(env)}")
    path_lines(current, target, env, report)
    folders = [check.dags, check.plugins]
    code_lines(folders, target, report, timeout)
    option_lines(check.options, target, report)
    listed = requirements.check(check.dags / "requirements.txt", target, min(timeout, 30.0)).requirements
    wanted = {canonicalize_name(item.requirement.name) for item in listed} | imported_distributions(folders)
    package_lines(current, target, wanted, report)
    report.print()
    print(f"upgrade: preflight on Airflow {target} (requirements against its constraints, DAGs, plugins, startup):")
    preflight_failed = False
    try:
        preflight.run(check, timeout)
    except OpsError as err:
        print(f"upgrade: {printable(err)}")
        preflight_failed = True
    problems = len(report.problems) + preflight_failed
    if problems:
        raise OpsError(
            f"upgrade to Airflow {target} would fail or needs a new environment: {len(report.problems)} problem(s)"
            f"{' and a failed preflight' if preflight_failed else ''} (above)"
        )
    print(f"upgrade: Airflow {current} -> {target} can go ahead ({len(report.warnings)} warning(s))")
    return 0
