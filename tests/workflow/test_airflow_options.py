"""The option lists the build checks airflow_configuration_options against are this
Airflow's own: regenerated here from the installed Airflow, byte for byte."""

from __future__ import annotations

from scripts.airflow_options import outputs


def test_the_vendored_option_lists_are_this_airflows():
    for path, text in outputs().items():
        assert path.read_text(encoding="utf-8") == text, f"{path.name} is stale: run make airflow-options"
