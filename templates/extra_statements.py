"""The team's own statements in the execution policy, checked at build time.

A team whose DAGs call AWS adds what they need as an array of TOML tables::

    [[extra_policy_statements]]
    sid = "ReadLandingZone"
    effect = "Allow"
    actions = ["s3:GetObject"]
    resources = ["arn:${AWS::Partition}:s3:::landing-${AWS::AccountId}/*"]
    condition = { StringEquals = { "aws:ResourceAccount" = "${AWS::AccountId}" } }

Resources and condition values may use ``${AWS::Partition}``, ``${AWS::Region}``,
``${AWS::AccountId}`` and ``${EnvironmentName}`` (emitted with ``Fn::Sub``).  Refused:
a missing or repeated sid (or one of the template's own), an action that is not
``service:Action`` (wildcards inside the name are fine), ``*`` as an action, and the
grants that make an execution role an administrator's: Allow of ``service:*`` on
``*``, and ``iam:PassRole`` (or a wildcard that covers it) on ``*``.
"""

from __future__ import annotations

import fnmatch
import json
import re
from dataclasses import dataclass

from .errors import SettingsError

NAME = "extra_policy_statements"
SID_PATTERN = r"^[A-Za-z0-9]{1,128}$"  # IAM: alphanumerics only
ACTION_PATTERN = r"^[a-z0-9-]+:[A-Za-z0-9*?]+$"
VARIABLE = re.compile(r"\$\{([^}]*)\}")
VARIABLES = ("AWS::Partition", "AWS::Region", "AWS::AccountId", "EnvironmentName")
EFFECTS = ("Allow", "Deny")
KEYS = ("sid", "effect", "actions", "resources", "condition")
# IAM condition operators; each may end in IfExists and take a ForAllValues:/ForAnyValue: prefix.
CONDITION_OPERATORS = (
    "StringEquals",
    "StringNotEquals",
    "StringEqualsIgnoreCase",
    "StringNotEqualsIgnoreCase",
    "StringLike",
    "StringNotLike",
    "NumericEquals",
    "NumericNotEquals",
    "NumericLessThan",
    "NumericLessThanEquals",
    "NumericGreaterThan",
    "NumericGreaterThanEquals",
    "DateEquals",
    "DateNotEquals",
    "DateLessThan",
    "DateLessThanEquals",
    "DateGreaterThan",
    "DateGreaterThanEquals",
    "Bool",
    "BinaryEquals",
    "IpAddress",
    "NotIpAddress",
    "ArnEquals",
    "ArnLike",
    "ArnNotEquals",
    "ArnNotLike",
    "Null",
)


@dataclass(frozen=True)
class ExtraStatement:
    sid: str
    effect: str
    actions: tuple[str, ...]
    resources: tuple[str, ...]
    # {operator: {key: [values]}} as canonical JSON, so the settings stay hashable.
    condition: str = ""

    @property
    def conditions(self) -> dict[str, dict[str, list[str]]]:
        return json.loads(self.condition) if self.condition else {}


def parse_statements(value: object, reserved_sids: tuple[str, ...] = ()) -> tuple[ExtraStatement, ...]:
    if isinstance(value, tuple) and all(isinstance(s, ExtraStatement) for s in value):
        statements = value
    elif isinstance(value, list) and all(isinstance(item, dict) for item in value):
        statements = tuple(_statement(index, item) for index, item in enumerate(value, start=1))
    else:
        raise SettingsError(NAME, value, "must be an array of tables ([[extra_policy_statements]] in a settings file)")
    seen: set[str] = set()
    for statement in statements:
        if statement.sid in seen or statement.sid in reserved_sids:
            raise SettingsError(
                NAME,
                statement.sid,
                "sids must be unique and not one of the template's own: " + ", ".join(reserved_sids),
            )
        seen.add(statement.sid)
        _check_grant(statement)
    return statements


