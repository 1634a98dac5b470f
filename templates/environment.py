"""The ``AWS::MWAA::Environment`` itself."""

from __future__ import annotations

from troposphere import AWSHelperFn, GetAtt, If, Join, NoValue, Ref, Split, Template, ec2, logs, mwaa

from .airflow_options import template_options
from .bucket import SourceBucket
from .catalogue import LOG_MODULES, S3_FILES
from .execution_role import ExecutionRole
from .network import Network
from .parameters import Parameters
from .settings import Settings
from .tagging import tag_map


def configuration_options(settings: Settings, params: Parameters) -> dict[str, object]:
    """The template's own options and the team's.  The template's: core.dag_run_conf_overrides_params
    lets `dags trigger --conf` / the REST API override DAG params such as the EMR cluster id; app.env
    comes from the AppEnv parameter; the secrets backend when asked.  The settings refuse a team
    option that contradicts one of these."""
    own = template_options(
        settings.secrets_backend, settings.secrets_connections_prefix, settings.secrets_variables_prefix
    )
    options: dict[str, object] = {**own, **dict(settings.airflow_configuration_options)}
    options["app.env"] = Ref(params.app_env)
    return options


def add_environment(
    template: Template,
    settings: Settings,
    params: Parameters,
    network: Network,
    security_group: ec2.SecurityGroup,
    bucket: SourceBucket,
    execution: ExecutionRole,
    kms_key_arn: AWSHelperFn | str | None = None,
    log_groups: tuple[logs.LogGroup, ...] = (),
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
    if settings.worker_replacement_strategy:
        optional["WorkerReplacementStrategy"] = settings.worker_replacement_strategy
    # Only when it differs from MWAA's default: EndpointManagement replaces the environment
    # when it changes, and adding SERVICE to a stack without it would count as a change.
    if settings.endpoint_management != "SERVICE":
        optional["EndpointManagement"] = settings.endpoint_management
    # MWAA checks the role's permissions on the bucket while creating the environment;
    # the policy is a separate resource, so wait for it.  Pre-created log groups must
    # exist before MWAA creates its own.
    depends_on = [r.title for r in (execution.policy, *log_groups) if r is not None]
    if depends_on:
        optional["DependsOn"] = depends_on if len(depends_on) > 1 else depends_on[0]
    return template.add_resource(
        mwaa.Environment(
            "MwaaEnvironment",
            Name=Ref(params.environment_name),
            AirflowVersion=Ref(params.airflow_version),
            EnvironmentClass=Ref(params.environment_class),
            MinWorkers=Ref(params.min_workers),
            MaxWorkers=Ref(params.max_workers),
            Schedulers=Ref(params.schedulers),
            MinWebservers=Ref(params.min_webservers),
            MaxWebservers=Ref(params.max_webservers),
            ExecutionRoleArn=execution.arn,
            SourceBucketArn=bucket.arn,
            DagS3Path=settings.dag_s3_path,
            NetworkConfiguration=mwaa.NetworkConfiguration(
                SecurityGroupIds=_security_groups(security_group, params),
                SubnetIds=network.private_subnet_ids,
            ),
            WebserverAccessMode=Ref(params.webserver_access_mode),
            LoggingConfiguration=mwaa.LoggingConfiguration(
                **{
                    module.configuration: mwaa.ModuleLoggingConfiguration(
                        Enabled=module.setting not in settings.disabled_log_types,
                        LogLevel=Ref(params.log_levels[module.configuration]),
                    )
                    for module in LOG_MODULES
                }
            ),
            AirflowConfigurationOptions=configuration_options(settings, params),
            **optional,
        )
    )


def _security_groups(security_group: ec2.SecurityGroup, params: Parameters) -> object:
    own = GetAtt(security_group, "GroupId")
    if params.extra_security_group_ids is None:
        return [own]
    # Fn::Split of a joined list: the only way to prepend to a List<> parameter.
    return Split(",", Join(",", [own, Join(",", Ref(params.extra_security_group_ids))]))
