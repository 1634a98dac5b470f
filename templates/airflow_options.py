"""The team's own Airflow configuration options, checked before they reach MWAA, and the
options the template sets itself.

MWAA turns each ``section.key`` option into ``AIRFLOW__SECTION__KEY`` in its containers.
Refused, each with the reason:

* a key of the wrong shape (CreateEnvironment's key pattern, one section and a key);
* an option MWAA sets itself and silently wins over (``catalogue.RESERVED_OPTIONS``);
* an option that does not exist in the environment's Airflow version: removed or moved by
  Airflow 3 (the table ``airflow config lint`` reports from), or a key unknown to a section
  that version has.  The lists are vendored from the project's Airflow 3.3.1 and 2.11.2
  installs (``templates/airflow_config/``, made by ``scripts/airflow_options.py``).  A
  section that version does not have is the team's own (MWAA accepts custom options, and
  DAGs read them with ``conf.get``), so it is left alone, as is every key of a version with
  no vendored list (:func:`unchecked_version` says so).
"""

from __future__ import annotations

import functools
import json
import re
from pathlib import Path

from .catalogue import METRICS_OPTIONS_ALLOWED, RELEASES, RESERVED_OPTIONS

# Key pattern of the CreateEnvironment API, narrowed to exactly one section and a key.
OPTION_KEY_PATTERN = r"^[a-z][a-z0-9_]*\.[a-z0-9_]*[a-z0-9_]$"
OPTION_KEY_MAX = 64
OPTION_VALUE_PATTERN = r"^[ -~]{1,65536}$"  # printable ASCII, as the API requires
OPTION_LISTS = Path(__file__).resolve().parent / "airflow_config"
_METRICS = "MWAA publishes Airflow's metrics to CloudWatch through StatsD; only " + ", ".join(METRICS_OPTIONS_ALLOWED)
SECRETS_BACKEND = "airflow.providers.amazon.aws.secrets.secrets_manager.SecretsManagerBackend"


@functools.cache
def known_options(version: str) -> frozenset[str] | None:
    """Every option Airflow ``version`` reads (old names it still honours included), or None."""
    path = OPTION_LISTS / f"options-{version}.txt"
    if not path.is_file():
        return None
    lines = path.read_text(encoding="utf-8").splitlines()
    return frozenset(line.split(" = ")[0] for line in lines if line and not line.startswith("#"))


@functools.cache
def airflow_3_changes() -> dict[str, str]:
    return json.loads((OPTION_LISTS / "airflow-3-changes.json").read_text(encoding="utf-8"))


def unchecked_version(version: str) -> bool:
    """Whether options for ``version`` can only be checked for shape and reservation."""
    return known_options(version) is None


def option_problem(key: str, value: str, version: str) -> str | None:
    """Why ``key = value`` cannot be an MWAA configuration option of Airflow ``version``, or None."""
    if len(key) > OPTION_KEY_MAX or not re.match(OPTION_KEY_PATTERN, key):
        return (
            f"keys must look like section.key: lower-case letters, digits and '_', one '.', "
            f"at most {OPTION_KEY_MAX} characters"
        )
    if key in RESERVED_OPTIONS:
        return f"{key} is reserved by MWAA: {RESERVED_OPTIONS[key]}"
    if key.startswith("metrics.") and key not in METRICS_OPTIONS_ALLOWED:
        return f"{key} is reserved by MWAA: {_METRICS} may be set"
    if not re.match(OPTION_VALUE_PATTERN, value):
        return "values must be 1-65536 printable ASCII characters"
    return _missing(key, version)


def _missing(key: str, version: str) -> str | None:
    known = known_options(version)
    if known is None or key in known:
        return None
    change = airflow_3_changes().get(key) if RELEASES[version].major >= 3 else None
    if change:
        return f"{key} was {change}, so Airflow {version} ignores it (airflow config lint)"
    section = key.split(".", 1)[0]
    if any(option.startswith(section + ".") for option in known):
        return f"Airflow {version} has no option {key}; its [{section}] options are listed in {OPTION_LISTS.name}/"
    return None  # a section of the team's own


def option_value(value: object) -> str:
    """A TOML value as the string MWAA stores: booleans as Airflow writes them in
    airflow.cfg (``true``/``false``), numbers as written."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return value if isinstance(value, str) else str(value)


def template_options(secrets_backend: bool, connections_prefix: str, variables_prefix: str) -> dict[str, str]:
    """The Airflow options the template sets itself, as plain strings (app.env comes from the
    AppEnv parameter, so no team value can equal it)."""
    options = {"core.dag_run_conf_overrides_params": "true", "app.env": "the AppEnv parameter (set app_env)"}
    if secrets_backend:
        options["secrets.backend"] = SECRETS_BACKEND
        options["secrets.backend_kwargs"] = json.dumps(
            {"connections_prefix": connections_prefix, "variables_prefix": variables_prefix}, sort_keys=True
        )
    return options
