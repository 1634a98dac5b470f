"""The quick-start network: a VPC over two Availability Zones, each with a
public subnet (NAT gateway) and a private subnet (MWAA's containers).

MWAA needs exactly two private subnets in different AZs whose default route
leads to a NAT gateway, never straight to an internet gateway.
"""

from __future__ import annotations

from dataclasses import dataclass

from troposphere import GetAtt, GetAZs, Ref, Select, Sub, Tags, Template, ec2

from .parameters import Parameters
from .settings import Settings

AZ_COUNT = 2


@dataclass(frozen=True)
class Network:
    vpc: ec2.VPC
    public_subnets: tuple[ec2.Subnet, ...]
    private_subnets: tuple[ec2.Subnet, ...]


def _name_tag(suffix: str) -> Tags:
    return Tags(Name=Sub("${EnvironmentName} " + suffix))


def add_network(template: Template, settings: Settings, params: Parameters) -> Network:
    vpc = template.add_resource(
        ec2.VPC(
            "VPC",
            CidrBlock=Ref(params.vpc_cidr),
            EnableDnsSupport=True,
            EnableDnsHostnames=True,  # MWAA's interface endpoints need private DNS
            Tags=_name_tag("VPC"),
        )
    )
    gateway = template.add_resource(ec2.InternetGateway("InternetGateway", Tags=_name_tag("internet gateway")))
    attachment = template.add_resource(
        ec2.VPCGatewayAttachment("InternetGatewayAttachment", InternetGatewayId=Ref(gateway), VpcId=Ref(vpc))
    )
    public = tuple(
        _add_subnet(template, vpc, "Public", index, params.public_subnet_cidrs[index]) for index in range(AZ_COUNT)
    )
    private = tuple(
        _add_subnet(template, vpc, "Private", index, params.private_subnet_cidrs[index]) for index in range(AZ_COUNT)
    )

    public_routes = template.add_resource(
        ec2.RouteTable("PublicRouteTable", VpcId=Ref(vpc), Tags=_name_tag("public routes"))
    )
    template.add_resource(
        ec2.Route(
            "DefaultPublicRoute",
            DependsOn=attachment.title,  # a route to a detached gateway fails
            RouteTableId=Ref(public_routes),
            DestinationCidrBlock="0.0.0.0/0",
            GatewayId=Ref(gateway),
        )
    )
    for subnet in public:
        _associate(template, subnet, public_routes)

    for index, (public_subnet, private_subnet) in enumerate(zip(public, private), start=1):
        # One NAT per AZ, as in the quick start: losing an AZ does not cut the other off.
        eip = template.add_resource(
            ec2.EIP(f"NatGateway{index}EIP", DependsOn=attachment.title, Domain="vpc",
                    Tags=_name_tag(f"NAT {index}"))
        )
        nat = template.add_resource(
            ec2.NatGateway(f"NatGateway{index}", AllocationId=GetAtt(eip, "AllocationId"),
                           SubnetId=Ref(public_subnet), Tags=_name_tag(f"NAT {index}"))
        )
        routes = template.add_resource(
            ec2.RouteTable(f"PrivateRouteTable{index}", VpcId=Ref(vpc), Tags=_name_tag(f"private routes {index}"))
        )
        template.add_resource(
            ec2.Route(f"DefaultPrivateRoute{index}", RouteTableId=Ref(routes),
                      DestinationCidrBlock="0.0.0.0/0", NatGatewayId=Ref(nat))
        )
        _associate(template, private_subnet, routes)

    return Network(vpc=vpc, public_subnets=public, private_subnets=private)


def _add_subnet(template: Template, vpc: ec2.VPC, kind: str, index: int, cidr: object) -> ec2.Subnet:
    number = index + 1
    return template.add_resource(
        ec2.Subnet(
            f"{kind}Subnet{number}",
            VpcId=Ref(vpc),
            AvailabilityZone=Select(index, GetAZs("")),
            CidrBlock=Ref(cidr),
            MapPublicIpOnLaunch=kind == "Public",
            Tags=_name_tag(f"{kind.lower()} subnet (AZ{number})"),
        )
    )


def _associate(template: Template, subnet: ec2.Subnet, routes: ec2.RouteTable) -> None:
    template.add_resource(
        ec2.SubnetRouteTableAssociation(
            f"{subnet.title}RouteTableAssociation", RouteTableId=Ref(routes), SubnetId=Ref(subnet)
        )
    )
