"""CloudFormation Parameters: the values a deployer may change at deploy time.

Defaults come from the build settings; constraints repeat the settings'
validation so a bad ``--parameter-overrides`` fails before any resource is
touched.  Cross-parameter rules (min <= max workers, subnets inside the VPC)
cannot be expressed as Parameter constraints; the build settings enforce them
for the defaults and MWAA/EC2 reject a bad override at deploy time.
"""

from __future__ import annotations

from dataclasses import dataclass

from troposphere import Parameter, Template

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
    Settings,
)

# Parameter name -> Settings field, in the order MWAA lists its log modules.
LOG_LEVEL_PARAMETERS = {
    "DagProcessingLogsLevel": "dag_processing_log_level",
    "SchedulerLogsLevel": "scheduler_log_level",
    "TaskLogsLevel": "task_log_level",
    "WorkerLogsLevel": "worker_log_level",
    "WebserverLogsLevel": "webserver_log_level",
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
    vpc_cidr: Parameter
    public_subnet_cidrs: tuple[Parameter, Parameter]
    private_subnet_cidrs: tuple[Parameter, Parameter]
    log_levels: dict[str, Parameter]  # keyed by the MWAA LoggingConfiguration module name
    app_env: Parameter


def add_parameters(template: Template, settings: Settings) -> Parameters:
    def add(name: str, description: str, default: object, group: str, **constraints: object) -> Parameter:
        kind = "Number" if isinstance(default, int) else "String"
        parameter = template.add_parameter(
            Parameter(name, Type=kind, Default=default, Description=description, **constraints)
        )
        template.add_parameter_to_group(parameter, group)
        return parameter

    env = "Airflow environment"
    network = "Network"
    logs = "CloudWatch log levels"

    def cidr(name: str, what: str, default: str) -> Parameter:
        return add(name, f"IPv4 CIDR block of the {what}", default, network, AllowedPattern=CIDR_PATTERN,
                   ConstraintDescription="an IPv4 CIDR block with a prefix between /16 and /28")

    def worker_count(name: str, description: str, default: int) -> Parameter:
        return add(name, description, default, env, MinValue=1, MaxValue=MAX_WORKERS_LIMIT)

    return Parameters(
        environment_name=add(
            "EnvironmentName", "Name of the MWAA environment (changing it replaces the environment)",
            settings.environment_name, env, AllowedPattern=ENVIRONMENT_NAME_PATTERN, MinLength=1,
            MaxLength=ENVIRONMENT_NAME_MAX,
            ConstraintDescription="starts with a letter; letters, digits, '-' and '_'; at most 80 characters"),
        airflow_version=add("AirflowVersion", "Apache Airflow version", settings.airflow_version, env,
                            AllowedValues=list(AIRFLOW_VERSIONS)),
        environment_class=add("EnvironmentClass", "Size of the scheduler, web server and worker containers",
                               settings.environment_class, env, AllowedValues=list(ENVIRONMENT_CLASSES)),
        min_workers=worker_count("MinWorkers", "Workers always running", settings.min_workers),
        max_workers=worker_count("MaxWorkers", "Upper bound of worker autoscaling", settings.max_workers),
        schedulers=add("Schedulers", "Number of schedulers (1 for mw1.micro, 2-5 otherwise)",
                       settings.schedulers, env, MinValue=1, MaxValue=5),
        webserver_access_mode=add("WebserverAccessMode", "Whether the Airflow UI is reachable from the internet",
                                  settings.webserver_access_mode, env, AllowedValues=list(WEBSERVER_ACCESS_MODES)),
        vpc_cidr=cidr("VpcCIDR", "VPC", settings.vpc_cidr),
        public_subnet_cidrs=(
            cidr("PublicSubnet1CIDR", "public subnet in the first Availability Zone", settings.public_subnet_cidrs[0]),
            cidr("PublicSubnet2CIDR", "public subnet in the second Availability Zone", settings.public_subnet_cidrs[1]),
        ),
        private_subnet_cidrs=(
            cidr("PrivateSubnet1CIDR", "private subnet in the first Availability Zone", settings.private_subnet_cidrs[0]),
            cidr("PrivateSubnet2CIDR", "private subnet in the second Availability Zone", settings.private_subnet_cidrs[1]),
        ),
        log_levels={
            name.removesuffix("Level"): add(name, f"Log level of {name.removesuffix('LogsLevel')} logs",
                                            getattr(settings, field), logs, AllowedValues=list(LOG_LEVELS))
            for name, field in LOG_LEVEL_PARAMETERS.items()
        },
        app_env=add("AppEnv", "Value of the Airflow option app.env (AIRFLOW__APP__ENV), e.g. dev or prd",
                    settings.app_env, env, AllowedPattern=APP_ENV_PATTERN,
                    ConstraintDescription="1-64 letters, digits, '.', '_' or '-'"),
    )
