"""``make mwaa-images [VERSIONS="3.2.1 2.10.3"]``: build MWAA's image of each Airflow version as
preflight's venv (default: the versions the project's own venvs pin), before an offline run."""

from __future__ import annotations

import os
import sys

from templates.catalogue import AIRFLOW_VERSIONS

from ..errors import OpsError
from ..text import printable
from . import _say
from .venvs import parser, pinned_versions


def main() -> int:
    asked = os.environ.get("MWAA_STACK_VERSIONS", "").split() or pinned_versions()
    unknown = [v for v in asked if v not in AIRFLOW_VERSIONS]
    if unknown:
        print(
            f"mwaa-stack: error: VERSIONS: {' '.join(unknown)!r}: MWAA supports {', '.join(AIRFLOW_VERSIONS)}",
            file=sys.stderr,
        )
        return 2
    try:
        for version in asked:
            parser(version, [], [], "", 30 * 60.0, _say)
    except OpsError as err:  # what pip or uv said: outside text
        print(f"mwaa-stack: error: {printable(str(err))}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
