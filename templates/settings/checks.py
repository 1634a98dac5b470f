"""Checks of one setting's value, troposphere-validator style: small factories, each a
callable ``check(name, value, settings)`` that raises :class:`SettingsError` in one line.

Each check knows the kind of value it takes, which is how TOML and ``--set`` text are
coerced (``coerce.py``), and, where a CloudFormation Parameter carries the setting, the
constraint it renders there (``constraints()``), so a parameter never restates a limit.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..catalogue import CLASSES, widest
from ..errors import SettingsError

Test = Callable[[str, Any, Any], None]  # (name, value, settings) -> raises SettingsError

# The kinds a value can have, and the message for a value of another type.
KINDS: dict[str, str] = {
    "int": "must be a whole number",
    "bool": "must be true or false",
    "str": "must be a string",
    "strings": "must be a list of strings",
    "pair": "must be exactly two CIDR blocks, one per Availability Zone",
    "table": "must be a table of string keys and string values",
    "options": "must be a table of string keys and string values",
    "statements": "must be an array of tables",
}


def _is_kind(kind: str, value: object) -> bool:
    if kind == "int":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "bool":
        return isinstance(value, bool)
    if kind == "str":
        return isinstance(value, str)
    if kind == "strings":
        return isinstance(value, tuple) and all(isinstance(v, str) for v in value)
    if kind == "pair":
        return isinstance(value, tuple) and len(value) == 2 and all(isinstance(v, str) for v in value)
    if kind in ("table", "options"):
        return isinstance(value, tuple) and all(
            isinstance(p, tuple) and len(p) == 2 and all(isinstance(x, str) for x in p) for p in value
        )
    return isinstance(value, tuple)  # statements: parsed by their own check


@dataclass(frozen=True)
class Check:
    kind: str
    test: Test | None = None
    cfn: dict[str, object] = field(default_factory=dict)

    def __call__(self, name: str, value: object, settings: object) -> None:
        if not _is_kind(self.kind, value):
            raise SettingsError(name, value, KINDS[self.kind])
        if self.test is not None:
            self.test(name, value, settings)

    def constraints(self) -> dict[str, object]:
        """What a CloudFormation Parameter of this setting must say about its values."""
        return dict(self.cfn)


def fail(name: str, value: object, allowed: str) -> None:
    raise SettingsError(name, value, allowed)


def one_of(choices: Sequence[str], *, blank: bool = False) -> Check:
    """One of ``choices`` (or "" when ``blank``: the property is left to MWAA)."""

    def test(name: str, value: str, _: object) -> None:
        if value not in choices and not (blank and value == ""):
            fail(name, value, "must be one of " + ", ".join(("",) * blank + tuple(choices)))

    return Check("str", test, {"AllowedValues": list(choices)})


def between(low: int, high: int, *, why: str = "") -> Check:
    def test(name: str, value: int, _: object) -> None:
        if not low <= value <= high:
            fail(name, value, f"must be between {low} and {high}{why}")

    return Check("int", test, {"MinValue": low, "MaxValue": high})


def per_class(limit: str) -> Check:
    """A count whose bounds depend on the environment class (catalogue ``limit``); the
    parameter takes the bounds across every class, the template's Rules the rest."""

    def test(name: str, value: int, settings: Any) -> None:
        environment_class = CLASSES.get(settings.environment_class)
        if environment_class is None:
            return  # environment_class names the problem
        low, high = getattr(environment_class, limit)
        if low == high and value != low:
            fail(name, value, f"must be {low} for {environment_class.name}")
        if not low <= value <= high:
            fail(name, value, f"must be between {low} and {high} for {environment_class.name}")

    low, high = widest(limit)
    return Check("int", test, {"MinValue": low, "MaxValue": high})


def matches(pattern: str, allowed: str, *, description: str = "", max_length: int | None = None) -> Check:
    """A string matching ``pattern``; ``description`` is the parameter's ConstraintDescription."""
    compiled = re.compile(pattern)

    def test(name: str, value: str, _: object) -> None:
        if not compiled.match(value) or (max_length is not None and len(value) > max_length):
            fail(name, value, allowed)

    cfn: dict[str, object] = {"AllowedPattern": pattern}
    if max_length is not None:
        cfn.update(MinLength=1, MaxLength=max_length)
    if description:
        cfn["ConstraintDescription"] = description
    return Check("str", test, cfn)


def text(test: Test | None = None) -> Check:
    return Check("str", test)


def flag() -> Check:
    return Check("bool")


def number(test: Test | None = None) -> Check:
    return Check("int", test)


def strings(test: Test | None = None) -> Check:
    return Check("strings", test)


def table(test: Test | None = None, *, kind: str = "table") -> Check:
    return Check(kind, test)


CIDR_PATTERN = r"^(\d{1,3}\.){3}\d{1,3}/(1[6-9]|2[0-8])$"
CIDR_DESCRIPTION = "an IPv4 CIDR block with a prefix between /16 and /28"


def network_of(name: str, cidr: str) -> ipaddress.IPv4Network:
    allowed = "must be an IPv4 CIDR block such as 10.192.0.0/16, with a prefix between /16 and /28"
    if not re.match(CIDR_PATTERN, cidr):
        fail(name, cidr, allowed)
    try:
        return ipaddress.IPv4Network(cidr, strict=True)
    except ValueError:  # host bits set, or an octet above 255
        raise SettingsError(name, cidr, allowed + " and no host bits set") from None


def cidr() -> Check:
    """An IPv4 CIDR block of /16 to /28, the sizes a VPC or subnet may have."""
    return Check(
        "str",
        lambda name, value, _: network_of(name, value) and None,
        {"AllowedPattern": CIDR_PATTERN, "ConstraintDescription": CIDR_DESCRIPTION},
    )


def cidr_pair() -> Check:
    def test(name: str, value: tuple[str, str], _: object) -> None:
        for item in value:
            network_of(name, item)

    return Check("pair", test, {"AllowedPattern": CIDR_PATTERN, "ConstraintDescription": CIDR_DESCRIPTION})
