"""TOML values and ``--set`` text to the kinds the checks take (``checks.KINDS``).

Strings become numbers and flags; lists become tuples (a pair of CIDRs may be ``"a,b"``);
tables become sorted (key, value) pairs; an array of tables becomes statements.  Whatever
cannot be converted is left for the check to refuse with its own message.
"""

from __future__ import annotations

from ..airflow_options import option_value
from ..errors import SettingsError
from ..extra_statements import parse_statements


def coerce(name: str, kind: str, value: object) -> object:
    return _CONVERTERS.get(kind, _same)(name, value)


def _same(name: str, value: object) -> object:
    return value


def _int(name: str, value: object) -> object:
    if not isinstance(value, str):
        return value
    try:
        return int(value.strip())
    except ValueError:
        raise SettingsError(name, value, "must be a whole number") from None


def _bool(name: str, value: object) -> object:
    if not isinstance(value, str):
        return value
    if value.strip().lower() in ("true", "1", "yes"):
        return True
    if value.strip().lower() in ("false", "0", "no"):
        return False
    raise SettingsError(name, value, "must be true or false")


def _strings(name: str, value: object) -> object:
    if isinstance(value, str):
        value = [part.strip() for part in value.split(",")] if value.strip() else []
    return tuple(value) if isinstance(value, list) else value


def _pairs(name: str, value: object) -> object:
    if isinstance(value, str):  # --set tags=team=data,cost-center=42
        pairs = [item.partition("=") for item in value.split(",") if item.strip()]
        if any(not sep for _, sep, _ in pairs):
            raise SettingsError(name, value, "must be KEY=VALUE pairs separated by commas")
        value = {k.strip(): v.strip() for k, _, v in pairs}
    return value


def _table(name: str, value: object) -> object:
    value = _pairs(name, value)
    if isinstance(value, dict):
        return tuple(sorted((str(k), v if isinstance(v, str) else repr(v)) for k, v in value.items()))
    return value


def _options(name: str, value: object) -> object:
    """Airflow options: TOML numbers and booleans as MWAA stores them (strings)."""
    value = _pairs(name, value)
    if isinstance(value, dict):
        for key, option in value.items():
            if not isinstance(option, (str, int, float, bool)):
                raise SettingsError(name, f"{key}={option!r}", "values must be strings, numbers or booleans")
        return tuple(sorted((str(k), option_value(v)) for k, v in value.items()))
    return value


def _statements(name: str, value: object) -> object:
    if isinstance(value, str):
        raise SettingsError(name, value, "is an array of tables: set it in a settings file, not with --set")
    return parse_statements(value)


_CONVERTERS = {
    "int": _int,
    "bool": _bool,
    "strings": _strings,
    "pair": _strings,
    "table": _table,
    "options": _options,
    "statements": _statements,
}
