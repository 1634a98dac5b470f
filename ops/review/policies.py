"""IAM statements and security-group rules, compared across two templates: what was added
and what was removed, statement by statement and rule by rule, with the dangers among them."""

from __future__ import annotations

import json
from typing import Any

# Where a template holds policy documents: resource type -> (property path, what the document is).
DOCUMENTS: dict[str, list[tuple[tuple[str, ...], str]]] = {
    "AWS::IAM::Role": [(("AssumeRolePolicyDocument",), "trust"), (("Policies", "*", "PolicyDocument"), "inline")],
    "AWS::IAM::ManagedPolicy": [(("PolicyDocument",), "policy")],
    "AWS::IAM::Policy": [(("PolicyDocument",), "policy")],
    "AWS::S3::BucketPolicy": [(("PolicyDocument",), "bucket policy")],
    "AWS::KMS::Key": [(("KeyPolicy",), "key policy")],
    "AWS::SQS::QueuePolicy": [(("PolicyDocument",), "queue policy")],
}


def _documents(resource: dict[str, Any]) -> list[tuple[str, dict]]:
    props = resource.get("Properties") or {}
    return [
        (kind, document)
        for path, kind in DOCUMENTS.get(resource.get("Type", ""), [])
        for document in _walk(props, path)
        if isinstance(document, dict)
    ]


def _walk(value: Any, path: tuple[str, ...]) -> list[Any]:
    if not path:
        return [value]
    head, rest = path[0], path[1:]
    if head == "*":
        return [found for item in (value if isinstance(value, list) else []) for found in _walk(item, rest)]
    return _walk(value[head], rest) if isinstance(value, dict) and head in value else []


def _listed(value: Any) -> list[str]:
    if value is None:
        return []
    items = value if isinstance(value, list) else [value]
    return [i if isinstance(i, str) else json.dumps(i, sort_keys=True) for i in items]


def _statements(resources: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    """(resource, canonical statement) -> the statement, described."""
    found = {}
    for logical_id, resource in resources.items():
        for kind, document in _documents(resource):
            statements = document.get("Statement") or []
            for statement in statements if isinstance(statements, list) else [statements]:
                if not isinstance(statement, dict):
                    continue
                principal = statement.get("Principal")
                principals = (
                    sorted(f"{k}:{v}" for k, vs in principal.items() for v in _listed(vs))
                    if isinstance(principal, dict)
                    else _listed(principal)
                )
                found[(logical_id, json.dumps(statement, sort_keys=True))] = {
                    "resource": logical_id,
                    "document": kind,
                    "sid": statement.get("Sid", ""),
                    "effect": statement.get("Effect", ""),
                    "actions": _listed(statement.get("Action"))
                    or [f"not {a}" for a in _listed(statement.get("NotAction"))],
                    "resources": _listed(statement.get("Resource"))
                    or [f"not {r}" for r in _listed(statement.get("NotResource"))],
                    "principals": principals,
                    "conditions": json.dumps(statement["Condition"], sort_keys=True)
                    if "Condition" in statement
                    else "",
                }
    return found


def statement_changes(old: dict[str, Any], new: dict[str, Any]) -> list[dict[str, Any]]:
    before, after = _statements(old), _statements(new)
    changes = []
    for key in sorted(set(before) | set(after)):
        if key in before and key in after:
            continue
        item = {"action": "add" if key in after else "remove", **(after.get(key) or before[key])}
        item["dangers"] = _statement_dangers(item, existed=item["resource"] in old)
        changes.append(item)
    return changes


def _statement_dangers(item: dict[str, Any], existed: bool) -> list[str]:
    dangers = []
    # A key or bucket policy's Resource "*" is that key or bucket; a key policy's kms:* for the
    # account itself is AWS's default statement, which hands the key to IAM.
    own = item["document"] in ("key policy", "bucket policy", "queue policy", "trust")
    account_root = bool(item["principals"]) and all(":root" in p for p in item["principals"])
    if item["action"] == "add" and item["effect"] == "Allow":
        if any(a == "*" or a.endswith(":*") for a in item["actions"]) and not (own and account_root):
            dangers.append(f"a new Allow of {', '.join(item['actions'])}: every action of a service")
        elif "*" in item["resources"] and not own:
            dangers.append(f"a new Allow of {', '.join(item['actions'])} on every resource (*)")
        if item["document"] == "trust" and existed:  # a new role's trust widens nothing
            dangers.append(
                f"the trust policy is widened: {', '.join(item['principals']) or 'a principal'} may assume the role"
            )
    if item["action"] == "remove" and item["effect"] == "Deny":
        dangers.append(f"a Deny of {', '.join(item['actions'])} is removed")
    return dangers


def _rules(resources: dict[str, Any]) -> dict[tuple, dict[str, Any]]:
    found = {}
    for logical_id, resource in resources.items():
        kind, props = resource.get("Type", ""), resource.get("Properties") or {}
        rules: list[tuple[str, dict]] = []
        if kind == "AWS::EC2::SecurityGroup":
            rules += [("ingress", r) for r in props.get("SecurityGroupIngress") or [] if isinstance(r, dict)]
            rules += [("egress", r) for r in props.get("SecurityGroupEgress") or [] if isinstance(r, dict)]
        elif kind in ("AWS::EC2::SecurityGroupIngress", "AWS::EC2::SecurityGroupEgress"):
            rules.append(("ingress" if kind.endswith("Ingress") else "egress", props))
        for direction, rule in rules:
            peer_keys = (
                "CidrIp",
                "CidrIpv6",
                "SourceSecurityGroupId",
                "DestinationSecurityGroupId",
                "SourcePrefixListId",
                "DestinationPrefixListId",
            )
            peer = next((rule[k] for k in peer_keys if k in rule), "")
            low, high = rule.get("FromPort", ""), rule.get("ToPort", "")
            described = {
                "resource": logical_id,
                "direction": direction,
                "protocol": str(rule.get("IpProtocol", "")),
                "ports": "all"
                if str(rule.get("IpProtocol")) == "-1"
                else (f"{low}" if low == high else f"{low}-{high}"),
                "peer": peer if isinstance(peer, str) else json.dumps(peer, sort_keys=True),
            }
            found[(logical_id, direction, json.dumps(rule, sort_keys=True))] = described
    return found


def network_changes(old: dict[str, Any], new: dict[str, Any]) -> list[dict[str, Any]]:
    before, after = _rules(old), _rules(new)
    return [
        {"action": "add" if key in after else "remove", **(after.get(key) or before[key])}
        for key in sorted(set(before) | set(after), key=str)
        if (key in before) != (key in after)
    ]
