"""What a change to a template does, resource by resource: pure, no AWS and no git.

Replacement comes from the CloudFormation registry schemas cfn-lint ships
(``createOnlyProperties``), read only for the types present: ``always`` when a
create-only property's text changes, ``conditional`` when either side of it holds a
value only the deployment decides (``Fn::If``, ``Fn::ImportValue``, a type with no schema),
``never`` otherwise.  A resource whose create-only property refers (``Ref``, ``Fn::GetAtt``,
``${...}`` in ``Fn::Sub``) to a replaced resource is replaced too, "because X is
replaced"; a reference through any other property is an update.  Dangers are the
changes a reviewer of an MWAA stack must not miss, each said in MWAA's words
(``dangers.py``).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from .policies import DOCUMENTS, network_changes, statement_changes

UNDECIDED = ("Fn::If", "Fn::ImportValue")
SUB_NAME = re.compile(r"\$\{([A-Za-z0-9]+)(?:\.[^}]*)?\}")


@dataclass
class ResourceChange:
    id: str
    type: str
    action: str  # add, remove, modify
    replacement: str = "never"  # always, conditional, never
    properties: list[str] = field(default_factory=list)
    paths: list[tuple[str, Any, Any]] = field(default_factory=list)  # (path, old, new)
    because: str = ""
    replaced_by: str = ""  # the replaced resource this one's replacement follows from
    kept: bool = False  # DeletionPolicy/UpdateReplacePolicy Retain: the old one stays in the account


@dataclass
class Review:
    path: str
    status: str  # added, removed, modified, unchanged
    resources: list[ResourceChange] = field(default_factory=list)
    parameters: list[dict[str, Any]] = field(default_factory=list)
    outputs: list[dict[str, Any]] = field(default_factory=list)
    sections: list[dict[str, Any]] = field(default_factory=list)  # Rules, Conditions
    iam: list[dict[str, Any]] = field(default_factory=list)
    network: list[dict[str, Any]] = field(default_factory=list)
    dangers: list[dict[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def count(self, action: str) -> int:
        if action == "replace":
            return sum(r.action == "modify" and r.replacement != "never" for r in self.resources)
        return sum(r.action == action and (action != "modify" or r.replacement == "never") for r in self.resources)


# --- the registry schemas -------------------------------------------------------------------


@cache
def _schemas_folder() -> Path:
    import importlib.util

    spec = importlib.util.find_spec("cfnlint")
    return Path(next(iter(spec.submodule_search_locations))) / "data" / "schemas"


@cache
def _provider() -> dict[str, str]:
    return json.loads((_schemas_folder() / "providers" / "us-east-1.json").read_text(encoding="utf-8"))


@cache
def create_only(kind: str) -> tuple[tuple[str, ...], ...] | None:
    """The create-only property paths of ``kind`` (``("NetworkConfiguration", "SubnetIds")``), or
    None for a type cfn-lint has no schema of."""
    digest = _provider().get(kind)
    if digest is None:
        return None
    schema = json.loads((_schemas_folder() / "resources" / f"{digest}.json").read_text(encoding="utf-8"))
    paths = []
    for pointer in schema.get("createOnlyProperties", []):
        parts = pointer.removeprefix("/properties/").split("/")
        paths.append(tuple(parts[: parts.index("*")] if "*" in parts else parts))
    return tuple(paths)


# --- values -----------------------------------------------------------------------------------


def at(value: Any, path: tuple[str, ...]) -> Any:
    for part in path:
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


def changed_paths(old: Any, new: Any, prefix: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], Any, Any]]:
    """Leaf paths where ``old`` and ``new`` differ; lists and intrinsics compare whole."""
    plain = isinstance(old, dict) and isinstance(new, dict) and not _intrinsic(old) and not _intrinsic(new)
    if not plain:
        return [] if old == new else [(prefix, old, new)]
    found = []
    for key in sorted(set(old) | set(new)):
        found += changed_paths(old.get(key), new.get(key), (*prefix, key))
    return found


def _intrinsic(value: dict) -> bool:
    return len(value) == 1 and next(iter(value)).startswith(("Fn::", "Ref", "Condition"))


def references(value: Any) -> set[str]:
    """Logical ids (and parameters) ``value`` refers to."""
    if isinstance(value, list):
        return set().union(*(references(v) for v in value)) if value else set()
    if not isinstance(value, dict):
        return set()
    if "Ref" in value and isinstance(value["Ref"], str):
        return {value["Ref"]}
    if "Fn::GetAtt" in value:
        target = value["Fn::GetAtt"]
        return {target[0] if isinstance(target, list) else str(target).split(".", 1)[0]}
    if "Fn::Sub" in value:
        text, local = (value["Fn::Sub"], {}) if isinstance(value["Fn::Sub"], str) else value["Fn::Sub"]
        return {n for n in SUB_NAME.findall(text) if n not in local} | references(local)
    return set().union(*(references(v) for v in value.values())) if value else set()


def _undecided(value: Any) -> bool:
    if isinstance(value, dict):
        return any(k in UNDECIDED for k in value) or any(_undecided(v) for v in value.values())
    if isinstance(value, list):
        return any(_undecided(v) for v in value)
    return False


# --- the review ---------------------------------------------------------------------------------


def review(path: str, old: dict[str, Any] | None, new: dict[str, Any] | None) -> Review:
    status = "added" if old is None else "removed" if new is None else "modified" if old != new else "unchanged"
    result = Review(path, status)
    old, new = old or {}, new or {}
    old_resources, new_resources = old.get("Resources", {}) or {}, new.get("Resources", {}) or {}
    for logical_id in sorted(set(old_resources) | set(new_resources)):
        change = _resource(logical_id, old_resources.get(logical_id), new_resources.get(logical_id))
        if change is not None:
            result.resources.append(change)
    _cascade(result, new_resources)
    result.parameters = _parameters(old.get("Parameters") or {}, new.get("Parameters") or {})
    result.outputs = _outputs(old.get("Outputs") or {}, new.get("Outputs") or {})
    result.sections = _sections(old, new)
    result.iam = statement_changes(old_resources, new_resources)
    result.network = network_changes(old_resources, new_resources)
    from .dangers import dangers_of

    result.dangers, result.notes = dangers_of(result, old_resources, new_resources)
    return result


def _resource(logical_id: str, old: dict | None, new: dict | None) -> ResourceChange | None:
    kind = (new or old or {}).get("Type", "")
    if old is None:
        return ResourceChange(logical_id, kind, "add")
    if new is None:
        kept = old.get("DeletionPolicy") in ("Retain", "RetainExceptOnCreate")
        return ResourceChange(logical_id, kind, "remove", kept=kept)
    if old == new:
        return None
    change = ResourceChange(logical_id, kind, "modify")
    old_props, new_props = old.get("Properties") or {}, new.get("Properties") or {}
    documents = {p[0] for p, _ in DOCUMENTS.get(kind, [])}
    for path, before, after in changed_paths(old_props, new_props):
        if path[0] not in change.properties:
            change.properties.append(path[0])
        if path[0] in documents:  # statement by statement in the IAM part instead of one blob
            if (path[0], "(statements)", "") not in change.paths:
                change.paths.append((path[0], "(statements)", "(see IAM)"))
            continue
        change.paths.append((".".join(path), before, after))
    for attribute in ("DependsOn", "DeletionPolicy", "UpdateReplacePolicy", "Condition", "Metadata"):
        if old.get(attribute) != new.get(attribute):
            change.paths.append((f"({attribute})", old.get(attribute), new.get(attribute)))
    if old.get("Type") != new.get("Type"):
        change.replacement, change.because = "always", f"its type changes to {new.get('Type')}"
        return change
    fixed = create_only(kind)
    if fixed is None and change.properties:
        change.replacement, change.because = "conditional", f"cfn-lint has no schema of {kind}"
    for prop in fixed or ():
        before, after = at(old_props, prop), at(new_props, prop)
        if before != after:
            undecided = _undecided(before) or _undecided(after)
            if change.replacement != "always":
                change.replacement = "conditional" if undecided else "always"
            change.because = f"{'.'.join(prop)} is create-only"
            if not undecided:
                break
    change.kept = new.get("UpdateReplacePolicy") in ("Retain",)
    return change


def _cascade(result: Review, new_resources: dict[str, Any]) -> None:
    """A resource whose create-only property refers to a replaced one is replaced too."""
    changes = {c.id: c for c in result.resources}
    grew = True
    while grew:
        grew = False
        replaced = {c.id for c in changes.values() if c.replacement == "always" and c.action == "modify"}
        for logical_id, resource in sorted(new_resources.items()):
            current = changes.get(logical_id)
            if current is not None and (current.action != "modify" or current.replacement == "always"):
                continue
            props = resource.get("Properties") or {}
            for prop in create_only(resource.get("Type", "")) or ():
                hit = sorted(references(at(props, prop)) & replaced)
                if hit:
                    if current is None:
                        current = changes[logical_id] = ResourceChange(logical_id, resource["Type"], "modify")
                        result.resources.append(current)
                    current.replacement, current.replaced_by = "always", hit[0]
                    current.because = f"{'.'.join(prop)} refers to {hit[0]}, which is replaced"
                    grew = True
                    break
    result.resources.sort(key=lambda c: c.id)


def _changed(old: dict, new: dict) -> list[tuple[str, str, Any, Any]]:
    """(name, add|remove|modify, old entry, new entry) for each entry of a section that differs."""
    found = []
    for name in sorted(set(old) | set(new)):
        before, after = old.get(name), new.get(name)
        if before != after:
            found.append((name, "add" if name not in old else "remove" if name not in new else "modify", before, after))
    return found


def _parameters(old: dict, new: dict) -> list[dict[str, Any]]:
    changes = []
    for name, action, before, after in _changed(old, new):
        if action != "modify":
            changes.append({"name": name, "action": action, "fields": []})
            continue
        fields = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
        changes.append({"name": name, "action": "modify", "fields": fields, "old": before, "new": after})
    return changes


def _outputs(old: dict, new: dict) -> list[dict[str, Any]]:
    return [
        {
            "name": name,
            "action": action,
            "exported": bool((before or {}).get("Export") or (after or {}).get("Export")),
            "export_changed": (before or {}).get("Export") != (after or {}).get("Export"),
        }
        for name, action, before, after in _changed(old, new)
    ]


def _sections(old: dict, new: dict) -> list[dict[str, Any]]:
    return [
        {"section": section, "name": name, "action": action}
        for section in ("Rules", "Conditions")
        for name, action, _, _ in _changed(old.get(section) or {}, new.get(section) or {})
    ]
