"""CloudFormation intrinsics resolved to concrete values, for tools that read a template's
policies as plain JSON: the security gates (parliament) and the permission check of
``make dag-test`` (moto's IAM).  Pure.

``Ref``, ``Fn::GetAtt``, ``Fn::Sub`` (both forms) and ``Fn::Join`` are resolved:
pseudo parameters and parameters from ``values``, resources through ``physical``
(``physical(logical_id, attribute or None)``: the name or attribute the resource
would have).  Anything else is left as it is.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

Physical = Callable[[str, str | None], str]
PLACEHOLDER = re.compile(r"\$\{([^}!]+)\}")


def pseudo_parameters(account: str, region: str, stack: str, partition: str = "aws") -> dict[str, str]:
    return {
        "AWS::AccountId": account,
        "AWS::Region": region,
        "AWS::Partition": partition,
        "AWS::StackName": stack,
        "AWS::URLSuffix": "amazonaws.com",
    }


def resolve(node: Any, values: Mapping[str, str], physical: Physical) -> Any:
    if isinstance(node, list):
        return [resolve(item, values, physical) for item in node]
    if not isinstance(node, dict):
        return node
    if "Ref" in node:
        name = node["Ref"]
        return values[name] if name in values else physical(name, None)
    if "Fn::GetAtt" in node:
        logical_id, attribute = node["Fn::GetAtt"]
        return physical(logical_id, attribute)
    if "Fn::Sub" in node:
        text, local = (node["Fn::Sub"], {}) if isinstance(node["Fn::Sub"], str) else node["Fn::Sub"]

        def substitute(match: re.Match) -> str:
            name = match.group(1)
            if name in local:
                return str(resolve(local[name], values, physical))
            if name in values:
                return values[name]
            logical_id, _, attribute = name.partition(".")
            return physical(logical_id, attribute or None)

        return PLACEHOLDER.sub(substitute, text)
    if "Fn::Join" in node:
        separator, items = node["Fn::Join"]
        return separator.join(str(item) for item in resolve(items, values, physical))
    return {key: resolve(value, values, physical) for key, value in node.items()}


def parameter_defaults(template: Mapping[str, Any]) -> dict[str, str]:
    return {k: str(v["Default"]) for k, v in template.get("Parameters", {}).items() if "Default" in v}


def load_template(text: str) -> dict[str, Any]:
    """A YAML template with CloudFormation's short-form tags (``!Sub``, ``!GetAtt A.B``...) as
    their long forms, with PyYAML alone: for interpreters without cfn-flip (the Airflow venvs)."""
    import yaml

    class Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # libyaml's parser where PyYAML has it
        pass

    def long_form(loader: yaml.SafeLoader, tag: str, node: yaml.Node) -> dict[str, Any]:
        if isinstance(node, yaml.ScalarNode):
            value: Any = loader.construct_scalar(node)
        elif isinstance(node, yaml.SequenceNode):
            value = loader.construct_sequence(node, deep=True)
        else:
            value = loader.construct_mapping(node, deep=True)
        if tag == "GetAtt" and isinstance(value, str):
            value = value.split(".", 1)  # the attribute may hold dots itself
        return {"Ref": value} if tag == "Ref" else {f"Fn::{tag}": value}

    Loader.add_multi_constructor("!", lambda loader, suffix, node: long_form(loader, suffix, node))
    return yaml.load(text, Loader=Loader)
