"""The ``AWS::MWAA::Environment`` itself."""

from __future__ import annotations

import json

from troposphere import AWSHelperFn, GetAtt, If, NoValue, Ref, Template, ec2, mwaa, s3

from .execution_role import ExecutionRole
from .network import Network
from .parameters import Parameters
from .s3_files import S3_FILES
from .settings import SECRETS_BACKEND, Settings
from .tagging import tag_map

DAG_S3_PATH = "dags"


def configuration_options(settings: Settings, params: Parameters) -> dict[str, object]:
    options: dict[str, object] = {
        # Lets `dags trigger --conf` / the REST API override DAG params such as the EMR cluster id.
        "core.dag_run_conf_overrides_params": "true",
        "app.env": Ref(params.app_env),
    }
    if settings.secrets_backend:
        options["secrets.backend"] = SECRETS_BACKEND
        options["secrets.backend_kwargs"] = json.dumps(
            {
                "connections_prefix": settings.secrets_connections_prefix,
                "variables_prefix": settings.secrets_variables_prefix,
            },
            sort_keys=True,
        )
    return options


def add_environment(
    template: Template,
    settings: Settings,
    params: Parameters,
    network: Network,
    security_group: ec2.SecurityGroup,
    bucket: s3.Bucket,
    execution: ExecutionRole,
    kms_key_arn: AWSHelperFn | None = None,
) -> mwaa.Environment:
    optional: dict[str, object] = {}
    if kms_key_arn is not None:
        optional["KmsKey"] = kms_key_arn
    for file in S3_FILES:
        key = getattr(settings, file.setting)
        if key:
            # Both only once a version is given: on a new stack the bucket is created by the
            # same deployment, so the file cannot exist yet; `make sync` uploads it and sets
            # the version parameter, and MWAA installs exactly that version.
            version, condition = params.object_versions[file.name]
            optional[file.path_property] = If(condition, key, NoValue)
            optional[file.version_property] = If(condition, Ref(version), NoValue)
    if settings.weekly_maintenance_window_start:
        optional["WeeklyMaintenanceWindowStart"] = settings.weekly_maintenance_window_start
    if settings.tags:
        optional["Tags"] = tag_map(settings)
    return template.add_resource(
        mwaa.Environment(
            "MwaaEnvironment",
            # MWAA checks the role's permissions on the bucket while creating the
            # environment; the policy is a separate resource, so wait for it.
            DependsOn=execution.policy.title,
            Name=Ref(params.environment_name),
            AirflowVersion=Ref(params.airflow_version),
            EnvironmentClass=Ref(params.environment_class),
            MinWorkers=Ref(params.min_workers),
            MaxWorkers=Ref(params.max_workers),
            Schedulers=Ref(params.schedulers),
            ExecutionRoleArn=GetAtt(execution.role, "Arn"),
            SourceBucketArn=GetAtt(bucket, "Arn"),
            DagS3Path=DAG_S3_PATH,
            NetworkConfiguration=mwaa.NetworkConfiguration(
                SecurityGroupIds=[GetAtt(security_group, "GroupId")],
                SubnetIds=network.private_subnet_ids,
            ),
            WebserverAccessMode=Ref(params.webserver_access_mode),
            LoggingConfiguration=mwaa.LoggingConfiguration(
                **{
                    module: mwaa.ModuleLoggingConfiguration(Enabled=True, LogLevel=Ref(level))
                    for module, level in params.log_levels.items()
                }
            ),
            AirflowConfigurationOptions=configuration_options(settings, params),
            **optional,
        )
    )