def _statement(index: int, item: dict) -> ExtraStatement:
    where = f"{NAME}[{index}]"
    unknown = sorted(set(item) - set(KEYS))
    if unknown:
        raise SettingsError(where, unknown[0], "unknown key; a statement has " + ", ".join(KEYS))
    sid = item.get("sid")
    if not isinstance(sid, str) or not re.match(SID_PATTERN, sid):
        raise SettingsError(f"{where}.sid", sid, "every statement needs a sid of 1-128 letters and digits")
    where = f"{NAME}[{sid}]"
    effect = item.get("effect")
    if effect not in EFFECTS:
        raise SettingsError(f"{where}.effect", effect, "must be Allow or Deny")
    actions = _strings(item.get("actions"), f"{where}.actions")
    for action in actions:
        if action == "*" or not re.match(ACTION_PATTERN, action):
            raise SettingsError(
                f"{where}.actions", action, "must be service:Action, such as s3:GetObject or glue:Get* (not *)"
            )
    resources = _strings(item.get("resources"), f"{where}.resources")
    for resource in resources:
        _check_variables(f"{where}.resources", resource)
        if resource != "*" and not resource.startswith("arn:"):
            raise SettingsError(f"{where}.resources", resource, "must be * or an ARN (arn:${AWS::Partition}:...)")
    return ExtraStatement(sid, effect, actions, resources, _condition(item.get("condition"), f"{where}.condition"))


def _strings(value: object, where: str) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not value or not all(isinstance(v, str) and v for v in value):
        raise SettingsError(where, value, "must be a non-empty list of strings")
    if len(set(value)) != len(value):
        raise SettingsError(where, value, "must not repeat an entry")
    return tuple(value)


def _check_variables(where: str, text: str) -> None:
    for name in VARIABLE.findall(text):
        if name not in VARIABLES:
            raise SettingsError(where, text, "may use only ${" + "}, ${".join(VARIABLES) + "}")
    if "${" in VARIABLE.sub("", text):
        raise SettingsError(where, text, "has an unclosed ${")


def _condition(value: object, where: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, dict) or not value:
        raise SettingsError(
            where, value, 'must be a table such as { StringEquals = { "aws:ResourceTag/team" = "data" } }'
        )
    canonical: dict[str, dict[str, list[str]]] = {}
    for operator, tests in value.items():
        base = operator.split(":", 1)[1] if operator.startswith(("ForAllValues:", "ForAnyValue:")) else operator
        if base.removesuffix("IfExists") not in CONDITION_OPERATORS:
            raise SettingsError(where, operator, "is not an IAM condition operator such as StringEquals or ArnLike")
        if not isinstance(tests, dict) or not tests:
            raise SettingsError(f"{where}.{operator}", tests, "must be a table of condition keys and values")
        canonical[operator] = {}
        for key, expected in tests.items():
            values = [expected] if isinstance(expected, (str, bool, int)) else expected
            if not isinstance(values, list) or not values or not all(isinstance(v, (str, bool, int)) for v in values):
                raise SettingsError(f"{where}.{operator}", key, "values must be strings, numbers, booleans or lists")
            strings = [str(v).lower() if isinstance(v, bool) else str(v) for v in values]
            for text in strings:
                _check_variables(f"{where}.{operator}", text)
            canonical[operator][key] = strings
    return json.dumps(canonical, sort_keys=True)


def _covers(pattern: str, action: str) -> bool:
    return fnmatch.fnmatchcase(action.lower(), pattern.lower())


def _check_grant(statement: ExtraStatement) -> None:
    if statement.effect != "Allow" or "*" not in statement.resources:
        return
    where = f"{NAME}[{statement.sid}]"
    for action in statement.actions:
        if action.endswith(":*"):
            raise SettingsError(
                where,
                action,
                "Allow of every action of a service on * makes the role an administrator; name the actions",
            )
        if _covers(action, "iam:PassRole"):
            raise SettingsError(
                where, action, "iam:PassRole on * lets DAGs hand any role to any service; name the roles"
            )
