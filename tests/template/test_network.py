"""The quick-start network: two AZs, public subnets with NAT, private subnets routed through them."""

from __future__ import annotations

from collections import Counter

from tests.template.conftest import Cfn

EXPECTED_TYPES = {
    "AWS::EC2::VPC": 1,
    "AWS::EC2::InternetGateway": 1,
    "AWS::EC2::VPCGatewayAttachment": 1,
    "AWS::EC2::Subnet": 4,
    "AWS::EC2::EIP": 2,
    "AWS::EC2::NatGateway": 2,
    "AWS::EC2::RouteTable": 3,
    "AWS::EC2::Route": 3,
    "AWS::EC2::SubnetRouteTableAssociation": 4,
    "AWS::EC2::SecurityGroup": 1,
    "AWS::EC2::SecurityGroupIngress": 1,
    "AWS::S3::Bucket": 1,
    "AWS::S3::BucketPolicy": 1,
    "AWS::IAM::Role": 1,
    "AWS::IAM::ManagedPolicy": 1,
    "AWS::MWAA::Environment": 1,
}


def ref(value: object) -> str:
    assert isinstance(value, dict) and set(value) == {"Ref"}, value
    return value["Ref"]


def az_index(subnet: dict) -> int:
    select = subnet["Properties"]["AvailabilityZone"]["Fn::Select"]
    assert select[1] == {"Fn::GetAZs": ""}, "AZs come from the region, never hard-coded"
    return int(select[0])


def test_every_resource_type_and_count(cfn: Cfn) -> None:
    assert Counter(r["Type"] for r in cfn.resources.values()) == EXPECTED_TYPES


def test_vpc_has_dns_for_interface_endpoints(cfn: Cfn) -> None:
    vpc = cfn.props("VPC")
    assert vpc["EnableDnsSupport"] is True and vpc["EnableDnsHostnames"] is True
    assert ref(vpc["CidrBlock"]) == "VpcCIDR"


def test_subnets_span_two_azs_public_and_private(cfn: Cfn) -> None:
    for kind, public in (("Public", True), ("Private", False)):
        subnets = [cfn.resource(f"{kind}Subnet{n}") for n in (1, 2)]
        assert [az_index(s) for s in subnets] == [0, 1]
        for n, subnet in enumerate(subnets, start=1):
            assert subnet["Properties"]["MapPublicIpOnLaunch"] is public
            assert ref(subnet["Properties"]["CidrBlock"]) == f"{kind}Subnet{n}CIDR"
            assert ref(subnet["Properties"]["VpcId"]) == "VPC"


def test_internet_gateway_attached_and_public_route_waits_for_it(cfn: Cfn) -> None:
    attachment = cfn.props("InternetGatewayAttachment")
    assert ref(attachment["InternetGatewayId"]) == "InternetGateway" and ref(attachment["VpcId"]) == "VPC"
    route = cfn.resource("DefaultPublicRoute")
    assert route["DependsOn"] == "InternetGatewayAttachment"
    assert route["Properties"]["DestinationCidrBlock"] == "0.0.0.0/0"
    assert ref(route["Properties"]["GatewayId"]) == "InternetGateway"


def _route_table_of(cfn: Cfn, subnet: str) -> str:
    tables = [
        ref(a["Properties"]["RouteTableId"])
        for a in cfn.of_type("AWS::EC2::SubnetRouteTableAssociation").values()
        if ref(a["Properties"]["SubnetId"]) == subnet
    ]
    assert len(tables) == 1, f"{subnet} is associated with {tables}"
    return tables[0]


def _default_route(cfn: Cfn, table: str) -> dict:
    routes = [
        r["Properties"]
        for r in cfn.of_type("AWS::EC2::Route").values()
        if ref(r["Properties"]["RouteTableId"]) == table and r["Properties"]["DestinationCidrBlock"] == "0.0.0.0/0"
    ]
    assert len(routes) == 1
    return routes[0]


def test_public_subnets_route_to_the_internet_gateway(cfn: Cfn) -> None:
    for n in (1, 2):
        route = _default_route(cfn, _route_table_of(cfn, f"PublicSubnet{n}"))
        assert ref(route["GatewayId"]) == "InternetGateway"


def test_each_private_subnet_leaves_through_the_nat_in_its_own_az(cfn: Cfn) -> None:
    for n in (1, 2):
        private = f"PrivateSubnet{n}"
        route = _default_route(cfn, _route_table_of(cfn, private))
        assert "GatewayId" not in route, "MWAA's private subnets must not route straight to an internet gateway"
        nat = cfn.resource(ref(route["NatGatewayId"]))
        public = ref(nat["Properties"]["SubnetId"])
        assert public.startswith("PublicSubnet")
        assert az_index(cfn.resource(public)) == az_index(cfn.resource(private))
        eip = nat["Properties"]["AllocationId"]["Fn::GetAtt"]
        assert eip[1] == "AllocationId"
        assert cfn.props(eip[0])["Domain"] == "vpc"
        assert cfn.resource(eip[0])["DependsOn"] == "InternetGatewayAttachment"


def test_security_group_allows_all_traffic_from_itself_only(cfn: Cfn) -> None:
    ingress = cfn.props("SecurityGroupIngress")
    group = {"Fn::GetAtt": ["SecurityGroup", "GroupId"]}
    assert ingress["GroupId"] == group and ingress["SourceSecurityGroupId"] == group
    assert ingress["IpProtocol"] == "-1" and "CidrIp" not in ingress
    sg = cfn.props("SecurityGroup")
    assert ref(sg["VpcId"]) == "VPC"
    assert "SecurityGroupIngress" not in sg, "no inbound rule besides the self reference"
    [egress] = sg["SecurityGroupEgress"]
    assert egress["IpProtocol"] == "-1" and egress["CidrIp"] == "0.0.0.0/0"
    assert egress["Description"] and ingress["Description"], "every rule says why (checkov CKV_AWS_23)"
