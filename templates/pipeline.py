"""Settings of the CI roles template (``pipeline.toml`` → ``out/mwaa-ci-roles.yaml``): which
GitHub repository a pipeline runs from, which environments it deploys, and whether the
account already has GitHub's OIDC provider.

    github_repository = "org/repo"   # "" (the sample): given at deploy as GitHubRepository
    environments = ["dev", "prd"]     # each an environments/<name>.toml; a deploy role each
    oidc_provider_arn = ""            # "" creates the provider; an ARN uses the account's own

The roles have fixed names (unlike the execution role) because the pipeline finds them by
name: ``make environments FORMAT=json`` gives each pinned environment's deploy role and
CloudFormation role ARN from its ``[target]`` account and these names.  The template is
deployed once per account; it holds the roles of the environments pinned to that account
(and of the unpinned ones) and the preview role.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .errors import SettingsError
from .settings import Settings
from .target import Target

# GitHub's own limits: an owner is 1-39 letters, digits and single hyphens, not at either end;
# a repository name 1-100 letters, digits, '.', '_' and '-'.
REPOSITORY = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}/[A-Za-z0-9._-]{1,100}")
OIDC_PROVIDER_ARN = re.compile(
    r"arn:aws(-cn|-us-gov)?:iam::[0-9]{12}:oidc-provider/token\.actions\.githubusercontent\.com"
)
ISSUER = "token.actions.githubusercontent.com"
AUDIENCE = "sts.amazonaws.com"  # what aws-actions/configure-aws-credentials asks GitHub's token for

PREVIEW_ROLE_NAME = "mwaa-ci-preview"
DEPLOY_ROLE_PREFIX = "mwaa-ci-deploy-"
CLOUDFORMATION_ROLE_PREFIX = "mwaa-ci-cloudformation-"
ROLE_NAME_MAX = 64  # IAM's limit on a role name
ENVIRONMENT_NAME_MAX = ROLE_NAME_MAX - len(CLOUDFORMATION_ROLE_PREFIX)
KEYS = ("github_repository", "environments", "oidc_provider_arn")


def deploy_role_name(environment: str) -> str:
    return DEPLOY_ROLE_PREFIX + environment


def cloudformation_role_name(environment: str) -> str:
    return CLOUDFORMATION_ROLE_PREFIX + environment


def partition(region: str) -> str:
    """The partition a Region belongs to (AWS General Reference, "Partitions")."""
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


def role_arn(name: str, target: Target) -> str:
    return f"arn:{partition(target.region)}:iam::{target.account_id}:role/{name}"


def identifier(environment: str) -> str:
    """An environment label as part of a logical ID: ``existing-vpc`` → ``ExistingVpc``."""
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[^A-Za-z0-9]+", environment) if part)


@dataclass(frozen=True)
class PipelineEnvironment:
    name: str
    settings: Settings
    target: Target | None

    @property
    def stack(self) -> str:
        return f"mwaa-{self.name}"  # the stack name ops gives ENV=<name>


@dataclass(frozen=True)
class Pipeline:
    github_repository: str
    environments: tuple[PipelineEnvironment, ...]
    oidc_provider_arn: str = ""

    def __post_init__(self) -> None:
        if self.github_repository and not REPOSITORY.fullmatch(self.github_repository):
            raise SettingsError("github_repository", self.github_repository, 'a GitHub "owner/name", or ""')
        if self.oidc_provider_arn and not OIDC_PROVIDER_ARN.fullmatch(self.oidc_provider_arn):
            raise SettingsError(
                "oidc_provider_arn", self.oidc_provider_arn, f'the ARN of the account\'s {ISSUER} provider, or ""'
            )
        seen: dict[str, str] = {}
        for environment in self.environments:
            if len(environment.name) > ENVIRONMENT_NAME_MAX:
                raise SettingsError(
                    "environments",
                    environment.name,
                    f"names of at most {ENVIRONMENT_NAME_MAX} characters (IAM role names hold 64)",
                )
            key = identifier(environment.name)
            if key in seen:
                raise SettingsError(
                    "environments", environment.name, f"names that differ in more than punctuation (see {seen[key]})"
                )
            seen[key] = environment.name


def environment_names(values: dict[str, object]) -> tuple[str, ...]:
    """The ``environments`` of a pipeline file's table, checked for shape (build.py then
    reads each one's settings file); the other keys are checked by :class:`Pipeline`."""
    unknown = sorted(set(values) - set(KEYS))
    if unknown:
        raise SettingsError(unknown[0], values[unknown[0]], f"one of {', '.join(KEYS)}")
    names = values.get("environments", [])
    if not isinstance(names, list) or not all(isinstance(n, str) and n for n in names):
        raise SettingsError("environments", names, "a list of environment names (environments/<name>.toml)")
    if len(set(names)) != len(names):
        raise SettingsError("environments", names, "each environment once")
    for key in ("github_repository", "oidc_provider_arn"):
        if not isinstance(values.get(key, ""), str):
            raise SettingsError(key, values[key], "a string")
    return tuple(names)
