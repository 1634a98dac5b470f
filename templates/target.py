"""Where an environment deploys: ``[target]`` in ``environments/<name>.toml``, the AWS account
and region its stack belongs to.  Not a template setting (the template deploys anywhere):
build.py checks it and leaves it out of the settings; ``ops`` refuses every command that
talks to AWS for that environment with credentials of another account, or in another region.

    [target]
    account_id = "123456789012"
    region = "eu-west-1"
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .errors import SettingsError

ACCOUNT_ID = re.compile(r"[0-9]{12}")
REGION = re.compile(r"[a-z]{2}(-[a-z0-9]+)+-[0-9]{1,2}")  # an AWS Region name: eu-west-1, us-gov-east-1
KEYS = ("account_id", "region")


@dataclass(frozen=True)
class Target:
    account_id: str
    region: str


def split_target(values: dict[str, object]) -> tuple[dict[str, object], Target | None]:
    """The settings without ``target``, and the checked target (None when there is none)."""
    if "target" not in values:
        return values, None
    settings = {k: v for k, v in values.items() if k != "target"}
    table = values["target"]
    if not isinstance(table, dict):
        raise SettingsError("target", table, "a table: [target] with account_id and region")
    if set(table) != set(KEYS):
        raise SettingsError("target", table, "account_id and region, both, nothing else")
    account, region = table["account_id"], table["region"]
    if not isinstance(account, str) or not ACCOUNT_ID.fullmatch(account):
        raise SettingsError("target.account_id", account, "an AWS account id: 12 digits, quoted")
    if not isinstance(region, str) or not REGION.fullmatch(region):
        raise SettingsError("target.region", region, "an AWS Region name such as eu-west-1")
    return settings, Target(account, region)
