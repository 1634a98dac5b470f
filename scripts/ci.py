#!/usr/bin/env python3
"""What the GitHub Actions workflows run (.github/workflows/): each job step is one call here,
so the workflow holds no shell logic and tests/pipeline runs the same steps offline.

    python scripts/ci.py review            # pull request: checks, make review, the comment's text
    python scripts/ci.py post [--from DIR --head-sha SHA]   # the comment, one per pull request
    python scripts/ci.py preview           # pull request, with AWS: make diff per environment
    python scripts/ci.py matrix            # push to main: the environments to deploy
    python scripts/ci.py deploy            # one environment: make deploy, then make sync

Everything comes from the variables a runner sets (GITHUB_EVENT_PATH, GITHUB_REPOSITORY,
GITHUB_BASE_REF, GITHUB_OUTPUT, GITHUB_STEP_SUMMARY) and the step's own ``env:``; nothing
from the event is ever put into a shell: labels, names and numbers are checked, then passed
to make as arguments of a process.  ``gh`` (on every GitHub runner) posts with the job's
token.  Exit 1 when a check fails, 2 on bad input.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ops.inputs import ALLOWED_ID, COMMIT, ENV_LABEL, ROLE_ARN  # noqa: E402
from ops.text import printable, printable_lines  # noqa: E402
from templates.pipeline import REPOSITORY  # noqa: E402

COMMENT_MARKER = "<!-- mwaa-stack review -->"  # finds the one comment to edit
PREVIEW_MARKER = "<!-- mwaa-stack preview -->"  # the preview job's part of it
ARTIFACT = Path("review-comment")  # body.md, pull_request, head_sha: what a fork's run hands on
COMMENT_LIMIT = 65_000  # GitHub refuses a comment body over 65,536 characters
OUTPUT_LINES = 40  # of a failed check's output, in the comment
BOT = "github-actions[bot]"  # the author of comments made with the job's GITHUB_TOKEN
ALLOW_LABEL = re.compile(f"allow:({ALLOWED_ID.pattern})")  # a label that accepts one danger


class Refused(Exception):
    """Bad input: one line, exit 2."""


def event() -> dict:
    path = os.environ.get("GITHUB_EVENT_PATH", "")
    if not path:
        raise Refused("GITHUB_EVENT_PATH is not set: run in GitHub Actions, or set it to an event payload")
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise Refused(f"GITHUB_EVENT_PATH: cannot read the event payload: {err}") from None


def repository() -> str:
    name = os.environ.get("GITHUB_REPOSITORY", "")
    if not REPOSITORY.fullmatch(name):
        raise Refused(f"GITHUB_REPOSITORY={name!r}: owner/name")
    return name


def pull_request_number(payload: dict) -> int:
    number = (payload.get("pull_request") or {}).get("number")
    if not isinstance(number, int) or number < 1:
        raise Refused("the event payload holds no pull request number")
    return number


def from_fork(payload: dict) -> bool:
    head = ((payload.get("pull_request") or {}).get("head") or {}).get("repo") or {}
    return head.get("full_name") != repository()


def allowed(payload: dict) -> list[str]:
    """The logical IDs the pull request's ``allow:<Id>`` labels accept; other labels are ignored."""
    found = []
    for label in (payload.get("pull_request") or {}).get("labels") or []:
        name = label.get("name") if isinstance(label, dict) else None
        match = ALLOW_LABEL.fullmatch(name) if isinstance(name, str) else None
        if match:
            found.append(match.group(1))
    return sorted(set(found))


def base_ref() -> str:
    ref = os.environ.get("GITHUB_BASE_REF", "")
    if not re.fullmatch(r"[A-Za-z0-9._/-]{1,255}", ref) or ".." in ref or ref.startswith(("-", "/")):
        raise Refused(f"GITHUB_BASE_REF={ref!r}: a branch name")
    return ref


