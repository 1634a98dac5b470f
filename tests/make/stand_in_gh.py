"""A stand-in for the ``gh`` CLI on a runner: the few ``gh api`` calls scripts/ci.py makes,
answered from a JSON state file (GH_STANDIN_STATE) that records every call, like GitHub's
REST API would (comments of a pull request; one pull request's head)."""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path

BOT = "github-actions[bot]"


def main(argv: list[str]) -> int:
    state_file = Path(os.environ["GH_STANDIN_STATE"])
    state = json.loads(state_file.read_text())
    if not os.environ.get("GH_TOKEN"):
        print(
            "gh: To use GitHub CLI in a GitHub Actions workflow, set the GH_TOKEN environment variable.",
            file=sys.stderr,
        )
        return 4
    if argv[:1] != ["api"]:
        print(f"stand-in gh: only `gh api` is known, not {argv}", file=sys.stderr)
        return 1
    args = argv[1:]
    method = "GET"
    if "--method" in args:
        method = args[args.index("--method") + 1]
    body = json.loads(sys.stdin.read()) if "--input" in args else None
    path = next(a for a in args if a.startswith("repos/"))
    state["calls"].append({"method": method, "path": path, "body": body})
    answer: object
    if m := re.fullmatch(r"repos/[^/]+/[^/]+/issues/(\d+)/comments", path):
        number = m[1]
        if method == "GET":
            answer = [c for c in state["comments"] if c["issue"] == number]
        else:
            comment = {
                "id": 1000 + len(state["comments"]),
                "issue": number,
                "body": body["body"],
                "user": {"login": BOT},
            }
            state["comments"].append(comment)
            answer = comment
    elif m := re.fullmatch(r"repos/[^/]+/[^/]+/issues/comments/(\d+)", path):
        [comment] = [c for c in state["comments"] if c["id"] == int(m[1])]
        comment["body"] = body["body"]
        answer = comment
    elif m := re.fullmatch(r"repos/[^/]+/[^/]+/pulls/(\d+)", path):
        if m[1] not in state["heads"]:
            print("gh: Not Found (HTTP 404)", file=sys.stderr)
            state_file.write_text(json.dumps(state))
            return 1
        answer = {"number": int(m[1]), "head": {"sha": state["heads"][m[1]]}}
    else:
        print(f"stand-in gh: unknown path {path}", file=sys.stderr)
        return 1
    state_file.write_text(json.dumps(state))
    print(json.dumps(answer))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
