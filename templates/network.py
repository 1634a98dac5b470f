"""The network MWAA runs in.

Created (the quick start's): a VPC over two Availability Zones with a private
subnet in each for MWAA's containers.  With public routing each AZ also has a
public subnet, and each private subnet leaves through a NAT gateway (one per AZ,
or one for both to save cost); MWAA's private subnets must never route straight
to an internet gateway.  With private routing there is no internet gateway or
NAT at all, and MWAA reaches AWS through VPC endpoints (``endpoints.py``).

Existing: the VpcId and PrivateSubnetIds parameters, and no network resources.
"""

from __future__ import annotations

from dataclasses import dataclass

from troposphere import GetAtt, GetAZs, Parameter, Ref, Select, Template, ec2

from .parameters import Parameters
from .settings import Settings
from .tagging import tags

AZ_COUNT = 2


@dataclass(frozen=True)
class Network:
    vpc_id: Ref  # to the VPC or to the VpcId parameter
    private_subnet_ids: list[Ref] | Ref  # Refs to the subnets, or to a List<> parameter
    public_subnets: tuple[ec2.Subnet, ...] = ()
    private_subnets: tuple[ec2.Subnet, ...] = ()
    private_route_tables: tuple[ec2.RouteTable, ...] = ()
    nat_addresses: tuple[ec2.EIP, ...] = ()  # the addresses partners allowlist
    created: bool = True


def add_network(template: Template, settings: Settings, params: Parameters) -> Network:
    if settings.network == "existing":
        return Network(vpc_id=Ref(params.vpc_id), private_subnet_ids=Ref(params.private_subnet_ids), created=False)

    vpc = template.add_resource(
        ec2.VPC(
            "VPC",
            CidrBlock=Ref(params.vpc_cidr),
            EnableDnsSupport=True,
            EnableDnsHostnames=True,  # interface endpoints' private DNS needs both
            Tags=tags(settings, "VPC"),
        )
    )
    private = tuple(
        _add_subnet(template, settings, vpc, "Private", index, params.private_subnet_cidrs[index])
        for index in range(AZ_COUNT)
    )
    route_tables = tuple(
        template.add_resource(
            ec2.RouteTable(f"PrivateRouteTable{n}", VpcId=Ref(vpc), Tags=tags(settings, f"private routes {n}"))
        )
        for n in range(1, AZ_COUNT + 1)
    )
    for subnet, routes in zip(private, route_tables, strict=True):
        _associate(template, subnet, routes)

    public: tuple[ec2.Subnet, ...] = ()
    addresses: tuple[ec2.EIP, ...] = ()
    if settings.routing == "public":
        public, addresses = _add_internet_access(template, settings, params, vpc, route_tables)
    return Network(
        vpc_id=Ref(vpc),
        private_subnet_ids=[Ref(s) for s in private],
        public_subnets=public,
        private_subnets=private,
        private_route_tables=route_tables,
        nat_addresses=addresses,
    )


def _add_internet_access(
    template: Template,
    settings: Settings,
    params: Parameters,
    vpc: ec2.VPC,
    private_route_tables: tuple[ec2.RouteTable, ...],
) -> tuple[tuple[ec2.Subnet, ...], tuple[ec2.EIP, ...]]:
    gateway = template.add_resource(ec2.InternetGateway("InternetGateway", Tags=tags(settings, "internet gateway")))
    attachment = template.add_resource(
        ec2.VPCGatewayAttachment("InternetGatewayAttachment", InternetGatewayId=Ref(gateway), VpcId=Ref(vpc))
    )
    public = tuple(
        _add_subnet(template, settings, vpc, "Public", index, params.public_subnet_cidrs[index])
        for index in range(AZ_COUNT)
    )
    public_routes = template.add_resource(
        ec2.RouteTable("PublicRouteTable", VpcId=Ref(vpc), Tags=tags(settings, "public routes"))
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

    # One NAT per AZ (quick start): losing an AZ does not cut the other off.
    # "single": one NAT in the first AZ for both, at the cost of that dependency.
    nat_count = AZ_COUNT if settings.nat_gateways == "per_az" else 1
    nats, addresses = [], []
    for n in range(1, nat_count + 1):
        eip = template.add_resource(
            ec2.EIP(f"NatGateway{n}EIP", DependsOn=attachment.title, Domain="vpc", Tags=tags(settings, f"NAT {n}"))
        )
        addresses.append(eip)
        nats.append(
            template.add_resource(
                ec2.NatGateway(
                    f"NatGateway{n}",
                    AllocationId=GetAtt(eip, "AllocationId"),
                    SubnetId=Ref(public[n - 1]),
                    Tags=tags(settings, f"NAT {n}"),
                )
            )
        )
    for n, routes in enumerate(private_route_tables, start=1):
        template.add_resource(
            ec2.Route(
                f"DefaultPrivateRoute{n}",
                RouteTableId=Ref(routes),
                DestinationCidrBlock="0.0.0.0/0",
                NatGatewayId=Ref(nats[min(n, nat_count) - 1]),
            )
        )
    return public, tuple(addresses)


def _add_subnet(
    template: Template, settings: Settings, vpc: ec2.VPC, kind: str, index: int, cidr: Parameter
) -> ec2.Subnet:
    number = index + 1
    zone = settings.availability_zones[index] if settings.availability_zones else Select(index, GetAZs(""))
    # Zones named in the settings are a deliberate choice (capacity, AZ-ID alignment); cfn-lint's
    # "avoid hard-coded zones" (W3010) is for accidental ones.
    chosen = {"Metadata": {"cfn-lint": {"config": {"ignore_checks": ["W3010"]}}}} if settings.availability_zones else {}
    return template.add_resource(
        ec2.Subnet(
            f"{kind}Subnet{number}",
            **chosen,
            VpcId=Ref(vpc),
            AvailabilityZone=zone,
            CidrBlock=Ref(cidr),
            MapPublicIpOnLaunch=kind == "Public",
            Tags=tags(settings, f"{kind.lower()} subnet (AZ{number})"),
        )
    )


def _associate(template: Template, subnet: ec2.Subnet, routes: ec2.RouteTable) -> None:
    template.add_resource(
        ec2.SubnetRouteTableAssociation(
            f"{subnet.title}RouteTableAssociation", RouteTableId=Ref(routes), SubnetId=Ref(subnet)
        )
    )
