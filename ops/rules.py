"""The template's ``Rules`` section, evaluated offline on parameter values.

CloudFormation checks Rules only once a change set is requested; evaluating the same
section here lets ``make deploy`` and ``make diff`` refuse a bad combination (an
mw1.micro with two schedulers) with the rule's own message before anything is sent.
Pure: no AWS.

Values may be partial.  Evaluation is three-valued: a reference to a parameter whose
value is not known yet is *unknown*, and a rule is reported only when its condition
is surely true and an assertion surely false.  ``make deploy`` first checks PARAMS
alone, then, once it knows the stack's previous values, the complete set.

Supported functions: ``Ref``, ``Fn::Equals``, ``Fn::Not``, ``Fn::And``, ``Fn::Or``,
``Fn::Contains``, ``Fn::EachMemberEquals``, ``Fn::EachMemberIn``; anything else is
unknown (left to CloudFormation).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

UNKNOWN = None


def known_values(declared: Mapping[str, dict], *layers: Mapping[str, str]) -> dict[str, str]:
    """Parameter values from the template's defaults, overridden by each layer in turn."""
    values = {name: str(spec["Default"]) for name, spec in declared.items() if "Default" in spec}
    for layer in layers:
        values.update(layer)
    return values


def broken_rules(body: Mapping[str, Any], values: Mapping[str, str]) -> list[str]:
    """``rule: message`` for every assertion that surely fails with ``values``."""
    declared = body.get("Parameters", {})
    failures = []
    for name, rule in sorted(body.get("Rules", {}).items()):
        if "RuleCondition" in rule and _evaluate(rule["RuleCondition"], values, declared) is not True:
            continue
        for assertion in rule.get("Assertions", []):
            if _evaluate(assertion["Assert"], values, declared) is False:
                failures.append(f"{name}: {assertion.get('AssertDescription', 'assertion failed')}")
    return failures


def _evaluate(node: Any, values: Mapping[str, str], declared: Mapping[str, dict]) -> Any:
    if isinstance(node, str):
        return node
    if isinstance(node, list):
        items = [_evaluate(item, values, declared) for item in node]
        return UNKNOWN if any(item is UNKNOWN for item in items) else items
    if not isinstance(node, dict) or len(node) != 1:
        return UNKNOWN
    [(function, args)] = node.items()
    if function == "Ref":
        return _ref(args, values, declared)
    if function == "Fn::And":
        results = [_evaluate(a, values, declared) for a in args]
        return False if False in results else (UNKNOWN if UNKNOWN in results else True)
    if function == "Fn::Or":
        results = [_evaluate(a, values, declared) for a in args]
        return True if True in results else (UNKNOWN if UNKNOWN in results else False)
    if function == "Fn::Not":
        result = _evaluate(args[0], values, declared)
        return UNKNOWN if result is UNKNOWN else not result
    left, right = (_evaluate(a, values, declared) for a in args)
    if left is UNKNOWN or right is UNKNOWN:
        return UNKNOWN
    if function == "Fn::Equals":
        return left == right
    if function == "Fn::Contains":
        return right in left
    if function == "Fn::EachMemberEquals":
        return all(item == right for item in left)
    if function == "Fn::EachMemberIn":
        return all(item in right for item in left)
    return UNKNOWN


def _ref(name: str, values: Mapping[str, str], declared: Mapping[str, dict]) -> Any:
    if name not in values:
        return UNKNOWN
    kind = str(declared.get(name, {}).get("Type", "String"))
    if kind.startswith("List<") or kind == "CommaDelimitedList":
        return [item.strip() for item in values[name].split(",")]
    return values[name]
