"""CloudFormation Parameters: the values a deployer may change at deploy time.

Defaults come from the build settings; constraints are rendered by each setting's
own check (``settings.check_of``), so a bad ``--parameter-overrides`` fails before any
resource is touched and no limit is written twice.  Rules between parameters that CloudFormation can express (mw1.micro
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

from .catalogue import CLASSES, LOG_MODULES, S3_FILES
from .settings import Settings, check_of


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

    def setting(name: str, attr: str, description: str, group: str = env) -> Parameter:
        """The Parameter whose default is setting ``attr``, constrained by that setting's check."""
        return add(name, description, getattr(settings, attr), group, **check_of(attr).constraints())

    def cidr(name: str, what: str, default: str) -> Parameter:
        return add(name, f"IPv4 CIDR block of the {what}", default, network, **check_of("vpc_cidr").constraints())

    micro = min(CLASSES.values(), key=lambda c: c.schedulers)
    larger = max(CLASSES.values(), key=lambda c: c.schedulers)
    common = dict(
        environment_name=setting(
            "EnvironmentName", "environment_name", "Name of the MWAA environment (changing it replaces the environment)"
        ),
        airflow_version=setting("AirflowVersion", "airflow_version", "Apache Airflow version"),
        environment_class=setting(
            "EnvironmentClass", "environment_class", "Size of the scheduler, web server and worker containers"
        ),
        min_workers=setting("MinWorkers", "min_workers", "Workers always running"),
        max_workers=setting("MaxWorkers", "max_workers", "Upper bound of worker autoscaling"),
        schedulers=setting(
            "Schedulers",
            "schedulers",
            f"Number of schedulers ({micro.schedulers[1]} for {micro.name}, "
            f"{larger.schedulers[0]}-{larger.schedulers[1]} otherwise)",
        ),
        webserver_access_mode=setting(
            "WebserverAccessMode",
            "webserver_access_mode",
            "Whether the Airflow UI is reachable from the internet (PUBLIC_AND_PRIVATE: Airflow 3.2 and later)",
        ),
        min_webservers=setting(
            "MinWebservers",
            "min_webservers",
            f"Web servers always running ({micro.webservers[1]} for {micro.name}, "
            f"{larger.webservers[0]}-{larger.webservers[1]} otherwise)",
        ),
        max_webservers=setting(
            "MaxWebservers", "max_webservers", "Upper bound of web server autoscaling under API and CLI load"
        ),
        app_env=setting(
            "AppEnv", "app_env", "Value of the Airflow option app.env (AIRFLOW__APP__ENV), e.g. dev or prd"
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
        module.configuration: setting(
            module.level_parameter,
            module.level_setting,
            f"Lowest level of the {module.label} logs sent to CloudWatch",
            logs,
        )
        for module in LOG_MODULES
    }

    versions: dict[str, tuple[Parameter, str]] = {}
    for file in S3_FILES:
        key = getattr(settings, file.setting)
        if key:
            parameter = add(
                file.version_property,
                f"S3 object version of {key} (make sync sets it); empty: none is installed",
                "",
                files,
                AllowedPattern=r"^[A-Za-z0-9._-]{0,1024}$",
            )
            template.add_condition(file.condition, Not(Equals(Ref(parameter), "")))
            versions[file.name] = (parameter, file.condition)

    return Parameters(**common, log_levels=log_levels, object_versions=versions, **structure)
