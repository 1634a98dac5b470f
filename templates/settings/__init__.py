"""Build settings: one frozen, validated value that says what template to build.

The first group of fields are the *defaults* of CloudFormation Parameters of the same
meaning (``parameters.py``): a deployer can still override them with
``--parameter-overrides``.  The second group is structure, decided at build time.

Each setting is declared once, with its check (``checks.py``); a check also renders the
constraint of the setting's Parameter, so ``parameters.py`` never restates a limit.  The
rules between settings are ``invariants.py``; text from TOML and ``--set`` becomes typed
values in ``coerce.py``; MWAA's facts come from ``templates/catalogue.py``.  Errors are
:class:`SettingsError`, one line naming the setting, the bad value and what is allowed.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from .. import catalogue as mwaa
from ..errors import SettingsError
from ..extra_statements import ExtraStatement
from . import identifiers as ids
from .checks import Check, cidr, cidr_pair, flag, matches, number, one_of, per_class, strings, table, text

__all__ = ["Settings", "SettingsError", "check_of", "from_mapping"]

NETWORKS: tuple[str, ...] = ("create", "existing")
NAT_GATEWAYS: tuple[str, ...] = ("per_az", "single")
ROUTINGS: tuple[str, ...] = ("public", "private")
ENVIRONMENT_NAME_MAX = 80


def setting(default: object, check: Check) -> object:
    return dataclasses.field(default=default, metadata={"check": check})


def _level() -> object:
    return setting("INFO", one_of(mwaa.LOG_LEVELS))


@dataclass(frozen=True, slots=True)
class Settings:
    environment_name: str = setting(
        "MwaaEnvironment",
        matches(
            ids.ENVIRONMENT_NAME_PATTERN,
            f"must be 1-{ENVIRONMENT_NAME_MAX} characters, start with a letter "
            "and contain only letters, digits, '-' and '_'",
            description="starts with a letter; letters, digits, '-' and '_'; at most 80 characters",
            max_length=ENVIRONMENT_NAME_MAX,
        ),
    )
    airflow_version: str = setting(mwaa.DEFAULT_AIRFLOW_VERSION, one_of(mwaa.AIRFLOW_VERSIONS))
    environment_class: str = setting(mwaa.QUICK_START_CLASS, one_of(tuple(mwaa.CLASSES)))
    min_workers: int = setting(1, per_class("workers"))
    max_workers: int = setting(2, per_class("workers"))
    schedulers: int = setting(2, per_class("schedulers"))
    webserver_access_mode: str = setting("PUBLIC_ONLY", one_of(mwaa.WEBSERVER_ACCESS_MODES))
    # MWAA scales web servers between these with API/CLI load (mw1.micro: exactly 1).
    min_webservers: int = setting(2, per_class("webservers"))
    max_webservers: int = setting(2, per_class("webservers"))
    # Quick-start network layout.
    vpc_cidr: str = setting("10.192.0.0/16", cidr())
    public_subnet_cidrs: tuple[str, str] = setting(("10.192.10.0/24", "10.192.11.0/24"), cidr_pair())
    private_subnet_cidrs: tuple[str, str] = setting(("10.192.20.0/24", "10.192.21.0/24"), cidr_pair())
    # One per catalogue.LOG_MODULES entry, named by its level_setting.
    dag_processing_log_level: str = _level()
    scheduler_log_level: str = _level()
    task_log_level: str = _level()
    worker_log_level: str = _level()
    webserver_log_level: str = _level()
    # Becomes the Airflow configuration option app.env (AIRFLOW__APP__ENV in tasks).
    app_env: str = setting(
        "dev",
        matches(
            ids.APP_ENV_PATTERN,
            "must be 1-64 characters of letters, digits, '.', '_' and '-'",
            description="1-64 letters, digits, '.', '_' or '-'",
        ),
    )

    # --- structure: build-time choices, not parameters ----------------------------
    # "create": the quick-start VPC; "existing": VpcId/PrivateSubnetIds parameters, no network resources.
    network: str = setting("create", one_of(NETWORKS))
    # Created VPC with public routing: a NAT gateway per AZ (quick start) or a single one (cheaper).
    nat_gateways: str = setting("per_az", one_of(NAT_GATEWAYS))
    # "private": no internet gateway or NAT; MWAA reaches AWS through VPC endpoints.
    routing: str = setting("public", one_of(ROUTINGS))
    # The VPC endpoints MWAA needs without internet (S3 gateway + interface endpoints).
    vpc_endpoints: bool = setting(False, flag())
    # Created VPC: two AZ names; empty means the region's first two (Fn::GetAZs).
    availability_zones: tuple[str, ...] = setting((), strings(ids.availability_zones))
    # Existing network: defaults of the VpcId and PrivateSubnetIds parameters.
    vpc_id: str = setting("", text(ids.vpc_id))
    private_subnet_ids: tuple[str, ...] = setting((), strings(ids.subnet_ids))
    # "" AWS-owned key, "create" a customer managed key in the stack, or an existing key's ARN.
    kms_key: str = setting("", text(ids.kms_key))
    # Object keys in the source bucket; each adds a <Name>S3ObjectVersion parameter.
    requirements_s3_path: str = setting("", text(ids.object_key))
    plugins_s3_path: str = setting("", text(ids.zip_key))
    startup_script_s3_path: str = setting("", text(ids.object_key))
    # Connections and variables from AWS Secrets Manager, read-only and limited to these prefixes.
    secrets_backend: bool = setting(False, flag())
    secrets_connections_prefix: str = setting("airflow/connections", text(ids.secret_prefix))
    secrets_variables_prefix: str = setting("airflow/variables", text(ids.secret_prefix))
    # e.g. "SUN:03:00" (UTC, on the hour or half hour); empty keeps MWAA's choice.
    weekly_maintenance_window_start: str = setting("", text(ids.maintenance_window))
    # Tags on every resource that takes them, as (key, value) pairs.
    tags: tuple[tuple[str, str], ...] = setting((), table(ids.tags))
    # How running tasks meet an update: "" (MWAA's default), FORCED or GRACEFUL (up to 12 h).
    worker_replacement_strategy: str = setting("", one_of(mwaa.WORKER_REPLACEMENT_STRATEGIES, blank=True))
    # SERVICE: MWAA creates its VPC endpoints; CUSTOMER: the VPC owner does (shared VPCs).
    endpoint_management: str = setting("SERVICE", one_of(mwaa.ENDPOINT_MANAGEMENTS))
    # Prefix of the DAGs in the source bucket; `make sync` reads it from the environment.
    dag_s3_path: str = setting("dags", text(ids.dag_folder))
    # The team's Airflow options ("section.key" = "value"), merged with the template's own.
    airflow_configuration_options: tuple[tuple[str, str], ...] = setting((), table(kind="options"))
    # Modules whose CloudWatch logs are off (their level parameters stay).
    disabled_log_types: tuple[str, ...] = setting((), strings(ids.log_modules))
    # Non-zero: the stack creates the log groups with this retention before the environment.
    log_retention_days: int = setting(0, number(ids.retention))
    # --- execution role ---
    extra_policy_statements: tuple[ExtraStatement, ...] = setting((), Check("statements", ids.statements))
    managed_policy_arns: tuple[str, ...] = setting((), strings(ids.policy_arns))
    permissions_boundary_arn: str = setting("", text(ids.policy_arn))
    # Bring your own role: no role or policy is created.
    execution_role_arn: str = setting("", text(ids.role_arn))
    # --- source bucket ---
    # Bring your own bucket (versioned, every public-access block on): no bucket is created.
    source_bucket_arn: str = setting("", text(ids.bucket_arn))
    # Created bucket: noncurrent versions expire after this many days, the newest 10 kept.
    noncurrent_version_days: int = setting(90, number(ids.noncurrent_days))
    # --- network extras ---
    extra_security_group_ids: tuple[str, ...] = setting((), strings(ids.security_groups))
    # HTTPS into the environment's group, to reach a private web server over VPN or Direct Connect.
    webserver_ingress_cidrs: tuple[str, ...] = setting((), strings(ids.ingress_cidrs))

    def __post_init__(self) -> None:
        from .invariants import check_invariants

        for f in dataclasses.fields(self):
            f.metadata["check"](f.name, getattr(self, f.name), self)
        check_invariants(self)


FIELDS = {f.name: f for f in dataclasses.fields(Settings)}


def check_of(name: str) -> Check:
    """The check of setting ``name``: what its Parameter's constraints are read from."""
    return FIELDS[name].metadata["check"]


def default_of(name: str) -> object:
    return FIELDS[name].default


def from_mapping(values: dict[str, object]) -> Settings:
    """Settings from loosely typed input (a TOML table or ``--set`` strings); unknown names
    are errors, not silently ignored."""
    from .coerce import coerce

    kwargs: dict[str, object] = {}
    for name, value in values.items():
        if name not in FIELDS:
            raise SettingsError(name, value, "unknown setting; known settings are " + ", ".join(FIELDS))
        kwargs[name] = coerce(name, check_of(name).kind, value)
    return Settings(**kwargs)
