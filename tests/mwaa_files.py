"""Files the tests read themselves: MWAA's own (not through ops.preflight.vendored, the code
under test), what a verdict is expected to name; and the project's root."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VENDOR = ROOT / "vendor" / "mwaa"


def mwaa_pin(version: str, package: str) -> str:
    """The version MWAA's image pins ``package`` to, read from AWS's file itself."""
    text = (VENDOR / version / "airflow_constraints.txt").read_text()
    return re.search(rf"^{re.escape(package)}==(\S+)$", text, re.MULTILINE | re.IGNORECASE).group(1)
