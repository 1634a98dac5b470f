"""`make environments`: every environment of the repository (``environments/*.toml``), its
stack, its template and where it is pinned (``[target]``).  Offline.

``FORMAT=json`` lists only the pinned ones, the environments a pipeline may deploy (one
job each; ``make deploy ENV=<name>`` checks the account itself): a JSON array of objects
with ``name``, ``stack``, ``template``, ``account_id``, ``region``, and the ARNs of the roles
out/mwaa-ci-roles.yaml makes for it in that account, ``deploy_role_arn`` and
``cloudformation_role_arn`` (null when pipeline.toml does not name the environment).
"""

from __future__ import annotations

import json
from pathlib import Path

from templates.pipeline import cloudformation_role_name, deploy_role_name, environment_names, role_arn

from .console import table
from .errors import UsageError
from .inputs import ENV_LABEL, from_toml, target
from .overrides import default_template

PIPELINE = Path("pipeline.toml")


def in_pipeline() -> tuple[str, ...]:
    """The environments pipeline.toml gives CI roles (none without the file)."""
    return from_toml(PIPELINE, environment_names) if PIPELINE.is_file() else ()


def listing() -> list[dict[str, str | None]]:
    rows = []
    roles = in_pipeline()
    for settings_file in sorted(Path("environments").glob("*.toml")):
        env = settings_file.stem
        if not ENV_LABEL.fullmatch(env):  # a pipeline passes the name on as ENV
            raise UsageError(f"{settings_file}: the name is not an environment label (1-64 letters, digits, . _ -)")
        pin = target(env)
        rows.append(
            {
                "name": env,
                "stack": f"mwaa-{env}",
                "template": str(default_template(env)),
                "account_id": pin.account_id if pin else None,
                "region": pin.region if pin else None,
                "deploy_role_arn": role_arn(deploy_role_name(env), pin) if pin and env in roles else None,
                "cloudformation_role_arn": (
                    role_arn(cloudformation_role_name(env), pin) if pin and env in roles else None
                ),
            }
        )
    return rows


def run(form: str) -> int:
    rows = listing()
    if form == "json":
        print(json.dumps([row for row in rows if row["account_id"]], indent=2))
        return 0
    shown = [(r["name"], r["stack"], r["template"], r["account_id"] or "not pinned", r["region"] or "") for r in rows]
    print(table(shown, ("Environment", "Stack", "Template", "Account", "Region")))
    return 0
