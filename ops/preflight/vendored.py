"""What MWAA installs for each Airflow version, as AWS ships it: ``vendor/mwaa/<version>/``
(copied by ``scripts/mwaa_constraints.py``, each file's source and digest in
``vendor/mwaa/SOURCES.json``).

How MWAA uses them (``images/airflow/<v>/python/mwaa/utils/user_requirements.py`` and
``bin/airflow-user/safe-pip-install`` in aws/amazon-mwaa-docker-images):

    pip3 install --constraint mwaa_essential_constraints.txt -r requirements.txt \\
        [-c airflow_constraints.txt  # only when requirements.txt has no -c/--constraint line]

into an image that already holds ``preinstalled.txt`` resolved against
``airflow_constraints.txt``.  The old local runner (2.7.2, 2.8.1) carries no essential
constraints file; for those two versions only Airflow's own pin is taken as essential, an
assumption (MWAA's service for them is not public), not a fact from a source.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from packaging.utils import canonicalize_name

from templates.catalogue import RELEASES

VENDOR = Path(__file__).resolve().parents[2] / "vendor" / "mwaa"
# Airflow's constraint URL, as the user guide gives it and the images' files name their origin.
AIRFLOW_CONSTRAINTS_URL = re.compile(r"/constraints-(\d+\.\d+\.\d+)/constraints-(\d+\.\d+)\.txt$")


@dataclass(frozen=True)
class Image:
    version: str
    python: str
    folder: Path

    @property
    def constraints(self) -> Path:
        return self.folder / "airflow_constraints.txt"

    @property
    def essential(self) -> Path | None:
        path = self.folder / "mwaa_essential_constraints.txt"
        return path if path.is_file() else None

    @property
    def carrier(self) -> str:
        """Whose files these are: MWAA's image, or the old local runner before it."""
        return "MWAA's image" if self.essential else f"MWAA's local runner (v{self.version})"

    def essential_text(self) -> str:
        return self.essential.read_text(encoding="utf-8") if self.essential else f"apache-airflow=={self.version}\n"

    def preinstalled(self) -> list[str]:
        lines = (self.folder / "preinstalled.txt").read_text(encoding="utf-8").splitlines()
        return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def image(version: str) -> Image:
    return Image(version, RELEASES[version].python, VENDOR / version)


def for_url(url: str) -> Image | None:
    """The vendored copy of an Airflow constraints URL, when MWAA's image for that Airflow
    version runs that Python (the image's file says it was copied from exactly that URL)."""
    match = AIRFLOW_CONSTRAINTS_URL.search(url)
    if match is None or match.group(1) not in RELEASES:
        return None
    found = image(match.group(1))
    return found if found.python == match.group(2) else None


def pins(text: str) -> dict[str, str]:
    """canonical name -> pinned version of every ``name==version`` line (markers dropped)."""
    found = {}
    for raw in text.splitlines():
        name, sep, pinned = raw.split("#", 1)[0].strip().partition("==")
        if sep and name:
            found[canonicalize_name(name.split("[", 1)[0])] = pinned.strip().split(";", 1)[0].strip()
    return found
