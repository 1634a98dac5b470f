"""Build settings: one frozen, validated value that says what template to build.

The first group of fields are the *defaults* of CloudFormation Parameters of
the same meaning (see ``parameters.py``): a deployer can still override them
with ``--parameter-overrides``.  The second group is structure, decided at
build time: which network, NAT and endpoints exist, the KMS key, optional
files, the secrets backend, tags.  Everything is validated before anything is
written.

Validation errors are :class:`SettingsError`, whose message is one line naming
the setting, the bad value and what is allowed.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import json
import re
from dataclasses import dataclass

from .airflow_options import option_problem, option_value
from .errors import SettingsError
from .extra_statements import ExtraStatement, parse_statements
from .s3_files import S3_FILES

# Airflow versions Amazon MWAA accepts for new environments, in version order
# (MWAA user guide, "Supported Apache Airflow versions", as of 2026-11: 3.3.1 has
# been available since 2026-09-01, 2.11.2 since 2026-07-23).  The newest is the
# default.  Adding a version MWAA announces is a one-line change here.
AIRFLOW_VERSIONS: tuple[str, ...] = (
    "2.7.2",
    "2.8.1",
    "2.9.2",
    "2.10.1",
    "2.10.3",
    "2.11.0",
    "2.11.2",
    "3.0.6",
    "3.2.1",
    "3.3.1",
)
ENVIRONMENT_CLASSES: tuple[str, ...] = (
    "mw1.micro",
    "mw1.small",
    "mw1.medium",
    "mw1.large",
    "mw1.xlarge",
    "mw1.2xlarge",
)
LOG_LEVELS: tuple[str, ...] = ("CRITICAL", "ERROR", "WARNING", "INFO", "DEBUG")
WEBSERVER_ACCESS_MODES: tuple[str, ...] = ("PUBLIC_ONLY", "PRIVATE_ONLY", "PUBLIC_AND_PRIVATE")
# botocore's MWAA model: PUBLIC_AND_PRIVATE "is only available for Apache Airflow version 3.2 and later".
PUBLIC_AND_PRIVATE_SINCE = (3, 2)
WORKER_REPLACEMENT_STRATEGIES: tuple[str, ...] = ("", "FORCED", "GRACEFUL")
ENDPOINT_MANAGEMENTS: tuple[str, ...] = ("SERVICE", "CUSTOMER")
# MWAA's LoggingConfiguration modules by their setting names (disabled_log_types).
LOG_MODULES: tuple[str, ...] = ("dag_processing", "scheduler", "task", "worker", "webserver")
# The values CloudWatch Logs accepts for RetentionInDays; 0 keeps MWAA's own groups (never expire).
LOG_RETENTION_DAYS: tuple[int, ...] = (
    0,
    1,
    3,
    5,
    7,
    14,
    30,
    60,
    90,
    120,
    150,
    180,
    365,
    400,
    545,
    731,
    1096,
    1827,
    2192,
    2557,
    2922,
    3288,
    3653,
)

NETWORKS: tuple[str, ...] = ("create", "existing")
NAT_GATEWAYS: tuple[str, ...] = ("per_az", "single")
ROUTINGS: tuple[str, ...] = ("public", "private")
KMS_KEY_CHOICES = '"" (AWS-owned key), "create" (a customer managed key in the stack) or a KMS key ARN'
KMS_KEY_ARN_PATTERN = r"^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key/[0-9a-f-]{36}$"
VPC_ID_PATTERN = r"^vpc-[0-9a-f]{8,17}$"
SUBNET_ID_PATTERN = r"^subnet-[0-9a-f]{8,17}$"
AZ_PATTERN = r"^[a-z]{2}(-[a-z]+)+-\d[a-z]$"
S3_KEY_PATTERN = r"^[A-Za-z0-9!_.*'()/-]{1,1024}$"
SECRET_PREFIX_PATTERN = r"^[A-Za-z0-9/_+=.@-]{1,256}$"
MAINTENANCE_WINDOW_PATTERN = r"^(MON|TUE|WED|THU|FRI|SAT|SUN):([01]\d|2[0-3]):(00|30)$"
TAG_KEY_PATTERN = r"^[\w .:/=+@-]{1,128}$"
TAG_VALUE_PATTERN = r"^[\w .:/=+@-]{0,256}$"
SECRETS_BACKEND = "airflow.providers.amazon.aws.secrets.secrets_manager.SecretsManagerBackend"

# MWAA service limits (user guide, environment classes and autoscaling).
MAX_WORKERS_LIMIT = 25
SCHEDULERS_RANGE = (2, 5)  # mw1.micro runs exactly one scheduler
ENVIRONMENT_NAME_PATTERN = r"^[a-zA-Z][0-9a-zA-Z\-_]*$"
ENVIRONMENT_NAME_MAX = 80
# The value lands in airflow.cfg as [app] env and in AIRFLOW__APP__ENV.
APP_ENV_PATTERN = r"^[A-Za-z0-9._-]{1,64}$"
CIDR_PATTERN = r"^(\d{1,3}\.){3}\d{1,3}/(1[6-9]|2[0-8])$"
INGRESS_CIDR_PATTERN = r"^(\d{1,3}\.){3}\d{1,3}/(\d|[12]\d|3[0-2])$"
SECURITY_GROUP_ID_PATTERN = r"^sg-[0-9a-f]{8,17}$"
ROLE_ARN_PATTERN = r"^arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]{1,512}$"
# ${AWS::Partition} and ${AWS::AccountId} keep a team's policy ARNs portable across accounts.
POLICY_ARN_PATTERN = (
    r"^arn:(aws[a-z-]*|\$\{AWS::Partition\}):iam::(\d{12}|aws|\$\{AWS::AccountId\}):policy/[\w+=,.@/-]{1,512}$"
)
BUCKET_ARN_PATTERN = r"^arn:aws[a-z-]*:s3:::[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$"
WEBSERVERS_RANGE = (2, 5)  # mw1.micro runs exactly one web server
MAX_SECURITY_GROUPS = 5  # MWAA's limit, the environment's own group included
MAX_MANAGED_POLICIES = 19  # IAM's 20 per role, less the template's own policy
NONCURRENT_VERSION_DAYS_MAX = 3650


@dataclass(frozen=True, slots=True)
class Settings:
    environment_name: str = "MwaaEnvironment"
    airflow_version: str = AIRFLOW_VERSIONS[-1]
    environment_class: str = "mw1.small"
    min_workers: int = 1
    max_workers: int = 2
    schedulers: int = 2
    webserver_access_mode: str = "PUBLIC_ONLY"
    # MWAA scales web servers between these with API/CLI load (mw1.micro: exactly 1).
    min_webservers: int = 2
    max_webservers: int = 2
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

    # --- structure: build-time choices, not parameters ----------------------------
    # "create": the quick-start VPC; "existing": VpcId/PrivateSubnetIds parameters, no network resources.
    network: str = "create"
    # Created VPC with public routing: a NAT gateway per AZ (quick start) or a single one (cheaper).
    nat_gateways: str = "per_az"
    # "private": no internet gateway or NAT; MWAA reaches AWS through VPC endpoints.
    routing: str = "public"
    # The VPC endpoints MWAA needs without internet (S3 gateway + interface endpoints).
    vpc_endpoints: bool = False
    # Created VPC: two AZ names; empty means the region's first two (Fn::GetAZs).
    availability_zones: tuple[str, ...] = ()
    # Existing network: defaults of the VpcId and PrivateSubnetIds parameters.
    vpc_id: str = ""
    private_subnet_ids: tuple[str, ...] = ()
    # "" AWS-owned key, "create" a customer managed key in the stack, or an existing key's ARN.
    kms_key: str = ""
    # Object keys in the source bucket; each adds a <Name>S3ObjectVersion parameter.
    requirements_s3_path: str = ""
    plugins_s3_path: str = ""
    startup_script_s3_path: str = ""
    # Connections and variables from AWS Secrets Manager, read-only and limited to these prefixes.
    secrets_backend: bool = False
    secrets_connections_prefix: str = "airflow/connections"
    secrets_variables_prefix: str = "airflow/variables"
    # e.g. "SUN:03:00" (UTC, on the hour or half hour); empty keeps MWAA's choice.
    weekly_maintenance_window_start: str = ""
    # Tags on every resource that takes them, as (key, value) pairs.
    tags: tuple[tuple[str, str], ...] = ()
    # How running tasks meet an update: "" (MWAA's default), FORCED or GRACEFUL (up to 12 h).
    worker_replacement_strategy: str = ""
    # SERVICE: MWAA creates its VPC endpoints; CUSTOMER: the VPC owner does (shared VPCs).
    endpoint_management: str = "SERVICE"
    # Prefix of the DAGs in the source bucket; `make sync` reads it from the environment.
    dag_s3_path: str = "dags"
    # The team's Airflow options ("section.key" = "value"), merged with the template's own.
    airflow_configuration_options: tuple[tuple[str, str], ...] = ()
    # Modules whose CloudWatch logs are off (their level parameters stay).
    disabled_log_types: tuple[str, ...] = ()
    # Non-zero: the stack creates the log groups with this retention before the environment.
    log_retention_days: int = 0
    # --- execution role ---
    extra_policy_statements: tuple[ExtraStatement, ...] = ()
    managed_policy_arns: tuple[str, ...] = ()
    permissions_boundary_arn: str = ""
    # Bring your own role: no role or policy is created.
    execution_role_arn: str = ""
    # --- source bucket ---
    # Bring your own bucket (versioned, every public-access block on): no bucket is created.
    source_bucket_arn: str = ""
    # Created bucket: noncurrent versions expire after this many days, the newest 10 kept.
    noncurrent_version_days: int = 90
    # --- network extras ---
    extra_security_group_ids: tuple[str, ...] = ()
    # HTTPS into the environment's group, to reach a private web server over VPN or Direct Connect.
    webserver_ingress_cidrs: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for check in (
            self._check_types,
            self._check_environment_name,
            self._check_choices,
            self._check_workers,
            self._check_schedulers,
            self._check_structure,
            self._check_network,
            self._check_app_env,
            self._check_kms_key,
            self._check_s3_paths,
            self._check_secrets,
            self._check_maintenance_window,
            self._check_tags,
            self._check_webservers,
            self._check_access_mode,
            self._check_dag_s3_path,
            self._check_configuration_options,
            self._check_logs,
            self._check_execution_role,
            self._check_source_bucket,
            self._check_network_extras,
        ):
            check()

    # -- checks -----------------------------------------------------------------

    def _check_types(self) -> None:
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if f.type == "int" and (not isinstance(value, int) or isinstance(value, bool)):
                raise SettingsError(f.name, value, "must be a whole number")
            if f.type == "bool" and not isinstance(value, bool):
                raise SettingsError(f.name, value, "must be true or false")
            if f.type == "str" and not isinstance(value, str):
                raise SettingsError(f.name, value, "must be a string")
            if f.type == "tuple[str, str]" and not (
                isinstance(value, tuple) and len(value) == 2 and all(isinstance(v, str) for v in value)
            ):
                raise SettingsError(f.name, value, "must be exactly two CIDR blocks, one per Availability Zone")
            if f.type == "tuple[str, ...]" and not (
                isinstance(value, tuple) and all(isinstance(v, str) for v in value)
            ):
                raise SettingsError(f.name, value, "must be a list of strings")
            if f.type == "tuple[ExtraStatement, ...]":
                object.__setattr__(self, f.name, parse_statements(value, RESERVED_SIDS))
            if f.type == "tuple[tuple[str, str], ...]" and not (
                isinstance(value, tuple)
                and all(isinstance(p, tuple) and len(p) == 2 and all(isinstance(x, str) for x in p) for p in value)
            ):
                raise SettingsError(f.name, value, "must be a table of string keys and string values")

    def _check_environment_name(self) -> None:
        name = self.environment_name
        if not (1 <= len(name) <= ENVIRONMENT_NAME_MAX) or not re.match(ENVIRONMENT_NAME_PATTERN, name):
            raise SettingsError(
                "environment_name",
                name,
                f"must be 1-{ENVIRONMENT_NAME_MAX} characters, start with a letter "
                "and contain only letters, digits, '-' and '_'",
            )

    def _check_choices(self) -> None:
        choices = {
            "network": NETWORKS,
            "nat_gateways": NAT_GATEWAYS,
            "routing": ROUTINGS,
            "airflow_version": AIRFLOW_VERSIONS,
            "environment_class": ENVIRONMENT_CLASSES,
            "webserver_access_mode": WEBSERVER_ACCESS_MODES,
            "worker_replacement_strategy": WORKER_REPLACEMENT_STRATEGIES,
            "endpoint_management": ENDPOINT_MANAGEMENTS,
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
            raise SettingsError(
                "schedulers", self.schedulers, f"must be between {low} and {high} for {self.environment_class}"
            )

    def _check_structure(self) -> None:
        if self.network == "existing":
            defaults = Settings.__dataclass_fields__
            for name in (
                "nat_gateways",
                "routing",
                "vpc_endpoints",
                "availability_zones",
                "vpc_cidr",
                "public_subnet_cidrs",
                "private_subnet_cidrs",
            ):
                if getattr(self, name) != defaults[name].default:
                    raise SettingsError(
                        name, getattr(self, name), "applies only to network=create; an existing VPC brings its own"
                    )
            if self.vpc_id and not re.match(VPC_ID_PATTERN, self.vpc_id):
                raise SettingsError("vpc_id", self.vpc_id, "must be a VPC id such as vpc-0a1b2c3d4e5f67890")
            if self.vpc_id and not self.private_subnet_ids:
                raise SettingsError(
                    "private_subnet_ids",
                    self.private_subnet_ids,
                    f"must name the two private subnets of {self.vpc_id} MWAA runs in",
                )
            if self.private_subnet_ids and not self.vpc_id:
                raise SettingsError("vpc_id", self.vpc_id, "must name the VPC of private_subnet_ids")
            if self.private_subnet_ids:
                if len(self.private_subnet_ids) != 2 or len(set(self.private_subnet_ids)) != 2:
                    raise SettingsError(
                        "private_subnet_ids",
                        self.private_subnet_ids,
                        "must be exactly two different subnets, in two Availability Zones",
                    )
                for subnet in self.private_subnet_ids:
                    if not re.match(SUBNET_ID_PATTERN, subnet):
                        raise SettingsError(
                            "private_subnet_ids", subnet, "must be subnet ids such as subnet-0a1b2c3d4e5f67890"
                        )
            return
        if self.vpc_id or self.private_subnet_ids:
            name = "vpc_id" if self.vpc_id else "private_subnet_ids"
            raise SettingsError(name, getattr(self, name), "applies only to network=existing")
        if self.routing == "private":
            if not self.vpc_endpoints:
                raise SettingsError(
                    "vpc_endpoints",
                    self.vpc_endpoints,
                    "must be true with routing=private: "
                    "without a NAT gateway MWAA reaches AWS only through VPC endpoints",
                )
            if self.nat_gateways != "per_az":
                raise SettingsError(
                    "nat_gateways", self.nat_gateways, "applies only to routing=public; private routing has no NAT"
                )
        if self.availability_zones:
            zones = self.availability_zones
            if len(zones) != 2:
                raise SettingsError("availability_zones", zones, "must be exactly two Availability Zones")
            for zone in zones:
                if not re.match(AZ_PATTERN, zone):
                    raise SettingsError(
                        "availability_zones", zone, "must be Availability Zone names such as eu-west-1a"
                    )
            if zones[0] == zones[1]:
                raise SettingsError(
                    "availability_zones",
                    zones,
                    "must be two different Availability Zones: MWAA needs its subnets in two",
                )
            if zones[0][:-1] != zones[1][:-1]:
                raise SettingsError("availability_zones", zones, "must be in the same region")

    def _check_network(self) -> None:
        if self.network == "existing":
            return
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

    def _check_kms_key(self) -> None:
        key = self.kms_key
        if key in ("", "create"):
            return
        if ":alias/" in key or key.startswith("alias/"):
            raise SettingsError("kms_key", key, "must be a key ARN: MWAA does not accept key aliases")
        if re.match(r"^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key/mrk-", key):
            raise SettingsError("kms_key", key, "must not be a multi-Region key: MWAA does not support them")
        if not re.match(KMS_KEY_ARN_PATTERN, key):
            raise SettingsError("kms_key", key, "must be " + KMS_KEY_CHOICES)

    def _check_s3_paths(self) -> None:
        for name in (file.setting for file in S3_FILES):
            value = getattr(self, name)
            if value and (not re.match(S3_KEY_PATTERN, value) or value.startswith("/") or value.startswith("s3://")):
                raise SettingsError(
                    name, value, "must be an object key inside the source bucket, such as dags/requirements.txt"
                )
        if self.plugins_s3_path and not self.plugins_s3_path.endswith(".zip"):
            raise SettingsError("plugins_s3_path", self.plugins_s3_path, "must name a .zip file")

    def _check_secrets(self) -> None:
        for name in ("secrets_connections_prefix", "secrets_variables_prefix"):
            value = getattr(self, name)
            if not re.match(SECRET_PREFIX_PATTERN, value) or value.startswith("/") or value.endswith("/"):
                raise SettingsError(name, value, "must be a Secrets Manager name prefix such as airflow/connections")

    def _check_maintenance_window(self) -> None:
        window = self.weekly_maintenance_window_start
        if window and not re.match(MAINTENANCE_WINDOW_PATTERN, window):
            raise SettingsError(
                "weekly_maintenance_window_start",
                window,
                "must be DAY:HH:MM with DAY MON-SUN and MM 00 or 30, e.g. SUN:03:00",
            )

    def _check_tags(self) -> None:
        keys = [key for key, _ in self.tags]
        if len(keys) != len(set(keys)) or len(keys) > 40:
            raise SettingsError("tags", dict(self.tags), "must have unique keys, at most 40")
        for key, value in self.tags:
            if key == "Name":
                raise SettingsError("tags", key, "Name is set per resource by the template; choose another key")
            if key.lower().startswith("aws:") or not re.match(TAG_KEY_PATTERN, key):
                raise SettingsError(
                    "tags", key, "keys must be 1-128 letters, digits, spaces or _.:/=+-@ and not start with aws:"
                )
            if not re.match(TAG_VALUE_PATTERN, value):
                raise SettingsError(
                    "tags", f"{key}={value}", "values must be 0-256 letters, digits, spaces or _.:/=+-@"
                )

    def _check_webservers(self) -> None:
        if self.environment_class == "mw1.micro":
            for name in ("min_webservers", "max_webservers"):
                if getattr(self, name) != 1:
                    raise SettingsError(name, getattr(self, name), "must be 1 for mw1.micro, which runs one web server")
            return
        low, high = WEBSERVERS_RANGE
        for name in ("min_webservers", "max_webservers"):
            if not low <= getattr(self, name) <= high:
                raise SettingsError(
                    name, getattr(self, name), f"must be between {low} and {high} for {self.environment_class}"
                )
        if self.min_webservers > self.max_webservers:
            raise SettingsError(
                "min_webservers", self.min_webservers, f"must not exceed max_webservers ({self.max_webservers})"
            )

    def _check_access_mode(self) -> None:
        if self.webserver_access_mode == "PUBLIC_AND_PRIVATE" and version_tuple(self.airflow_version) < (3, 2):
            raise SettingsError(
                "webserver_access_mode",
                self.webserver_access_mode,
                f"needs Airflow 3.2 or later (airflow_version is {self.airflow_version})",
            )

    def _check_dag_s3_path(self) -> None:
        path = self.dag_s3_path
        if (
            not re.match(S3_KEY_PATTERN, path)
            or path.startswith(("/", "s3://"))
            or path.endswith("/")
            or ".." in path.split("/")
        ):
            raise SettingsError(
                "dag_s3_path", path, "must be a folder inside the source bucket such as dags or teams/data/dags"
            )

    def _check_configuration_options(self) -> None:
        keys = [key for key, _ in self.airflow_configuration_options]
        if len(keys) != len(set(keys)):
            raise SettingsError("airflow_configuration_options", keys, "must not repeat a key")
        own = template_options(self)
        for key, value in self.airflow_configuration_options:
            problem = option_problem(key, value)
            if problem:
                raise SettingsError("airflow_configuration_options", f"{key}={value}", problem)
            if key in own and own[key] != value:
                raise SettingsError(
                    "airflow_configuration_options", f"{key}={value}", f"the template sets {key} to {own[key]}"
                )

    def _check_logs(self) -> None:
        disabled = self.disabled_log_types
        for module in disabled:
            if module not in LOG_MODULES:
                raise SettingsError("disabled_log_types", module, "must name modules among " + ", ".join(LOG_MODULES))
        if len(set(disabled)) != len(disabled):
            raise SettingsError("disabled_log_types", disabled, "must not repeat a module")
        if self.log_retention_days not in LOG_RETENTION_DAYS:
            raise SettingsError(
                "log_retention_days",
                self.log_retention_days,
                "must be 0 (MWAA creates the groups, kept forever) or one of CloudWatch's retention periods: "
                + ", ".join(map(str, LOG_RETENTION_DAYS[1:])),
            )

    def _check_execution_role(self) -> None:
        for arn in self.managed_policy_arns:
            if not re.match(POLICY_ARN_PATTERN, arn):
                raise SettingsError(
                    "managed_policy_arns", arn, "must be IAM policy ARNs (arn:aws:iam::<account>:policy/...)"
                )
        if len(set(self.managed_policy_arns)) != len(self.managed_policy_arns) or (
            len(self.managed_policy_arns) > MAX_MANAGED_POLICIES
        ):
            raise SettingsError(
                "managed_policy_arns",
                self.managed_policy_arns,
                f"must be at most {MAX_MANAGED_POLICIES} different ARNs",
            )
        if self.permissions_boundary_arn and not re.match(POLICY_ARN_PATTERN, self.permissions_boundary_arn):
            raise SettingsError("permissions_boundary_arn", self.permissions_boundary_arn, "must be an IAM policy ARN")
        if not self.execution_role_arn:
            return
        if not re.match(ROLE_ARN_PATTERN, self.execution_role_arn):
            raise SettingsError(
                "execution_role_arn",
                self.execution_role_arn,
                "must be an IAM role ARN (arn:aws:iam::<account>:role/...)",
            )
        for name in ("extra_policy_statements", "managed_policy_arns", "permissions_boundary_arn", "secrets_backend"):
            if getattr(self, name):
                raise SettingsError(
                    name,
                    getattr(self, name),
                    "applies only to the role the stack creates; with execution_role_arn, grant it in that role",
                )
        if self.kms_key == "create":
            raise SettingsError(
                "kms_key",
                self.kms_key,
                "a role made before the stack cannot name the stack's new key; give the key's ARN",
            )

    def _check_source_bucket(self) -> None:
        if not self.source_bucket_arn:
            if not 1 <= self.noncurrent_version_days <= NONCURRENT_VERSION_DAYS_MAX:
                raise SettingsError(
                    "noncurrent_version_days",
                    self.noncurrent_version_days,
                    f"must be between 1 and {NONCURRENT_VERSION_DAYS_MAX}",
                )
            return
        if not re.match(BUCKET_ARN_PATTERN, self.source_bucket_arn) or ".." in self.source_bucket_arn:
            raise SettingsError(
                "source_bucket_arn",
                self.source_bucket_arn,
                "must be an S3 bucket ARN such as arn:aws:s3:::my-mwaa-dags",
            )
        if self.noncurrent_version_days != Settings.__dataclass_fields__["noncurrent_version_days"].default:
            raise SettingsError(
                "noncurrent_version_days",
                self.noncurrent_version_days,
                "applies only to the bucket the stack creates; set lifecycle rules on your own bucket",
            )

    def _check_network_extras(self) -> None:
        groups = self.extra_security_group_ids
        for group in groups:
            if not re.match(SECURITY_GROUP_ID_PATTERN, group):
                raise SettingsError("extra_security_group_ids", group, "must be security group ids such as sg-0a1b2c3d")
        if len(set(groups)) != len(groups) or len(groups) > MAX_SECURITY_GROUPS - 1:
            raise SettingsError(
                "extra_security_group_ids",
                groups,
                f"must be at most {MAX_SECURITY_GROUPS - 1} different groups (MWAA takes {MAX_SECURITY_GROUPS}, "
                "the environment's own included)",
            )
        for cidr in self.webserver_ingress_cidrs:
            allowed = "must be IPv4 CIDR blocks such as 10.10.0.0/16 (your VPN or office ranges)"
            if not re.match(INGRESS_CIDR_PATTERN, cidr):
                raise SettingsError("webserver_ingress_cidrs", cidr, allowed)
            try:
                network = ipaddress.IPv4Network(cidr, strict=True)
            except ValueError:
                raise SettingsError("webserver_ingress_cidrs", cidr, allowed + ", no host bits set") from None
            if network.prefixlen == 0:
                raise SettingsError(
                    "webserver_ingress_cidrs",
                    cidr,
                    "would open the UI to every address; name your VPN or office ranges",
                )
        if self.webserver_ingress_cidrs and self.webserver_access_mode == "PUBLIC_ONLY":
            raise SettingsError(
                "webserver_ingress_cidrs",
                self.webserver_ingress_cidrs,
                "applies to a private web server (webserver_access_mode PRIVATE_ONLY or PUBLIC_AND_PRIVATE)",
            )


# The Sids of the template's own policy statements (execution_role.py); extra statements must differ.
RESERVED_SIDS: tuple[str, ...] = (
    "PublishEnvironmentMetrics",
    "NoBucketListing",
    "ReadSourceBucket",
    "ReadSourceObjects",
    "CheckAccountPublicAccessBlock",
    "UseEnvironmentLogs",
    "ListLogGroups",
    "PublishMetrics",
    "UseCeleryQueue",
    "UseAwsOwnedQueueKey",
    "UseEnvironmentKey",
    "RunEmrSteps",
    "ReadAirflowSecrets",
)


def version_tuple(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


def template_options(settings: Settings) -> dict[str, str]:
    """The Airflow options the template sets itself, as plain strings (app.env comes from the
    AppEnv parameter, so no team value can equal it)."""
    options = {"core.dag_run_conf_overrides_params": "true", "app.env": "the AppEnv parameter (set app_env)"}
    if settings.secrets_backend:
        options["secrets.backend"] = SECRETS_BACKEND
        options["secrets.backend_kwargs"] = secrets_backend_kwargs(settings)
    return options


def secrets_backend_kwargs(settings: Settings) -> str:
    return json.dumps(
        {
            "connections_prefix": settings.secrets_connections_prefix,
            "variables_prefix": settings.secrets_variables_prefix,
        },
        sort_keys=True,
    )


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
    if type_name == "bool" and isinstance(value, str):
        if value.strip().lower() in ("true", "1", "yes"):
            return True
        if value.strip().lower() in ("false", "0", "no"):
            return False
        raise SettingsError(name, value, "must be true or false")
    if type_name in ("tuple[str, str]", "tuple[str, ...]"):
        if isinstance(value, str):
            value = [part.strip() for part in value.split(",")] if value.strip() else []
        if isinstance(value, list):
            return tuple(value)
    if type_name == "tuple[tuple[str, str], ...]":
        if isinstance(value, str):  # --set tags=team=data,cost-center=42
            pairs = [item.partition("=") for item in value.split(",") if item.strip()]
            if any(not sep for _, sep, _ in pairs):
                raise SettingsError(name, value, "must be KEY=VALUE pairs separated by commas")
            value = {k.strip(): v.strip() for k, _, v in pairs}
        if isinstance(value, dict):
            if name == "airflow_configuration_options":
                for key, option in value.items():
                    if not isinstance(option, (str, int, float, bool)):
                        raise SettingsError(name, f"{key}={option!r}", "values must be strings, numbers or booleans")
                return tuple(sorted((str(k), option_value(v)) for k, v in value.items()))
            return tuple(sorted((str(k), v if isinstance(v, str) else repr(v)) for k, v in value.items()))
    if type_name == "tuple[ExtraStatement, ...]" and isinstance(value, str):
        raise SettingsError(name, value, "is an array of tables: set it in a settings file, not with --set")
    return value
