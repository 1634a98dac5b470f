"""The environment's security group.

MWAA's schedulers, workers, web server and metadata database talk to each
other inside this group, so it must allow all traffic from itself; without
the self-referencing rule DAGs are never processed.  ``webserver_ingress_cidrs``
adds HTTPS from the team's VPN or Direct Connect ranges, the way into a private
web server's VPC endpoint.
"""

from __future__ import annotations

from troposphere import GetAtt, Template, ec2

from .network import Network
from .settings import Settings
from .tagging import tags


def add_security_group(template: Template, settings: Settings, network: Network) -> ec2.SecurityGroup:
    group = template.add_resource(
        ec2.SecurityGroup(
            "SecurityGroup",
            GroupDescription="Amazon MWAA environment: self-referencing, all egress",
            VpcId=network.vpc_id,
            # Stated explicitly (it is also EC2's default) so the rule carries a description.
            SecurityGroupEgress=[
                ec2.SecurityGroupRule(
                    IpProtocol="-1",
                    CidrIp="0.0.0.0/0",
                    Description="MWAA reaches AWS APIs, PyPI and what DAGs call",
                )
            ],
            **_ingress(settings),
            Tags=tags(settings, "MWAA"),
        )
    )
    # A separate resource: a rule inside the group cannot reference the group itself.
    template.add_resource(
        ec2.SecurityGroupIngress(
            "SecurityGroupIngress",
            GroupId=GetAtt(group, "GroupId"),
            IpProtocol="-1",
            SourceSecurityGroupId=GetAtt(group, "GroupId"),
            Description="MWAA components talk to each other on all ports",
        )
    )
    return group


def _ingress(settings: Settings) -> dict[str, list[ec2.SecurityGroupRule]]:
    if not settings.webserver_ingress_cidrs:
        return {}
    return {
        "SecurityGroupIngress": [
            ec2.SecurityGroupRule(
                IpProtocol="tcp",
                FromPort=443,
                ToPort=443,
                CidrIp=cidr,
                Description="Airflow UI and API over HTTPS from a private network",
            )
            for cidr in settings.webserver_ingress_cidrs
        ]
    }
