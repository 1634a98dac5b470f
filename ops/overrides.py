"""What a deployer passes: the template file and ``PARAMS`` overrides, checked
before anything reaches AWS.  Pure: no AWS, no network.

``PARAMS`` is split like a shell would split words (``Name='a b'`` keeps its space)
but never runs anything.  Each token is ``NAME=VALUE``; a name may appear once, must
be a parameter of the template, and its value must satisfy that parameter's
constraints.  Number parameters take whole numbers only (every Number parameter of
mwaa-stack's templates is a count); parameters named ``...CIDR`` take IPv4 CIDR
blocks; ``AWS::EC2::VPC::Id`` and ``List<AWS::EC2::Subnet::Id>`` take IDs of that shape.
"""

from __future__ import annotations

import ipaddress
import re
import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import UsageError
from .intrinsics import load_template
from .rules import broken_rules

PARAMETER_NAME = re.compile(r"[A-Za-z0-9]{1,255}")
INTEGER = re.compile(r"[+-]?[0-9]+")
# AWS-specific parameter type -> the prefix of its IDs (vpc-0a1b2c3d...).
AWS_ID_PREFIXES = {"AWS::EC2::VPC::Id": "vpc", "AWS::EC2::Subnet::Id": "subnet", "AWS::EC2::SecurityGroup::Id": "sg"}


@dataclass(frozen=True)
class Deployment:
    """A checked template and the parameter values a deploy or preview sends with it."""

    path: Path
    text: str
    body: dict[str, Any]
    values: dict[str, str]


def default_template(env: str) -> Path:
    """``out/mwaa-<env>.yaml`` when the environment has its own template, else ``out/mwaa.yaml``."""
    own = Path("out") / f"mwaa-{env}.yaml"
    return own if own.is_file() else Path("out") / "mwaa.yaml"


def prepare(path: Path, params: str, stack: str, env: str) -> Deployment:
    """Read ``path`` and check ``params`` against it; ``EnvironmentName`` defaults to the stack's
    name and ``AppEnv`` to the environment label, so two stacks never collide."""
    text, body = read_template(path)
    values = parse_overrides(
        body.get("Parameters", {}), split_params(params), {"EnvironmentName": stack, "AppEnv": env}, path.name
    )
    check_rules(body, values, "PARAMS")
    return Deployment(path, text, body, values)


def check_rules(body: dict[str, Any], values: dict[str, str], source: str) -> None:
    """One line naming every Rule of the template that ``values`` break (unknown values pass)."""
    broken = broken_rules(body, values)
    if broken:
        raise UsageError(f"{source} break the template's Rules: " + "; ".join(broken))


def read_template(path: Path, name: str = "TEMPLATE") -> tuple[str, dict[str, Any]]:
    """A CloudFormation template from a YAML or JSON file (its text and its data), or one line
    saying why it is not one; ``name`` is the variable that named the file."""
    if not path.exists():
        raise UsageError(f"{name}: {path} does not exist; `make template` builds out/")
    if not path.is_file():
        raise UsageError(f"{name}: {path} is not a file")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise UsageError(f"{name}: {path} is not UTF-8 text") from None
    return text, parse_template(text, f"{name}: {path}")


def parse_template(text: str, where: str) -> dict[str, Any]:
    """A template's data from its YAML or JSON text, or one line saying why ``where`` is not one."""
    import yaml

    try:
        data = load_template(text)
    # A YAML error, a scalar that looks like a date and is none (ValueError), nesting deeper
    # than the parser recurses.
    except (yaml.YAMLError, ValueError, RecursionError) as err:
        raise UsageError(f"{where} is not YAML or JSON: {str(err).splitlines()[0]}") from None
    if not isinstance(data, dict) or not isinstance(data.get("Resources"), dict):
        raise UsageError(f"{where} is not a CloudFormation template (no Resources)")
    return data


def split_params(text: str) -> list[str]:
    try:
        return shlex.split(text, comments=False, posix=True)
    except ValueError as err:
        raise UsageError(f"PARAMS: {err} in {text!r}") from None


def parse_overrides(
    declared: dict[str, dict], tokens: list[str], defaults: dict[str, str], template_name: str = "the template"
) -> dict[str, str]:
    """NAME=VALUE tokens over ``defaults`` (kept only where the template declares them),
    every value checked against its parameter's constraints."""
    values = {k: v for k, v in defaults.items() if k in declared}
    seen: set[str] = set()
    for token in tokens:
        name, sep, value = token.partition("=")
        if token.startswith("-"):
            raise UsageError(f"PARAMS: {token!r} looks like an option; PARAMS takes NAME=VALUE only")
        if not sep or not PARAMETER_NAME.fullmatch(name):
            raise UsageError(f"PARAMS: {token!r} is not NAME=VALUE")
        if name not in declared:
            raise UsageError(f"PARAMS: {name} is not a parameter of {template_name}; known: {', '.join(declared)}")
        if name in seen:
            raise UsageError(f"PARAMS: {name} is given twice; give each parameter once")
        seen.add(name)
        values[name] = value
    for name, value in values.items():
        problem = violation(name, declared[name], value)
        if problem:
            raise UsageError(f"PARAMS: {name}={value!r} {problem}")
    return values


def violation(name: str, spec: dict, value: str) -> str | None:
    """What is wrong with ``value`` for the parameter ``name`` declared as ``spec``, or None."""
    kind = str(spec.get("Type", "String"))
    allowed = [str(v) for v in spec.get("AllowedValues", [])]
    if allowed and value not in allowed:
        return "must be one of " + ", ".join(allowed)
    if kind == "Number":
        return _number_violation(spec, value)
    if kind.startswith("List<") and kind[5:-1] in AWS_ID_PREFIXES:
        item_kind = kind[5:-1]
        items = value.split(",") if value else []
        if not items or not all(_is_id(item_kind, item) for item in items):
            return f"must be a comma-separated list of {item_kind} values such as {AWS_ID_PREFIXES[item_kind]}-0a1b2c3d"
        return None
    if kind in AWS_ID_PREFIXES and not _is_id(kind, value):
        return f"must be a {kind} such as {AWS_ID_PREFIXES[kind]}-0a1b2c3d"
    if name.upper().endswith("CIDR"):
        problem = _cidr_violation(value)
        if problem:
            return problem
    if "AllowedPattern" in spec and not re.fullmatch(spec["AllowedPattern"], value):
        described = f" ({spec['ConstraintDescription']})" if "ConstraintDescription" in spec else ""
        return f"must match {spec['AllowedPattern']}{described}"
    low, high = int(spec.get("MinLength", 0)), int(spec.get("MaxLength", 4096))
    if not low <= len(value) <= high:
        return f"must be {low}-{high} characters"
    return None


def _number_violation(spec: dict, value: str) -> str | None:
    if not INTEGER.fullmatch(value):
        return "must be a whole number"
    number = int(value)
    low, high = spec.get("MinValue"), spec.get("MaxValue")
    if (low is not None and number < float(low)) or (high is not None and number > float(high)):
        return f"must be between {low} and {high}"
    return None


def _cidr_violation(value: str) -> str | None:
    try:
        ipaddress.IPv4Network(value, strict=True)
    except ValueError as err:
        return f"is not an IPv4 CIDR block: {err}"
    if "/" not in value:
        return "is not an IPv4 CIDR block: it has no /prefix"
    return None


def _is_id(kind: str, value: str) -> bool:
    return re.fullmatch(rf"{AWS_ID_PREFIXES[kind]}-[0-9a-f]{{8,17}}", value) is not None
