"""VPC endpoints: how MWAA reaches AWS when its subnets have no route to the internet.

The list is the user guide's for private routing ("Creating the required VPC
service endpoints"): an S3 gateway endpoint on the private route tables, and
interface endpoints with private DNS in the environment's subnets and security
group (whose self-referencing rule lets MWAA's containers reach them).
"""

from __future__ import annotations

from troposphere import GetAtt, Ref, Sub, Template, ec2

from .network import Network
from .settings import Settings
from .tagging import optional_tags

# Logical ID prefix -> service name suffix after com.amazonaws.<region>.
INTERFACE_ENDPOINTS = {
    "AirflowApi": "airflow.api",
    "AirflowEnv": "airflow.env",
    "AirflowOps": "airflow.ops",
    "CloudWatchLogs": "logs",
    "CloudWatchMonitoring": "monitoring",
    "EcrApi": "ecr.api",
    "EcrDkr": "ecr.dkr",
    "Kms": "kms",
    "Sqs": "sqs",
}


def add_vpc_endpoints(
    template: Template, settings: Settings, network: Network, security_group: ec2.SecurityGroup
) -> None:
    template.add_resource(
        ec2.VPCEndpoint(
            "S3GatewayEndpoint",
            VpcId=network.vpc_id,
            ServiceName=Sub("com.amazonaws.${AWS::Region}.s3"),
            VpcEndpointType="Gateway",
            RouteTableIds=[Ref(table) for table in network.private_route_tables],
            **optional_tags(settings),
        )
    )
    for name, service in INTERFACE_ENDPOINTS.items():
        template.add_resource(
            ec2.VPCEndpoint(
                f"{name}Endpoint",
                VpcId=network.vpc_id,
                ServiceName=Sub("com.amazonaws.${AWS::Region}." + service),
                VpcEndpointType="Interface",
                PrivateDnsEnabled=True,
                SubnetIds=network.private_subnet_ids,
                SecurityGroupIds=[GetAtt(security_group, "GroupId")],
                **optional_tags(settings),
            )
        )
