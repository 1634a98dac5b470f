"""Build settings: one frozen, validated value that says what template to build.

Each field here is the *default* of a CloudFormation Parameter of the same
meaning (see ``parameters.py``): a deployer can still override it with
``--parameter-overrides``; the settings decide what the committed template
offers out of the box and are validated before anything is written.

Validation errors are :class:`SettingsError`, whose message is one line naming
the setting, the bad value and what is allowed.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import re
from dataclasses import dataclass

# Airflow versions Amazon MWAA accepts for new environments, in version order
# (MWAA user guide, "Supported Apache Airflow versions", as of 2026-11: 3.3.1 has
# been available since 2026-09-01, 2.11.2 since 2026-07-23).  The newest is the
# default.  Adding a version MWAA announces is a one-line change here.
AIRFLOW_VERSIONS: tuple[str, ...] = (
    "2.7.2", "2.8.1", "2.9.2", "2.10.1", "2.10.3", "2.11.0", "2.11.2", "3.0.6", "3.2.1", "3.3.1",
)
ENVIRONMENT_CLASSES: tuple[str, ...] = ("mw1.micro", "mw1.small", "mw1.medium", "mw1.large", "mw1.xlarge", "mw1.2xlarge")
LOG_LEVELS: tuple[str, ...] = ("CRITICAL", "ERROR", "WARNING", "INFO", "DEBUG")
WEBSERVER_ACCESS_MODES: tuple[str, ...] = ("PUBLIC_ONLY", "PRIVATE_ONLY")

# MWAA service limits (user guide, environment classes and autoscaling).
MAX_WORKERS_LIMIT = 25
SCHEDULERS_RANGE = (2, 5)  # mw1.micro runs exactly one scheduler
ENVIRONMENT_NAME_PATTERN = r"^[a-zA-Z][0-9a-zA-Z\-_]*$"
ENVIRONMENT_NAME_MAX = 80
# The value lands in airflow.cfg as [app] env and in AIRFLOW__APP__ENV.
APP_ENV_PATTERN = r"^[A-Za-z0-9._-]{1,64}$"
CIDR_PATTERN = r"^(\d{1,3}\.){3}\d{1,3}/(1[6-9]|2[0-8])$"


class SettingsError(ValueError):
    """A setting has a value the template cannot be built with."""

    def __init__(self, name: str, value: object, allowed: str) -> None:
        super().__init__(f"invalid setting {name}={value!r}: {allowed}")
        self.setting = name


@dataclass(frozen=True, slots=True)
class Settings:
    environment_name: str = "MwaaEnvironment"
    airflow_version: str = AIRFLOW_VERSIONS[-1]
    environment_class: str = "mw1.small"
    min_workers: int = 1
    max_workers: int = 2
    schedulers: int = 2
    webserver_access_mode: str = "PUBLIC_ONLY"
    # Quick-start network layout.
    vpc_cidr: str = "10.192.0.0/16"
    public_subnet_cidrs: tuple[str, str] = ("10.192.10.0/24", "10.192.11.0/24")
    private_subnet_cidrs: tuple[str, str] = ("10.192.20.0/24", "10.192.21.0/24")
    dag_processing_log_level: str = "INFO"
    scheduler_log_level: str = "INFO"
    task_log_level: str = "INFO"
    worker_log_level: str = "INFO"
    webserver_log_level: str = "INFO"
    # Becomes the Airflow configuration option app.env (AIRFLOW__APP__ENV in tasks).
    app_env: str = "dev"

    def __post_init__(self) -> None:
        for check in (
            self._check_types,
            self._check_environment_name,
            self._check_choices,
            self._check_workers,
            self._check_schedulers,
            self._check_network,
            self._check_app_env,
        ):
            check()

    # -- checks -----------------------------------------------------------------

    def _check_types(self) -> None:
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if f.type == "int" and (not isinstance(value, int) or isinstance(value, bool)):
                raise SettingsError(f.name, value, "must be a whole number")
            if f.type == "str" and not isinstance(value, str):
                raise SettingsError(f.name, value, "must be a string")
            if f.type == "tuple[str, str]" and not (
                isinstance(value, tuple) and len(value) == 2 and all(isinstance(v, str) for v in value)
            ):
                raise SettingsError(f.name, value, "must be exactly two CIDR blocks, one per Availability Zone")

    def _check_environment_name(self) -> None:
        name = self.environment_name
        if not (1 <= len(name) <= ENVIRONMENT_NAME_MAX) or not re.match(ENVIRONMENT_NAME_PATTERN, name):
            raise SettingsError(
                "environment_name",
                name,
                f"must be 1-{ENVIRONMENT_NAME_MAX} characters, start with a letter and contain only letters, digits, '-' and '_'",
            )

    def _check_choices(self) -> None:
        choices = {
            "airflow_version": AIRFLOW_VERSIONS,
            "environment_class": ENVIRONMENT_CLASSES,
            "webserver_access_mode": WEBSERVER_ACCESS_MODES,
            **{name: LOG_LEVELS for name in LOG_LEVEL_SETTINGS},
        }
        for name, allowed in choices.items():
            value = getattr(self, name)
            if value not in allowed:
                raise SettingsError(name, value, "must be one of " + ", ".join(allowed))

    def _check_workers(self) -> None:
        for name in ("min_workers", "max_workers"):
            value = getattr(self, name)
            if not 1 <= value <= MAX_WORKERS_LIMIT:
                raise SettingsError(name, value, f"must be between 1 and {MAX_WORKERS_LIMIT}")
        if self.min_workers > self.max_workers:
            raise SettingsError("min_workers", self.min_workers, f"must not exceed max_workers ({self.max_workers})")
        if self.environment_class == "mw1.micro" and self.max_workers != 1:
            raise SettingsError("max_workers", self.max_workers, "must be 1 for mw1.micro, which does not autoscale")

    def _check_schedulers(self) -> None:
        if self.environment_class == "mw1.micro":
            if self.schedulers != 1:
                raise SettingsError("schedulers", self.schedulers, "must be 1 for mw1.micro")
            return
        low, high = SCHEDULERS_RANGE
        if not low <= self.schedulers <= high:
            raise SettingsError("schedulers", self.schedulers, f"must be between {low} and {high} for {self.environment_class}")

    def _check_network(self) -> None:
        vpc = _network("vpc_cidr", self.vpc_cidr)
        seen: list[tuple[str, ipaddress.IPv4Network]] = []
        for name in ("public_subnet_cidrs", "private_subnet_cidrs"):
            for cidr in getattr(self, name):
                subnet = _network(name, cidr)
                if not subnet.subnet_of(vpc):
                    raise SettingsError(name, cidr, f"must lie inside vpc_cidr {self.vpc_cidr}")
                for other_cidr, other in seen:
                    if subnet.overlaps(other):
                        raise SettingsError(name, cidr, f"must not overlap subnet {other_cidr}")
                seen.append((cidr, subnet))

    def _check_app_env(self) -> None:
        if not re.match(APP_ENV_PATTERN, self.app_env):
            raise SettingsError("app_env", self.app_env, "must be 1-64 characters of letters, digits, '.', '_' and '-'")


LOG_LEVEL_SETTINGS: tuple[str, ...] = (
    "dag_processing_log_level",
    "scheduler_log_level",
    "task_log_level",
    "worker_log_level",
    "webserver_log_level",
)


def _network(name: str, cidr: str) -> ipaddress.IPv4Network:
    allowed = "must be an IPv4 CIDR block such as 10.192.0.0/16, with a prefix between /16 and /28"
    if not re.match(CIDR_PATTERN, cidr):
        raise SettingsError(name, cidr, allowed)
    try:
        return ipaddress.IPv4Network(cidr, strict=True)
    except ValueError:
        # host bits set, or an octet above 255
        raise SettingsError(name, cidr, allowed + " and no host bits set") from None


def from_mapping(values: dict[str, object]) -> Settings:
    """Settings from loosely typed input (a TOML table or ``--set`` strings).

    Strings are converted to the field's type; a pair of CIDRs may be given as
    ``"a,b"``.  Unknown names are errors, not silently ignored.
    """
    fields = {f.name: f for f in dataclasses.fields(Settings)}
    kwargs: dict[str, object] = {}
    for name, value in values.items():
        if name not in fields:
            raise SettingsError(name, value, "unknown setting; known settings are " + ", ".join(fields))
        kwargs[name] = _coerce(name, fields[name].type, value)
    return Settings(**kwargs)


def _coerce(name: str, type_name: object, value: object) -> object:
    if type_name == "int" and isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            raise SettingsError(name, value, "must be a whole number") from None
    if type_name == "tuple[str, str]":
        if isinstance(value, str):
            value = [part.strip() for part in value.split(",")]
        if isinstance(value, list):
            return tuple(value)
    return value
