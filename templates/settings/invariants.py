"""Rules between settings, one function per feature in build order; each value alone has
already passed its own check."""

from __future__ import annotations

from typing import Any

from .. import catalogue as mwaa
from ..airflow_options import option_problem, template_options
from .checks import fail, network_of

CREATED_NETWORK_ONLY = (
    "nat_gateways",
    "routing",
    "vpc_endpoints",
    "availability_zones",
    "vpc_cidr",
    "public_subnet_cidrs",
    "private_subnet_cidrs",
)


def check_invariants(s: Any) -> None:
    for rule in (network, scaling, webserver, configuration_options, execution_role, source_bucket):
        rule(s)


def _default(name: str) -> object:
    from . import default_of

    return default_of(name)


def applies_only(s: Any, name: str, where: str) -> None:
    """``name`` must keep its default outside ``where``."""
    if getattr(s, name) != _default(name):
        fail(name, getattr(s, name), f"applies only to {where}")


def network(s: Any) -> None:
    if s.network == "existing":
        for name in CREATED_NETWORK_ONLY:
            applies_only(s, name, "network=create; an existing VPC brings its own")
        if s.vpc_id and not s.private_subnet_ids:
            fail(
                "private_subnet_ids",
                s.private_subnet_ids,
                f"must name the two private subnets of {s.vpc_id} MWAA runs in",
            )
        if s.private_subnet_ids and not s.vpc_id:
            fail("vpc_id", s.vpc_id, "must name the VPC of private_subnet_ids")
        return
    for name in ("vpc_id", "private_subnet_ids"):
        applies_only(s, name, "network=existing")
    if s.routing == "private":
        if not s.vpc_endpoints:
            fail(
                "vpc_endpoints",
                s.vpc_endpoints,
                "must be true with routing=private: without a NAT gateway MWAA reaches AWS only through VPC endpoints",
            )
        applies_only(s, "nat_gateways", "routing=public; private routing has no NAT")
    vpc = network_of("vpc_cidr", s.vpc_cidr)
    seen: list[tuple[str, Any]] = []
    for name in ("public_subnet_cidrs", "private_subnet_cidrs"):
        for cidr in getattr(s, name):
            subnet = network_of(name, cidr)
            if not subnet.subnet_of(vpc):
                fail(name, cidr, f"must lie inside vpc_cidr {s.vpc_cidr}")
            for other_cidr, other in seen:
                if subnet.overlaps(other):
                    fail(name, cidr, f"must not overlap subnet {other_cidr}")
            seen.append((cidr, subnet))


def scaling(s: Any) -> None:
    for low, high in (("min_workers", "max_workers"), ("min_webservers", "max_webservers")):
        if getattr(s, low) > getattr(s, high):
            fail(low, getattr(s, low), f"must not exceed {high} ({getattr(s, high)})")


def webserver(s: Any) -> None:
    release = mwaa.RELEASES[s.airflow_version]
    if s.webserver_access_mode == "PUBLIC_AND_PRIVATE" and release.key[:2] < mwaa.PUBLIC_AND_PRIVATE_SINCE:
        since = ".".join(map(str, mwaa.PUBLIC_AND_PRIVATE_SINCE))
        fail(
            "webserver_access_mode",
            s.webserver_access_mode,
            f"needs Airflow {since} or later (airflow_version is {s.airflow_version})",
        )
    if s.webserver_ingress_cidrs and s.webserver_access_mode == "PUBLIC_ONLY":
        fail(
            "webserver_ingress_cidrs",
            s.webserver_ingress_cidrs,
            "applies to a private web server (webserver_access_mode PRIVATE_ONLY or PUBLIC_AND_PRIVATE)",
        )


def configuration_options(s: Any) -> None:
    name = "airflow_configuration_options"
    keys = [key for key, _ in s.airflow_configuration_options]
    if len(keys) != len(set(keys)):
        fail(name, keys, "must not repeat a key")
    own = template_options(s.secrets_backend, s.secrets_connections_prefix, s.secrets_variables_prefix)
    for key, value in s.airflow_configuration_options:
        problem = option_problem(key, value, s.airflow_version)
        if problem:
            fail(name, f"{key}={value}", problem)
        if key in own and own[key] != value:
            fail(name, f"{key}={value}", f"the template sets {key} to {own[key]}")


def execution_role(s: Any) -> None:
    if not s.execution_role_arn:
        return
    for name in ("extra_policy_statements", "managed_policy_arns", "permissions_boundary_arn", "secrets_backend"):
        if getattr(s, name):
            fail(
                name,
                getattr(s, name),
                "applies only to the role the stack creates; with execution_role_arn, grant it in that role",
            )
    if s.kms_key == "create":
        fail("kms_key", s.kms_key, "a role made before the stack cannot name the stack's new key; give the key's ARN")


def source_bucket(s: Any) -> None:
    if s.source_bucket_arn:
        applies_only(
            s, "noncurrent_version_days", "the bucket the stack creates; set lifecycle rules on your own bucket"
        )
