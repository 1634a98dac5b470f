"""A review as terminal text, a pull-request comment in Markdown, or JSON (the contract in
the README, "Reviewing a change").  Dangers come first in every form.  Template values are
shown as written, intrinsics in their short form (``!Ref VpcCIDR``), through ``printable``."""

from __future__ import annotations

import json
from typing import Any

from ..text import printable
from .engine import ResourceChange, Review

COMMENT_LIMIT = 65_536  # GitHub's limit on one comment
MARKER = {"add": "[+]", "remove": "[-]", "modify": "[~]"}


def shown(value: Any, limit: int = 160) -> str:
    if value is None:
        text = "(none)"
    elif (
        isinstance(value, dict)
        and len(value) == 1
        and (next(iter(value)) == "Ref" or next(iter(value)).startswith("Fn::"))
    ):
        key, inner = next(iter(value.items()))
        if key == "Ref":
            text = f"!Ref {inner}"
        elif key == "Fn::GetAtt":
            text = f"!GetAtt {'.'.join(inner) if isinstance(inner, list) else inner}"
        else:
            text = f"!{key[4:]} {inner if isinstance(inner, str) else json.dumps(inner, sort_keys=True)}"
    else:
        text = value if isinstance(value, str) else json.dumps(value, sort_keys=True)
    return printable(text, limit)


def summary(r: Review) -> dict[str, int]:
    return {
        "add": r.count("add"),
        "change": r.count("modify"),
        "replace": r.count("replace"),
        "remove": r.count("remove"),
    }


def _summary_text(r: Review, bold: str = "") -> str:
    s = summary(r)
    replace = f"{bold}{s['replace']} to replace{bold}" if s["replace"] else "0 to replace"
    return f"{s['add']} to add, {s['change']} to change, {replace}, {s['remove']} to remove"


def _resource_line(c: ResourceChange) -> str:
    line = f"{MARKER[c.action]} {c.type} {c.id}"
    if c.action == "modify" and c.replacement != "never":
        word = "requires replacement" if c.replacement == "always" else "may require replacement"
        line += f" ({word}: {c.because})"
    if c.action == "remove" and c.kept:
        line += " (removed from the stack, kept in the account)"
    return line


def _detail_lines(r: Review) -> list[str]:
    lines = []
    for c in r.resources:
        lines.append(_resource_line(c))
        lines += [f"    {printable(path)}: {shown(old)} -> {shown(new)}" for path, old, new in c.paths]
    for p in r.parameters:
        fields = f" ({', '.join(p['fields'])})" if p["fields"] else ""
        lines.append(f"{MARKER[p['action']]} parameter {p['name']}{fields}")
        for name in p["fields"]:
            lines.append(f"    {name}: {shown(p['old'].get(name))} -> {shown(p['new'].get(name))}")
    for o in r.outputs:
        lines.append(f"{MARKER[o['action']]} output {o['name']}{' (exported)' if o['exported'] else ''}")
    for s in r.sections:
        lines.append(f"{MARKER[s['action']]} {s['section'][:-1].lower()} {s['name']}")
    for i in r.iam:
        principals = f" for {', '.join(i['principals'])}" if i["principals"] else ""
        lines.append(
            f"{MARKER[i['action']]} IAM {i['resource']} ({i['document']}) {i['effect']} {', '.join(i['actions'])} "
            f"on {', '.join(i['resources']) or '-'}{principals}{' when ' + i['conditions'] if i['conditions'] else ''}"
        )
    for n in r.network:
        lines.append(f"{MARKER[n['action']]} {n['direction']} {n['resource']} {n['protocol']} {n['ports']} {n['peer']}")
    return [printable(line, 600) for line in lines]


