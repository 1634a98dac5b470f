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


def airflow_version() -> str:
    import airflow

    return airflow.__version__


def options_text() -> str:
    """The option list of the running Airflow, as ``options-<version>.txt`` holds it."""
    from airflow.configuration import conf, retrieve_configuration_description

    description = retrieve_configuration_description(include_airflow=True, include_providers=True)
    options = sorted(f"{section}.{key}" for section, body in description.items() for key in body.get("options", {}))
    # Old names this version still honours, with a deprecation warning: accepted, not refused.
    options += sorted(f"{old[0]}.{old[1]} = {new[0]}.{new[1]}" for new, old in conf.deprecated_options.items())
    header = f"# Airflow {airflow_version()}'s options and its providers' (scripts/airflow_options.py)\n"
    return header + "\n".join(options) + "\n"


def changes_text() -> str:
    """Airflow 3's removed and moved options, as ``airflow-3-changes.json`` holds them."""
    from airflow.cli.commands.config_command import CONFIGS_CHANGES

    changes: dict[str, str] = {}
    for change in CONFIGS_CHANGES:
        key = f"{change.config.section}.{change.config.option}"
        if change.renamed_to is not None:
            changes[key] = f"moved to {change.renamed_to.section}.{change.renamed_to.option} in Airflow 3"
        elif change.was_removed and not change.default_change and change.remove_if_equals is None:
            changes[key] = ("removed in Airflow 3" + (f"; {change.suggestion}" if change.suggestion else "")).strip()
    return json.dumps(changes, indent=1, sort_keys=True) + "\n"


def outputs() -> dict[Path, str]:
    """File -> text this Airflow install produces."""
    os.environ.setdefault("AIRFLOW_HOME", os.path.join(os.environ.get("TMPDIR", "/tmp"), "mwaa-stack-options"))
    files = {OUT / f"options-{airflow_version()}.txt": options_text()}
    if int(airflow_version().split(".")[0]) >= 3:
        files[OUT / "airflow-3-changes.json"] = changes_text()
    return files


def main() -> None:
    OUT.mkdir(exist_ok=True)
    for path, text in outputs().items():
        path.write_text(text, encoding="utf-8")
        print(f"wrote {path.relative_to(OUT.parents[1])} ({len(text.splitlines())} lines)")


if __name__ == "__main__":
    sys.exit(main())
