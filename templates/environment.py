"""The ``AWS::MWAA::Environment`` itself."""

from __future__ import annotations

from troposphere import GetAtt, Ref, Template, mwaa, s3

from .execution_role import ExecutionRole
from .network import Network
from .parameters import Parameters
from .settings import Settings

DAG_S3_PATH = "dags"


def add_environment(
    template: Template,
    settings: Settings,
    params: Parameters,
    network: Network,
    security_group: object,
    bucket: s3.Bucket,
    execution: ExecutionRole,
) -> mwaa.Environment:
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
                SubnetIds=[Ref(subnet) for subnet in network.private_subnets],
            ),
            WebserverAccessMode=Ref(params.webserver_access_mode),
            LoggingConfiguration=mwaa.LoggingConfiguration(
                **{
                    module: mwaa.ModuleLoggingConfiguration(Enabled=True, LogLevel=Ref(level))
                    for module, level in params.log_levels.items()
                }
            ),
            AirflowConfigurationOptions={
                # Lets `dags trigger --conf` / the REST API override DAG params
                # such as the EMR cluster id.
                "core.dag_run_conf_overrides_params": "true",
                "app.env": Ref(params.app_env),
            },
        )
    )
