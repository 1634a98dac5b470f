"""CloudFormation Parameters: the values a deployer may change at deploy time.

Defaults come from the build settings; constraints repeat the settings'
validation so a bad ``--parameter-overrides`` fails before any resource is
touched.  Rules between parameters that CloudFormation can express (mw1.micro
runs one of each; PUBLIC_AND_PRIVATE needs Airflow 3.2) are the template's
Rules section (``rules.py``); the others (min <= max, subnets inside the VPC)
the build settings enforce for the defaults and MWAA/EC2 reject at deploy time.

Which parameters exist follows the structure: CIDRs for a created VPC, VpcId
and PrivateSubnetIds for an existing one, an object-version parameter per
optional S3 file.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from troposphere import Equals, Not, Parameter, Ref, Template

from .s3_files import S3_FILES
from .settings import (
    AIRFLOW_VERSIONS,
    APP_ENV_PATTERN,
    CIDR_PATTERN,
    ENVIRONMENT_CLASSES,
    ENVIRONMENT_NAME_MAX,
    ENVIRONMENT_NAME_PATTERN,
    LOG_LEVELS,
    MAX_WORKERS_LIMIT,
    WEBSERVER_ACCESS_MODES,
    WEBSERVERS_RANGE,
    Settings,
)

# Parameter name -> (Settings field, what the logs are), in the order MWAA lists its log modules.
LOG_LEVEL_PARAMETERS = {
    "DagProcessingLogsLevel": ("dag_processing_log_level", "DAG processing"),
    "SchedulerLogsLevel": ("scheduler_log_level", "scheduler"),
    "TaskLogsLevel": ("task_log_level", "task"),
    "WorkerLogsLevel": ("worker_log_level", "worker"),
    "WebserverLogsLevel": ("webserver_log_level", "web server"),
}


@dataclass(frozen=True)
class Parameters:
    environment_name: Parameter
    airflow_version: Parameter
    environment_class: Parameter
    min_workers: Parameter
    max_workers: Parameter
    schedulers: Parameter
    webserver_access_mode: Parameter
    min_webservers: Parameter
    max_webservers: Parameter
    log_levels: dict[str, Parameter]  # keyed by the MWAA LoggingConfiguration module name
    app_env: Parameter
    # Created VPC.
    vpc_cidr: Parameter | None = None
    public_subnet_cidrs: tuple[Parameter, ...] = ()
    private_subnet_cidrs: tuple[Parameter, ...] = ()
    # Existing VPC.
    vpc_id: Parameter | None = None
    private_subnet_ids: Parameter | None = None
    # Security groups the team attaches besides the environment's own (extra_security_group_ids).
    extra_security_group_ids: Parameter | None = None
    # Optional S3 files: name -> (object-version parameter, condition name "Has<name>Version").
    object_versions: dict[str, tuple[Parameter, str]] = field(default_factory=dict)


def add_parameters(template: Template, settings: Settings) -> Parameters:
    def add(
        name: str, description: str, default: object, group: str, kind: str | None = None, **constraints: object
    ) -> Parameter:
        kind = kind or ("Number" if isinstance(default, int) else "String")
        if default is not None:
            constraints["Default"] = default
        parameter = template.add_parameter(Parameter(name, Type=kind, Description=description, **constraints))
        template.add_parameter_to_group(parameter, group)
        return parameter

    env = "Airflow environment"
    network = "Network"
    logs = "CloudWatch log levels"
    files = "Requirements, plugins and startup script"

    def cidr(name: str, what: str, default: str) -> Parameter:
        return add(
            name,
            f"IPv4 CIDR block of the {what}",
            default,
            network,
            AllowedPattern=CIDR_PATTERN,
            ConstraintDescription="an IPv4 CIDR block with a prefix between /16 and /28",
        )

    def worker_count(name: str, description: str, default: int) -> Parameter:
        return add(name, description, default, env, MinValue=1, MaxValue=MAX_WORKERS_LIMIT)

    common = dict(
        environment_name=add(
            "EnvironmentName",
            "Name of the MWAA environment (changing it replaces the environment)",
            settings.environment_name,
            env,
            AllowedPattern=ENVIRONMENT_NAME_PATTERN,
            MinLength=1,
            MaxLength=ENVIRONMENT_NAME_MAX,
            ConstraintDescription="starts with a letter; letters, digits, '-' and '_'; at most 80 characters",
        ),
        airflow_version=add(
            "AirflowVersion",
            "Apache Airflow version",
            settings.airflow_version,
            env,
            AllowedValues=list(AIRFLOW_VERSIONS),
        ),
        environment_class=add(
            "EnvironmentClass",
            "Size of the scheduler, web server and worker containers",
            settings.environment_class,
            env,
            AllowedValues=list(ENVIRONMENT_CLASSES),
        ),
        min_workers=worker_count("MinWorkers", "Workers always running", settings.min_workers),
        max_workers=worker_count("MaxWorkers", "Upper bound of worker autoscaling", settings.max_workers),
        schedulers=add(
            "Schedulers",
            "Number of schedulers (1 for mw1.micro, 2-5 otherwise)",
            settings.schedulers,
            env,
            MinValue=1,
            MaxValue=5,
        ),
        webserver_access_mode=add(
            "WebserverAccessMode",
            "Whether the Airflow UI is reachable from the internet (PUBLIC_AND_PRIVATE: Airflow 3.2 and later)",
            settings.webserver_access_mode,
            env,
            AllowedValues=list(WEBSERVER_ACCESS_MODES),
        ),
        min_webservers=add(
            "MinWebservers",
            f"Web servers always running (1 for mw1.micro, {WEBSERVERS_RANGE[0]}-{WEBSERVERS_RANGE[1]} otherwise)",
            settings.min_webservers,
            env,
            MinValue=1,
            MaxValue=WEBSERVERS_RANGE[1],
        ),
        max_webservers=add(
            "MaxWebservers",
            "Upper bound of web server autoscaling under API and CLI load",
            settings.max_webservers,
            env,
            MinValue=1,
            MaxValue=WEBSERVERS_RANGE[1],
        ),
        app_env=add(
            "AppEnv",
            "Value of the Airflow option app.env (AIRFLOW__APP__ENV), e.g. dev or prd",
            settings.app_env,
            env,
            AllowedPattern=APP_ENV_PATTERN,
            ConstraintDescription="1-64 letters, digits, '.', '_' or '-'",
        ),
    )

    structure: dict[str, object] = {}
    if settings.network == "create":
        structure["vpc_cidr"] = cidr("VpcCIDR", "VPC", settings.vpc_cidr)
        if settings.routing == "public":
            structure["public_subnet_cidrs"] = tuple(
                cidr(
                    f"PublicSubnet{n}CIDR",
                    f"public subnet in Availability Zone {n}",
                    settings.public_subnet_cidrs[n - 1],
                )
                for n in (1, 2)
            )
        structure["private_subnet_cidrs"] = tuple(
            cidr(
                f"PrivateSubnet{n}CIDR",
                f"private subnet in Availability Zone {n}",
                settings.private_subnet_cidrs[n - 1],
            )
            for n in (1, 2)
        )
    else:
        structure["vpc_id"] = add(
            "VpcId", "Existing VPC the environment runs in", settings.vpc_id or None, network, kind="AWS::EC2::VPC::Id"
        )
        structure["private_subnet_ids"] = add(
            "PrivateSubnetIds",
            "Exactly two private subnets of that VPC, in different Availability Zones, "
            "with a route to a NAT gateway or VPC endpoints",
            ",".join(settings.private_subnet_ids) or None,
            network,
            kind="List<AWS::EC2::Subnet::Id>",
        )

    if settings.extra_security_group_ids:
        # A parameter, not a fixed list: security group ids differ per account.
        structure["extra_security_group_ids"] = add(
            "ExtraSecurityGroupIds",
            "Security groups attached to the environment besides its own (at most 4)",
            ",".join(settings.extra_security_group_ids),
            network,
            kind="List<AWS::EC2::SecurityGroup::Id>",
        )

    log_levels = {
        name.removesuffix("Level"): add(
            name,
            f"Lowest level of the {what} logs sent to CloudWatch",
            getattr(settings, attr),
            logs,
            AllowedValues=list(LOG_LEVELS),
        )
        for name, (attr, what) in LOG_LEVEL_PARAMETERS.items()
    }

    versions: dict[str, tuple[Parameter, str]] = {}
    for file in S3_FILES:
        key = getattr(settings, file.setting)
        if key:
            parameter = add(
                file.version_parameter,
                f"S3 object version of {key} (make sync sets it); empty: none is installed",
                "",
                files,
                AllowedPattern=r"^[A-Za-z0-9._-]{0,1024}$",
            )
            template.add_condition(file.condition, Not(Equals(Ref(parameter), "")))
            versions[file.name] = (parameter, file.condition)

    return Parameters(**common, log_levels=log_levels, object_versions=versions, **structure)
