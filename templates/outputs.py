"""Stack outputs, each exported as ``<stack name>-<output>`` for other stacks
and read by the Makefile (the user never copies a bucket name by hand)."""

from __future__ import annotations

from troposphere import Export, GetAtt, Join, Output, Ref, Sub, Template, mwaa, s3

from .execution_role import ExecutionRole
from .network import Network


def add_outputs(
    template: Template,
    network: Network,
    security_group: object,
    bucket: s3.Bucket,
    execution: ExecutionRole,
    environment: mwaa.Environment,
) -> None:
    def output(name: str, description: str, value: object) -> None:
        template.add_output(
            Output(name, Description=description, Value=value, Export=Export(Sub("${AWS::StackName}-" + name)))
        )

    output("MwaaEnvironmentName", "Name of the MWAA environment", Ref(environment))
    output("MwaaEnvironmentArn", "ARN of the MWAA environment", GetAtt(environment, "Arn"))
    output(
        "MwaaApacheAirflowUI",
        "Airflow UI (sign in through the AWS console or `make ui`)",
        Sub(f"https://${{{environment.title}.WebserverUrl}}"),
    )
    output("EnvironmentBucketName", "Source bucket: DAGs go under dags/", Ref(bucket))
    output("EnvironmentBucketArn", "ARN of the source bucket", GetAtt(bucket, "Arn"))
    output("MwaaExecutionRoleArn", "Role the environment's tasks run as", GetAtt(execution.role, "Arn"))
    output("VPC", "VPC of the environment", network.vpc_id)
    if network.public_subnets:
        output("PublicSubnets", "Public subnets (NAT gateways)", Join(",", [Ref(s) for s in network.public_subnets]))
    output("PrivateSubnets", "Private subnets of the environment", Join(",", network.private_subnet_ids))
    for subnet in (*network.public_subnets, *network.private_subnets):
        output(subnet.title, f"{subnet.title} id", Ref(subnet))
    output("SecurityGroup", "Security group of the environment", GetAtt(security_group, "GroupId"))