def run(*command: str) -> tuple[int, str]:
    """A command's exit code and its output (stdout and stderr as they came)."""
    done = subprocess.run(
        command, cwd=ROOT, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    print(done.stdout, end="", flush=True)
    return done.returncode, done.stdout


def fenced(text: str) -> list[str]:
    """``text`` as a code block no backtick run inside can close."""
    longest = max((len(ticks) for ticks in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return [fence + "text", *printable_lines(text), fence]


def captured(*command: str) -> subprocess.CompletedProcess:
    """A command run quietly, its stdout and stderr kept apart."""
    return subprocess.run(command, cwd=ROOT, stdin=subprocess.DEVNULL, capture_output=True, text=True)


def environments() -> list[dict]:
    done = captured("make", "--no-print-directory", "environments", "FORMAT=json")
    if done.returncode != 0:
        out = (done.stdout + done.stderr).strip()
        raise Refused(f"make environments failed: {out.splitlines()[-1] if out else done.returncode}")
    return json.loads(done.stdout)


def all_environment_names() -> list[str]:
    return sorted(p.stem for p in (ROOT / "environments").glob("*.toml") if ENV_LABEL.fullmatch(p.stem))


def review() -> int:
    """The pull request's checks, then make review; writes the comment's text (the job summary
    and ARTIFACT) and exits 1 when a check fails or a danger is not accepted by a label."""
    payload = event()
    number, base, allow = pull_request_number(payload), base_ref(), allowed(payload)
    checks: list[tuple[str, list[str]]] = [
        ("out/ is what build.py makes (`make check`)", ["make", "--no-print-directory", "check"]),
        ("`make lint`", ["make", "--no-print-directory", "lint"]),
        *(
            (f"`make preflight ENV={name}`", ["make", "--no-print-directory", "preflight", f"ENV={name}"])
            for name in all_environment_names()
        ),
    ]
    rows, failed_output = [], []
    for title, command in checks:
        print(f"::group::{' '.join(command)}", flush=True)
        code, out = run(*command)
        print("::endgroup::", flush=True)
        rows.append(f"| {title} | {'passed' if code == 0 else 'FAILED'} |")
        if code != 0:
            tail = "\n".join(out.strip().splitlines()[-OUTPUT_LINES:])
            failed_output += ["", f"<details><summary>{title}: the last lines</summary>", "", *fenced(tail)]
            failed_output += ["", "</details>"]
    command = ["make", "--no-print-directory", "review", f"BASE=origin/{base}", "FORMAT=markdown"]
    if allow:
        command.append("ALLOW=" + ",".join(allow))
    reviewed = captured(*command)
    # make exits 2 whatever failed: a review printed and then refused is a danger not accepted.
    review_text = reviewed.stdout if reviewed.stdout.startswith("### mwaa-stack review") else ""
    if reviewed.returncode == 0:
        verdict = "passed"
    elif review_text:
        verdict = "DANGER: not accepted"
        why = printable(reviewed.stderr.strip().splitlines()[0] if reviewed.stderr.strip() else "")
        failed_output += ["", f"A danger fails the review until the pull request is labelled `allow:<Id>`: {why}"]
    else:
        verdict = "FAILED: could not run"
        failed_output += ["", "make review could not run:", *fenced(reviewed.stderr.strip())]
    rows.append(f"| `make review BASE=origin/{base}` | {verdict} |")
    accepted = f" Accepted by labels: {', '.join(f'`allow:{a}`' for a in allow)}." if allow else ""
    body = "\n".join(
        [
            COMMENT_MARKER,
            "## mwaa-stack",
            "",
            f"Checks of this pull request against `{printable(base)}`.{accepted}",
            "",
            "| Check | Result |",
            "| --- | --- |",
            *rows,
            *failed_output,
            "",
            review_text,
        ]
    )
    write_comment_files(body, number, payload)
    add_to_summary(body)
    failures = sum(1 for row in rows if not row.endswith("| passed |"))
    print(f"ci: {failures} of {len(rows)} check(s) failed" if failures else f"ci: all {len(rows)} checks passed")
    return 1 if failures else 0


def add_to_summary(body: str) -> None:
    """``body`` appended to the job's summary page (GITHUB_STEP_SUMMARY), where a runner gives one."""
    summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary:
        with open(summary, "a", encoding="utf-8") as out:
            out.write(body + "\n")


def write_comment_files(body: str, number: int, payload: dict) -> None:
    ARTIFACT.mkdir(exist_ok=True)
    if len(body) > COMMENT_LIMIT:
        note = "\n\n*(cut to fit GitHub's comment limit; the job summary has all of it)*\n"
        body = body[: COMMENT_LIMIT - len(note)] + note
    (ARTIFACT / "body.md").write_text(body, encoding="utf-8")
    (ARTIFACT / "pull_request").write_text(f"{number}\n")
    sha = ((payload.get("pull_request") or {}).get("head") or {}).get("sha", "")
    (ARTIFACT / "head_sha").write_text(f"{sha}\n")


def gh(*args: str, payload: dict | None = None) -> object:
    """``gh api`` with the job's token; the JSON it answers (pages concatenated)."""
    command = ["gh", "api", *args]
    data = json.dumps(payload) if payload is not None else None
    if data is not None:
        command += ["--input", "-"]
    done = subprocess.run(command, input=data, capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        lines = done.stderr.strip().splitlines()
        raise RuntimeError(f"gh api {args[-1]} failed: {printable(lines[-1] if lines else done.returncode)}")
    decoder, text, found, at = json.JSONDecoder(), done.stdout.strip(), [], 0
    while at < len(text):  # --paginate prints one JSON array per page
        value, at = decoder.raw_decode(text, at)
        found += value if isinstance(value, list) else [value]
        while at < len(text) and text[at].isspace():
            at += 1
    return found


def our_comment(repo: str, number: int) -> dict | None:
    for comment in gh("--paginate", f"repos/{repo}/issues/{number}/comments"):
        if (comment.get("user") or {}).get("login") == BOT and str(comment.get("body", "")).startswith(COMMENT_MARKER):
            return comment
    return None


def upsert(repo: str, number: int, body: str, *, section: bool = False) -> None:
    """Create the pull request's comment, or edit it in place; ``section``: ``body`` replaces
    the preview part of the comment (from PREVIEW_MARKER on), the review part kept."""
    existing = our_comment(repo, number)
    if section:
        kept = str(existing["body"]).split(PREVIEW_MARKER)[0].rstrip() if existing else COMMENT_MARKER
        body = f"{kept}\n\n{body}"
    body = body[:COMMENT_LIMIT]
    if existing is None:
        gh("--method", "POST", f"repos/{repo}/issues/{number}/comments", payload={"body": body})
        print(f"ci: commented on pull request #{number}")
    else:
        gh("--method", "PATCH", f"repos/{repo}/issues/comments/{int(existing['id'])}", payload={"body": body})
        print(f"ci: updated the comment on pull request #{number}")


def post(argv: list[str]) -> int:
    """Post ARTIFACT/body.md.  In the review job: skipped for a fork (its token cannot write;
    review-comment.yml posts it).  With ``--from DIR --head-sha SHA`` (review-comment.yml):
    the files of a fork's run, posted only on the pull request whose head is that commit."""
    repo = repository()
    if argv[:1] == ["--from"]:
        if len(argv) != 4 or argv[2] != "--head-sha":
            raise Refused("post --from DIR --head-sha SHA")
        folder, sha = Path(argv[1]), argv[3]
        if not COMMIT.fullmatch(sha):
            raise Refused(f"--head-sha {sha!r}: a commit's 40 hex digits")
        text = (folder / "pull_request").read_text().strip()
        if not text.isdigit():
            raise Refused(f"{folder}/pull_request: {printable(text[:40])!r} is no pull request number")
        number = int(text)
        [pull] = gh(f"repos/{repo}/pulls/{number}")
        if (pull.get("head") or {}).get("sha") != sha:
            raise Refused(f"pull request #{number} is not at {sha}: the artifact names another pull request")
        upsert(repo, number, (folder / "body.md").read_text(encoding="utf-8"))
        return 0
    if argv:
        raise Refused(f"post: unknown arguments {printable(' '.join(argv))}")
    payload = event()
    number = pull_request_number(payload)
    if from_fork(payload):
        print("ci: a pull request from a fork: the review-comment workflow posts the review")
        return 0
    upsert(repo, number, (ARTIFACT / "body.md").read_text(encoding="utf-8"))
    return 0


def preview() -> int:
    """make diff for each pinned environment in the account of the preview role (the
    credentials the job holds), added to the pull request's comment."""
    payload = event()
    number = pull_request_number(payload)
    role = os.environ.get("AWS_PREVIEW_ROLE_ARN", "")
    found = ROLE_ARN.fullmatch(role)
    if found is None:
        raise Refused(f"AWS_PREVIEW_ROLE_ARN={role!r}: the ARN of the preview role (out/mwaa-ci-roles.yaml)")
    listed = [e for e in environments() if e["account_id"] == found["account"]]
    lines, failures = [PREVIEW_MARKER, "### Change sets against the deployed stacks", ""], 0
    if not listed:
        lines.append(f"No environment is pinned to account {found['account']}.")
    for environment in listed:
        name = environment["name"]
        code, out = run("make", "--no-print-directory", "diff", f"ENV={name}", "BASE=")
        failures += code != 0
        state = "" if code == 0 else " (failed)"
        lines += ["<details>", f"<summary><code>make diff ENV={name}</code>{state}</summary>", "", *fenced(out)]
        lines += ["", "</details>", ""]
    body = "\n".join(lines)
    add_to_summary(body)
    if not from_fork(payload):
        upsert(repository(), number, body, section=True)
    return 1 if failures else 0


def matrix() -> int:
    """GITHUB_OUTPUT ``matrix`` (the environments to deploy: pinned, with CI roles; with the
    variable ONLY, that one alone) and ``any`` (false: nothing to deploy, the job is skipped)."""
    only = os.environ.get("ONLY", "").strip()
    if only and not ENV_LABEL.fullmatch(only):
        raise Refused(f"environment {only!r}: an environment label (1-64 letters, digits, . _ -)")
    listed = [e for e in environments() if e["deploy_role_arn"]]
    if only:
        listed = [e for e in listed if e["name"] == only]
        if not listed:
            raise Refused(
                f"environment {only}: not one the pipeline deploys (environments/{only}.toml with [target], "
                "named in pipeline.toml)"
            )
    for e in listed:
        print(f"ci: deploys {e['name']} to account {e['account_id']} in {e['region']}")
    if not listed:
        print("ci: no environment is pinned and named in pipeline.toml: nothing to deploy")
    output = os.environ.get("GITHUB_OUTPUT")
    if output:
        with open(output, "a", encoding="utf-8") as out:
            out.write(f"matrix={json.dumps(listed)}\nany={'true' if listed else 'false'}\n")
    return 0


def deploy() -> int:
    """``make deploy`` of one environment through its CloudFormation role, then ``make sync``
    (the job has checked out/ first: what is deployed is what was reviewed)."""
    name = os.environ.get("ENVIRONMENT", "")
    role = os.environ.get("CLOUDFORMATION_ROLE_ARN", "")
    if not ENV_LABEL.fullmatch(name):
        raise Refused(f"ENVIRONMENT={name!r}: an environment label")
    for command in (
        ["make", "--no-print-directory", "deploy", f"ENV={name}", f"ROLE_ARN={role}"],
        ["make", "--no-print-directory", "sync", f"ENV={name}"],
    ):
        print(f"ci: {' '.join(command)}", flush=True)
        code = subprocess.run(command, cwd=ROOT, stdin=subprocess.DEVNULL).returncode
        if code != 0:
            return code
    return 0


def main(argv: list[str]) -> int:
    actions = {"review": review, "preview": preview, "matrix": matrix, "deploy": deploy}
    try:
        if argv[:1] == ["post"]:
            return post(argv[1:])
        if len(argv) != 1 or argv[0] not in actions:
            raise Refused(f"usage: scripts/ci.py {{{','.join([*actions, 'post'])}}}")
        return actions[argv[0]]()
    except Refused as err:
        print(f"ci: error: {err}", file=sys.stderr)
        return 2
    except RuntimeError as err:
        print(f"ci: {err}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
