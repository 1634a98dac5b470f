"""Stack outputs, each exported as ``<stack name>-<output>`` for other stacks
and read by the Makefile (the user never copies a bucket name by hand)."""

from __future__ import annotations

from troposphere import Export, GetAtt, Join, Output, Ref, Sub, Template, mwaa

from .bucket import SourceBucket
from .execution_role import ExecutionRole
from .logs import enabled_modules
from .network import Network
from .settings import Settings


def add_outputs(
    template: Template,
    settings: Settings,
    network: Network,
    security_group: object,
    bucket: SourceBucket,
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
    output("EnvironmentBucketName", f"Source bucket: DAGs go under {settings.dag_s3_path}/", bucket.name)
    output("EnvironmentBucketArn", "ARN of the source bucket", bucket.arn)
    output("MwaaExecutionRoleArn", "Role the environment's tasks run as", execution.arn)
    for module in enabled_modules(settings):
        output(
            f"{module.group_suffix}LogGroupArn",
            f"CloudWatch log group of the {module.label} logs",
            GetAtt(environment, f"LoggingConfiguration.{module.configuration}.CloudWatchLogGroupArn"),
        )
    if settings.endpoint_management == "CUSTOMER":
        # With CUSTOMER endpoint management the VPC owner creates these two interface
        # endpoints in the environment's subnets; until then the environment stays PENDING.
        for name, what in (("WebserverVpcEndpointService", "web server"), ("DatabaseVpcEndpointService", "database")):
            output(
                name,
                f"VPC endpoint service of the {what}: the VPC owner creates an endpoint to it",
                GetAtt(environment, name),
            )
    output("VPC", "VPC of the environment", network.vpc_id)
    if network.public_subnets:
        output("PublicSubnets", "Public subnets (NAT gateways)", Join(",", [Ref(s) for s in network.public_subnets]))
    output("PrivateSubnets", "Private subnets of the environment", Join(",", network.private_subnet_ids))
    for subnet in (*network.public_subnets, *network.private_subnets):
        output(subnet.title, f"{subnet.title} id", Ref(subnet))
    output("SecurityGroup", "Security group of the environment", GetAtt(security_group, "GroupId"))
    if network.nat_addresses:
        output(
            "NatGatewayPublicIps",
            "Public IPs the environment's outbound traffic leaves from (for partners' allowlists)",
            Join(",", [Ref(address) for address in network.nat_addresses]),
        )
