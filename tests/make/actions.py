"""A small stand-in for a GitHub Actions runner: runs a workflow's jobs as written in
.github/workflows/, offline, so a test proves the commands, variables, exit codes and
outputs line up.

What it does as GitHub does: ``${{ }}`` expressions in ``env:``, ``with:``, ``if:``,
``strategy.matrix`` and job ``outputs`` (contexts github, vars, inputs, matrix, steps,
needs, runner; ``==``, ``!=``, ``&&``, ``||``, ``!``, ``always()``, ``success()``,
``failure()``, ``fromJSON()``, ``hashFiles()``), an ``if:`` without a status function
meaning ``success() && ...``, ``run:`` through ``bash -e -o pipefail`` in the checkout,
GITHUB_OUTPUT, GITHUB_STEP_SUMMARY, GITHUB_EVENT_PATH and the rest of the runner's
variables, ``needs`` between jobs, one run per matrix entry.

What it does instead: the checkout is the folder given; setup-python and cache do nothing
(the venvs are there); configure-aws-credentials records the role and region it was asked
for (the credentials are the emulator's, already in the environment); upload-artifact and
download-artifact copy folders through ``artifacts``.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

TOKEN = re.compile(
    r"\s*(?:(?P<op>\|\||&&|==|!=|!|\(|\)|,)|'(?P<str>(?:[^']|'')*)'|(?P<num>\d+)|(?P<name>[A-Za-z_][\w.-]*))"
)
STATUS_FUNCTIONS = ("always(", "success(", "failure(", "cancelled(")


@dataclass
class StepRun:
    name: str
    outcome: str  # success, failure, skipped
    returncode: int | None = None
    output: str = ""


@dataclass
class JobRun:
    name: str
    result: str  # success, failure, skipped
    steps: list[StepRun] = field(default_factory=list)
    outputs: dict[str, str] = field(default_factory=dict)
    credentials: dict[str, str] = field(default_factory=dict)  # configure-aws-credentials' inputs


def evaluate(expression: str, contexts: dict[str, Any], status_ok: bool) -> Any:
    """One expression (without ``${{ }}``) as GitHub evaluates it."""
    python, at = [], 0
    while at < len(expression.rstrip()):
        match = TOKEN.match(expression, at)
        if match is None:
            raise ValueError(f"cannot read the expression {expression!r} at {at}")
        at = match.end()
        if match["op"]:
            python.append({"||": " or ", "&&": " and ", "!": " not "}.get(match["op"], match["op"]))
        elif match["str"] is not None:
            python.append(repr(match["str"].replace("''", "'")))
        elif match["num"]:
            python.append(match["num"])
        else:
            name = match["name"]
            is_call = expression[at:].lstrip().startswith("(")
            literal = {"true": "True", "false": "False", "null": "''"}.get(name)
            python.append(literal or (f"_f_{name}" if is_call else f"_get({name!r})"))

    def get(path: str) -> Any:
        value: Any = contexts
        for part in path.split("."):
            value = value.get(part, "") if isinstance(value, dict) else ""
        return "" if value is None else value

    functions = {
        "_get": get,
        "_f_always": lambda: True,
        "_f_success": lambda: status_ok,
        "_f_failure": lambda: not status_ok,
        "_f_cancelled": lambda: False,
        "_f_fromJSON": json.loads,
        "_f_hashFiles": lambda *patterns: "hash",
    }
    return eval("".join(python), {"__builtins__": {}}, functions)  # our own tokens only: names become lookups


def substitute(value: Any, contexts: dict[str, Any], status_ok: bool = True) -> Any:
    """``${{ }}`` in a string replaced; a string that is one expression becomes its value."""
    if isinstance(value, dict):
        return {k: substitute(v, contexts, status_ok) for k, v in value.items()}
    if isinstance(value, list):
        return [substitute(v, contexts, status_ok) for v in value]
    if not isinstance(value, str) or "${{" not in value:
        return value
    whole = re.fullmatch(r"\$\{\{(.*?)\}\}", value.strip(), re.S)
    if whole:
        return evaluate(whole[1], contexts, status_ok)
    return re.sub(r"\$\{\{(.*?)\}\}", lambda m: str(evaluate(m[1], contexts, status_ok)), value, flags=re.S)


def condition(text: Any, contexts: dict[str, Any], status_ok: bool) -> bool:
    if text is None:
        return status_ok
    text = str(text).strip()
    if text.startswith("${{") and text.endswith("}}"):
        text = text[3:-2]
    if not any(f in text for f in STATUS_FUNCTIONS):
        text = f"success() && ({text})"
    return bool(evaluate(text, contexts, status_ok))


@dataclass
class Runner:
    checkout: Path
    env: dict[str, str]  # the process environment every step starts from
    event_name: str
    event: dict[str, Any]
    github: dict[str, Any]  # repository, base_ref, token...
    variables: dict[str, str] = field(default_factory=dict)  # repository variables (vars)
    inputs: dict[str, str] = field(default_factory=dict)
    artifacts: Path | None = None
    account: str = "123456789012"  # whose credentials configure-aws-credentials would get (the emulator's)

    def run_workflow(self, workflow_file: Path) -> dict[str, list[JobRun]]:
        workflow = yaml.safe_load(workflow_file.read_text())
        temp = self.checkout.parent / f"runner-{workflow_file.stem}"
        temp.mkdir(exist_ok=True)
        event_path = temp / "event.json"
        event_path.write_text(json.dumps(self.event))
        results: dict[str, list[JobRun]] = {}
        for job_id, job in workflow["jobs"].items():  # written in the order they need each other
            needs = [job["needs"]] if isinstance(job.get("needs"), str) else job.get("needs", [])
            needs_ctx = {
                n: {"result": results[n][0].result, "outputs": results[n][0].outputs} for n in needs if n in results
            }
            needs_ok = all(results[n][0].result == "success" for n in needs)
            contexts = self._contexts(workflow, needs=needs_ctx)
            if not condition(job.get("if"), contexts, needs_ok):
                results[job_id] = [JobRun(job_id, "skipped")]
                continue
            entries = [{}]
            strategy = substitute((job.get("strategy") or {}).get("matrix"), contexts)
            if strategy:
                entries = strategy.get("include") or [{}]
            results[job_id] = [
                self._job(job_id, job, {**contexts, "matrix": entry}, temp, event_path) for entry in entries
            ]
        return results

    def _contexts(self, workflow: dict, **extra: Any) -> dict[str, Any]:
        github = {**self.github, "event_name": self.event_name, "event": self.event, "token": "stand-in-token"}
        return {"github": github, "vars": self.variables, "inputs": self.inputs, "runner": {"os": "Linux"}, **extra}

    def _job(self, job_id: str, job: dict, contexts: dict, temp: Path, event_path: Path) -> JobRun:
        run = JobRun(job_id, "success")
        steps: dict[str, dict] = {}
        summary = temp / f"{job_id}-summary.md"
        for number, step in enumerate(job["steps"]):
            ctx = {**contexts, "steps": steps}
            ok = all(s.outcome != "failure" for s in run.steps)
            name = step.get("name") or step.get("uses") or step.get("run", "").splitlines()[0]
            if not condition(step.get("if"), ctx, ok):
                run.steps.append(StepRun(name, "skipped"))
                if "id" in step:
                    steps[step["id"]] = {"outcome": "skipped", "outputs": {}}
                continue
            output_file = temp / f"{job_id}-{number}.output"
            output_file.write_text("")
            if "uses" in step:
                outcome = self._uses(step["uses"], substitute(step.get("with", {}), ctx), run)
                done = StepRun(name, outcome)
            else:
                environment = {
                    **self.env,
                    **{k: str(v) for k, v in substitute({**job.get("env", {}), **step.get("env", {})}, ctx).items()},
                    "CI": "true",
                    "GITHUB_ACTIONS": "true",
                    "GITHUB_EVENT_NAME": self.event_name,
                    "GITHUB_EVENT_PATH": str(event_path),
                    "GITHUB_REPOSITORY": self.github["repository"],
                    "GITHUB_BASE_REF": self.github.get("base_ref", ""),
                    "GITHUB_OUTPUT": str(output_file),
                    "GITHUB_STEP_SUMMARY": str(summary),
                    "GITHUB_WORKSPACE": str(self.checkout),
                }
                proc = subprocess.run(
                    ["bash", "--noprofile", "--norc", "-e", "-o", "pipefail", "-c", step["run"]],
                    cwd=self.checkout,
                    env=environment,
                    stdin=subprocess.DEVNULL,
                    capture_output=True,
                    text=True,
                    timeout=600,
                )
                outcome = "success" if proc.returncode == 0 else "failure"
                done = StepRun(name, outcome, proc.returncode, proc.stdout + proc.stderr)
            run.steps.append(done)
            if "id" in step:
                outputs = dict(line.split("=", 1) for line in output_file.read_text().splitlines() if "=" in line)
                steps[step["id"]] = {"outcome": done.outcome, "outputs": outputs}
        if any(s.outcome == "failure" for s in run.steps):
            run.result = "failure"
        run.outputs = {k: str(v) for k, v in substitute(job.get("outputs", {}), {**contexts, "steps": steps}).items()}
        return run

    def _uses(self, action: str, inputs: dict[str, Any], run: JobRun) -> str:
        name = action.split("@", 1)[0]
        if name in ("actions/checkout", "actions/setup-python", "actions/cache"):
            return "success"
        if name == "aws-actions/configure-aws-credentials":
            run.credentials = {k: str(v) for k, v in inputs.items()}
            allowed = run.credentials.get("allowed-account-ids")
            if allowed and self.account not in allowed.split(","):
                return "failure"  # as the action fails on credentials of another account
            return "success"
        assert self.artifacts is not None, f"{action} needs an artifact store"
        if name == "actions/upload-artifact":
            shutil.copytree(self.checkout / inputs["path"], self.artifacts / inputs["name"], dirs_exist_ok=True)
            return "success"
        if name == "actions/download-artifact":
            source = self.artifacts / inputs["name"]
            if not source.is_dir():
                return "failure"
            shutil.copytree(source, self.checkout / inputs["path"], dirs_exist_ok=True)
            return "success"
        raise AssertionError(f"the stand-in runner does not know {action}")


def clean_env(env: dict[str, str]) -> dict[str, str]:
    """What a step inherits: the test's environment without the project's own variables."""
    return {k: v for k, v in env.items() if not k.startswith("MWAA_STACK_")} | {"PATH": os.environ["PATH"]}
