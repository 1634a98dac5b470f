"""AWS identifier grammars and the value tests of single settings, each ``(name, value,
settings)`` raising :class:`SettingsError` through ``fail``.  Rules between settings are
``invariants.py``."""

from __future__ import annotations

import ipaddress
import re
from typing import Any

from .. import catalogue as mwaa
from ..extra_statements import parse_statements
from .checks import fail

ENVIRONMENT_NAME_PATTERN = r"^[a-zA-Z][0-9a-zA-Z\-_]*$"
# The value lands in airflow.cfg as [app] env and in AIRFLOW__APP__ENV.
APP_ENV_PATTERN = r"^[A-Za-z0-9._-]{1,64}$"
KMS_KEY_CHOICES = '"" (AWS-owned key), "create" (a customer managed key in the stack) or a KMS key ARN'
KMS_KEY_ARN_PATTERN = r"^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key/[0-9a-f-]{36}$"
VPC_ID_PATTERN = r"^vpc-[0-9a-f]{8,17}$"
SUBNET_ID_PATTERN = r"^subnet-[0-9a-f]{8,17}$"
AZ_PATTERN = r"^[a-z]{2}(-[a-z]+)+-\d[a-z]$"
S3_KEY_PATTERN = r"^[A-Za-z0-9!_.*'()/-]{1,1024}$"
SECRET_PREFIX_PATTERN = r"^[A-Za-z0-9/_+=.@-]{1,256}$"
MAINTENANCE_WINDOW_PATTERN = r"^(MON|TUE|WED|THU|FRI|SAT|SUN):([01]\d|2[0-3]):(00|30)$"
TAG_KEY_PATTERN = r"^[\w .:/=+@-]{1,128}$"
TAG_VALUE_PATTERN = r"^[\w .:/=+@-]{0,256}$"
INGRESS_CIDR_PATTERN = r"^(\d{1,3}\.){3}\d{1,3}/(\d|[12]\d|3[0-2])$"
SECURITY_GROUP_ID_PATTERN = r"^sg-[0-9a-f]{8,17}$"
ROLE_ARN_PATTERN = r"^arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]{1,512}$"
# ${AWS::Partition} and ${AWS::AccountId} keep a team's policy ARNs portable across accounts.
POLICY_ARN_PATTERN = (
    r"^arn:(aws[a-z-]*|\$\{AWS::Partition\}):iam::(\d{12}|aws|\$\{AWS::AccountId\}):policy/[\w+=,.@/-]{1,512}$"
)
BUCKET_ARN_PATTERN = r"^arn:aws[a-z-]*:s3:::[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$"
# IAM user guide, "IAM and AWS STS quotas": managed policies attached to a role, 10 by default,
# at most 20 with a quota increase.  The build allows the most, less the execution role's own
# policy (MwaaExecutionPolicy); the message names the default quota.
MAX_MANAGED_POLICIES = 19
MAX_TAGS = 40
NONCURRENT_VERSION_DAYS_MAX = 3650


def availability_zones(name: str, zones: tuple[str, ...], _: Any) -> None:
    if not zones:
        return
    if len(zones) != 2:
        fail(name, zones, "must be exactly two Availability Zones")
    for zone in zones:
        if not re.match(AZ_PATTERN, zone):
            fail(name, zone, "must be Availability Zone names such as eu-west-1a")
    if zones[0] == zones[1]:
        fail(name, zones, "must be two different Availability Zones: MWAA needs its subnets in two")
    if zones[0][:-1] != zones[1][:-1]:
        fail(name, zones, "must be in the same region")


def vpc_id(name: str, value: str, _: Any) -> None:
    if value and not re.match(VPC_ID_PATTERN, value):
        fail(name, value, "must be a VPC id such as vpc-0a1b2c3d4e5f67890")


def subnet_ids(name: str, subnets: tuple[str, ...], _: Any) -> None:
    if not subnets:
        return
    if len(subnets) != 2 or len(set(subnets)) != 2:
        fail(name, subnets, "must be exactly two different subnets, in two Availability Zones")
    for subnet in subnets:
        if not re.match(SUBNET_ID_PATTERN, subnet):
            fail(name, subnet, "must be subnet ids such as subnet-0a1b2c3d4e5f67890")


def kms_key(name: str, key: str, _: Any) -> None:
    if key in ("", "create"):
        return
    if ":alias/" in key or key.startswith("alias/"):
        fail(name, key, "must be a key ARN: MWAA does not accept key aliases")
    if re.match(r"^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key/mrk-", key):
        fail(name, key, "must not be a multi-Region key: MWAA does not support them")
    if not re.match(KMS_KEY_ARN_PATTERN, key):
        fail(name, key, "must be " + KMS_KEY_CHOICES)


def object_key(name: str, value: str, _: Any) -> None:
    if value and (not re.match(S3_KEY_PATTERN, value) or value.startswith(("/", "s3://"))):
        fail(name, value, "must be an object key inside the source bucket, such as dags/requirements.txt")


def zip_key(name: str, value: str, settings: Any) -> None:
    object_key(name, value, settings)
    if value and not value.endswith(".zip"):
        fail(name, value, "must name a .zip file")


