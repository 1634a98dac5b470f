#!/usr/bin/env python3
"""Regenerate the Airflow option lists the build checks ``airflow_configuration_options``
against (``templates/airflow_config/``), from the project's own Airflow installs.

Run with each Airflow venv's interpreter (``make airflow-options`` does both):

    .venv-airflow/bin/python scripts/airflow_options.py    # options-3.3.1.txt, airflow-3-changes.json
    .venv-airflow2/bin/python scripts/airflow_options.py   # options-2.11.2.txt

The options are Airflow's own configuration description with the installed providers'
(``retrieve_configuration_description(include_providers=True)``), then the old names the
version still honours (``conf.deprecated_options``, as ``old = new``); the changes are the
removals and renames of ``airflow config lint`` (``config_command.CONFIGS_CHANGES``), the
table Airflow itself uses to tell a user what Airflow 3 removed or moved.  Options whose
change depends on their value (new defaults, invalid values) are left out.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "templates" / "airflow_config"


def main() -> None:
    os.environ.setdefault("AIRFLOW_HOME", os.path.join(os.environ.get("TMPDIR", "/tmp"), "mwaa-stack-options"))
    import airflow
    from airflow.configuration import retrieve_configuration_description

    description = retrieve_configuration_description(include_airflow=True, include_providers=True)
    from airflow.configuration import conf

    options = sorted(f"{section}.{key}" for section, body in description.items() for key in body.get("options", {}))
    # Old names this version still honours, with a deprecation warning: accepted, not refused.
    aliases = sorted(f"{old[0]}.{old[1]} = {new[0]}.{new[1]}" for new, old in conf.deprecated_options.items())
    options += aliases
    OUT.mkdir(exist_ok=True)
    path = OUT / f"options-{airflow.__version__}.txt"
    header = f"# Airflow {airflow.__version__}'s options and its providers' (scripts/airflow_options.py)\n"
    path.write_text(header + "\n".join(options) + "\n", encoding="utf-8")
    print(f"wrote {path} ({len(options)} options)")
    if int(airflow.__version__.split(".")[0]) < 3:
        return
    from airflow.cli.commands.config_command import CONFIGS_CHANGES

    changes: dict[str, str] = {}
    for change in CONFIGS_CHANGES:
        key = f"{change.config.section}.{change.config.option}"
        if change.renamed_to is not None:
            changes[key] = f"moved to {change.renamed_to.section}.{change.renamed_to.option} in Airflow 3"
        elif change.was_removed and not change.default_change and change.remove_if_equals is None:
            changes[key] = ("removed in Airflow 3" + (f"; {change.suggestion}" if change.suggestion else "")).strip()
    path = OUT / "airflow-3-changes.json"
    path.write_text(json.dumps(changes, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {path} ({len(changes)} removed or moved options)")


if __name__ == "__main__":
    sys.exit(main())