def text(label: str, reviews: list[Review], allow: frozenset[str]) -> str:
    out = [f"Review against {printable(label)}:" if reviews else f"Review against {printable(label)}: no templates"]
    for r in reviews:
        out.append("")
        out.append(f"{r.path} ({r.status}): {_summary_text(r)}")
        for d in r.dangers:
            accepted = " (accepted by ALLOW)" if d["id"] in allow else ""
            out.append(printable(f"  DANGER {d['id']}: {d['why']}{accepted}", 800))
        for note in r.notes:
            out.append(printable(f"  note: {note}", 800))
        out += [f"  {line}" for line in _detail_lines(r)]
    dangers = sum(len(r.dangers) for r in reviews)
    out.append("")
    out.append(f"{dangers} danger(s) in {len(reviews)} template(s)")
    return "\n".join(out) + "\n"


def _mermaid(r: Review) -> list[str]:
    edges = [(c.replaced_by, c.id) for c in r.resources if c.replaced_by]
    if not edges:
        return []
    why = {c.id: c.because for c in r.resources if c.replacement == "always"}
    nodes = sorted({n for edge in edges for n in edge})
    lines = ["", "```mermaid", "graph LR"]  # a blank line first: a fence right after a list item joins it
    lines += [f'  {n}["{n}: {_mermaid_text(why.get(n, ""))}"]' for n in nodes]
    lines += [f"  {a} --> {b}" for a, b in edges]
    return [*lines, "```"]


def _mermaid_text(text: str) -> str:
    return printable(text, 120).replace('"', "'").replace("[", "(").replace("]", ")")


def markdown(label: str, reviews: list[Review], allow: frozenset[str]) -> str:
    head = [f"### mwaa-stack review against `{printable(label)}`", ""]
    for r in reviews:
        name = r.path.rsplit("/", 1)[-1].removesuffix(".yaml")
        head.append(f"- **{name}** ({r.status}): {_summary_text(r, bold='**')}")
    body: list[str] = []
    for r in reviews:
        if not (r.dangers or r.notes or r.resources or r.parameters or r.outputs or r.iam or r.network or r.sections):
            continue
        body += ["", f"#### `{r.path}`"]
        for d in r.dangers:
            accepted = " *(accepted by ALLOW)*" if d["id"] in allow else ""
            body.append(f"- :warning: **{d['id']}**: {_md(d['why'])}{accepted}")
        body += [f"- note: {_md(n)}" for n in r.notes]
        body += _mermaid(r)
        details = _detail_lines(r)
        if details:
            body += ["", "<details><summary>Details</summary>", "", "```", *details, "```", "", "</details>"]
    text = "\n".join([*head, *body]) + "\n"
    if len(text) > COMMENT_LIMIT:
        note = "\n\n*(cut to fit GitHub's comment limit; `make review` prints the whole review)*\n"
        text = text[: COMMENT_LIMIT - len(note)] + note
    return text


def _md(text: str) -> str:
    return printable(text, 800).replace("<", "&lt;").replace(">", "&gt;")


def as_json(label: str, reviews: list[Review], allow: frozenset[str]) -> str:
    document = {
        "base": label,
        "dangers": sum(len(r.dangers) for r in reviews),
        "templates": [
            {
                "path": r.path,
                "status": r.status,
                "summary": summary(r),
                "resources": [
                    {
                        "id": c.id,
                        "type": c.type,
                        "action": c.action,
                        "replacement": c.replacement,
                        "properties": c.properties,
                        "because": c.because,
                    }
                    for c in r.resources
                ],
                "parameters": [{k: p[k] for k in ("name", "action", "fields")} for p in r.parameters],
                "outputs": [{k: o[k] for k in ("name", "action", "exported")} for o in r.outputs],
                "iam": [
                    {k: i[k] for k in ("action", "resource", "effect", "actions", "resources", "principals")}
                    for i in r.iam
                ],
                "network": [
                    {k: n[k] for k in ("action", "resource", "direction", "protocol", "ports", "peer")}
                    for n in r.network
                ],
                "dangers": [{**d, "accepted": d["id"] in allow} for d in r.dangers],
                "notes": r.notes,
            }
            for r in reviews
        ],
    }
    return json.dumps(document, indent=1, sort_keys=False) + "\n"