def secret_prefix(name: str, value: str, _: Any) -> None:
    if not re.match(SECRET_PREFIX_PATTERN, value) or value.startswith("/") or value.endswith("/"):
        fail(name, value, "must be a Secrets Manager name prefix such as airflow/connections")


def maintenance_window(name: str, window: str, _: Any) -> None:
    if window and not re.match(MAINTENANCE_WINDOW_PATTERN, window):
        fail(name, window, "must be DAY:HH:MM with DAY MON-SUN and MM 00 or 30, e.g. SUN:03:00")


def tags(name: str, pairs: tuple[tuple[str, str], ...], _: Any) -> None:
    keys = [key for key, _ in pairs]
    if len(keys) != len(set(keys)) or len(keys) > MAX_TAGS:
        fail(name, dict(pairs), f"must have unique keys, at most {MAX_TAGS}")
    for key, value in pairs:
        if key == "Name":
            fail(name, key, "Name is set per resource by the template; choose another key")
        if key.lower().startswith("aws:") or not re.match(TAG_KEY_PATTERN, key):
            fail(name, key, "keys must be 1-128 letters, digits, spaces or _.:/=+-@ and not start with aws:")
        if not re.match(TAG_VALUE_PATTERN, value):
            fail(name, f"{key}={value}", "values must be 0-256 letters, digits, spaces or _.:/=+-@")


def dag_folder(name: str, path: str, _: Any) -> None:
    if (
        not re.match(S3_KEY_PATTERN, path)
        or path.startswith(("/", "s3://"))
        or path.endswith("/")
        or ".." in path.split("/")
    ):
        fail(name, path, "must be a folder inside the source bucket such as dags or teams/data/dags")


def log_modules(name: str, disabled: tuple[str, ...], _: Any) -> None:
    known = [m.setting for m in mwaa.LOG_MODULES]
    for module in disabled:
        if module not in known:
            fail(name, module, "must name modules among " + ", ".join(known))
    if len(set(disabled)) != len(disabled):
        fail(name, disabled, "must not repeat a module")


def retention(name: str, days: int, _: Any) -> None:
    if days not in mwaa.LOG_RETENTION_DAYS:
        fail(
            name,
            days,
            "must be 0 (MWAA creates the groups, kept forever) or one of CloudWatch's retention periods: "
            + ", ".join(map(str, mwaa.LOG_RETENTION_DAYS[1:])),
        )


def statements(name: str, value: tuple, _: Any) -> None:
    parse_statements(value)


def policy_arn(name: str, arn: str, _: Any) -> None:
    if arn and not re.match(POLICY_ARN_PATTERN, arn):
        fail(name, arn, "must be an IAM policy ARN")


def policy_arns(name: str, arns: tuple[str, ...], _: Any) -> None:
    for arn in arns:
        if not re.match(POLICY_ARN_PATTERN, arn):
            fail(name, arn, "must be IAM policy ARNs (arn:aws:iam::<account>:policy/...)")
    if len(set(arns)) != len(arns) or len(arns) > MAX_MANAGED_POLICIES:
        fail(
            name,
            arns,
            f"must be at most {MAX_MANAGED_POLICIES} different ARNs (IAM allows 20 per role once its default "
            "quota of 10 is raised, the execution role's own policy included)",
        )


def role_arn(name: str, arn: str, _: Any) -> None:
    if arn and not re.match(ROLE_ARN_PATTERN, arn):
        fail(name, arn, "must be an IAM role ARN (arn:aws:iam::<account>:role/...)")


def bucket_arn(name: str, arn: str, _: Any) -> None:
    if arn and (not re.match(BUCKET_ARN_PATTERN, arn) or ".." in arn):
        fail(name, arn, "must be an S3 bucket ARN such as arn:aws:s3:::my-mwaa-dags")


def noncurrent_days(name: str, days: int, _: Any) -> None:
    if not 1 <= days <= NONCURRENT_VERSION_DAYS_MAX:
        fail(name, days, f"must be between 1 and {NONCURRENT_VERSION_DAYS_MAX}")


def security_groups(name: str, groups: tuple[str, ...], _: Any) -> None:
    for group in groups:
        if not re.match(SECURITY_GROUP_ID_PATTERN, group):
            fail(name, group, "must be security group ids such as sg-0a1b2c3d")
    if len(set(groups)) != len(groups) or len(groups) > mwaa.MAX_SECURITY_GROUPS - 1:
        fail(
            name,
            groups,
            f"must be at most {mwaa.MAX_SECURITY_GROUPS - 1} different groups (MWAA takes {mwaa.MAX_SECURITY_GROUPS}, "
            "the environment's own included)",
        )


def ingress_cidrs(name: str, cidrs: tuple[str, ...], _: Any) -> None:
    allowed = "must be IPv4 CIDR blocks such as 10.10.0.0/16 (your VPN or office ranges)"
    for cidr in cidrs:
        if not re.match(INGRESS_CIDR_PATTERN, cidr):
            fail(name, cidr, allowed)
        try:
            network = ipaddress.IPv4Network(cidr, strict=True)
        except ValueError:
            fail(name, cidr, allowed + ", no host bits set")
        if network.prefixlen == 0:
            fail(name, cidr, "would open the UI to every address; name your VPN or office ranges")
