#!/usr/bin/env python3
"""Refresh ``vendor/mwaa/``: what MWAA installs for each Airflow version it supports, copied
from AWS's own sources, with each file's source and SHA-256 in ``vendor/mwaa/SOURCES.json``.

Per version, ``vendor/mwaa/<version>/`` holds

* ``airflow_constraints.txt``: the constraints MWAA applies to ``requirements.txt`` when it
  names none (the image's ``AIRFLOW_CONSTRAINTS_FILE``: Airflow's own file for that version
  and Python, copied into the image);
* ``mwaa_essential_constraints.txt``: the pins MWAA applies to every user install, whatever
  the requirements say (``safe-pip-install``); the images have it from 2.9.2 on, the old
  local runner (2.7.2, 2.8.1) has none;
* ``preinstalled.txt``: what the image installs before the user's requirements (the
  bootstrap's ``REQUIRED_PACKAGES``; for the local runner, its bootstrap's packages and
  ``mwaa-base-providers-requirements.txt``), resolved against the constraints above.

Sources: aws/amazon-mwaa-docker-images (``images/airflow/<v>/etc/`` and
``images/airflow/<v>/bootstrap/02-airflow/001-install-required-pip-packages.sh``) for
2.9.2 and later; aws/aws-mwaa-local-runner, branch ``v<version>`` (``docker/config/``,
``docker/script/bootstrap.sh``) for 2.7.2 and 2.8.1.  Read from git checkouts (the
search tool's ``fetch`` brings them; no network needed) or, with ``--download``, from
raw.githubusercontent.com:

    python scripts/mwaa_constraints.py --images PATH/TO/amazon-mwaa-docker-images.git \\
        --runner PATH/TO/aws-mwaa-local-runner.git
    python scripts/mwaa_constraints.py --download
    python scripts/mwaa_constraints.py --check     # the files match SOURCES.json (the test does this)
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import subprocess
import sys
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from templates.catalogue import AIRFLOW_VERSIONS, version_key  # noqa: E402

VENDOR = ROOT / "vendor" / "mwaa"
IMAGES = "aws/amazon-mwaa-docker-images"
RUNNER = "aws/aws-mwaa-local-runner"
# The images repository starts at Airflow 2.9; older versions live on the local runner's branches.
IMAGES_SINCE = (2, 9)
REQUIRED = re.compile(r"^REQUIRED_PACKAGES=\(\n(.*?)\n\)", re.MULTILINE | re.DOTALL)
# What the local runner's bootstrap.sh installs with pip besides its providers file; each
# must still appear in the script, or the refresh stops.
RUNNER_PACKAGES = {
    "apache-airflow[celery,statsd]=={version}": 'apache-airflow[celery,statsd"${AIRFLOW_DEPS',
    "celery[sqs]": "pip3 install $PIP_OPTION celery[sqs]",
    "psycopg2": "pip3 install $PIP_OPTION psycopg2",
}


class Source:
    """One repository at one revision: a git checkout, or GitHub over HTTPS."""

    def __init__(self, repo: str, git_dir: str | None):
        self.repo, self.git_dir = repo, git_dir

    def revision(self, ref: str) -> str:
        if self.git_dir is None:
            return ref
        return self._git("rev-parse", ref).strip()

    def read(self, ref: str, path: str) -> str:
        if self.git_dir is None:
            url = f"https://raw.githubusercontent.com/{self.repo}/{ref}/{path}"
            with urllib.request.urlopen(url, timeout=30) as response:
                return response.read().decode("utf-8")
        return self._git("show", f"{ref}:{path}")

    def _git(self, *args: str) -> str:
        return subprocess.run(
            ["git", "--git-dir", self.git_dir, *args], capture_output=True, text=True, check=True, timeout=60
        ).stdout


def image_files(source: Source, version: str) -> dict[str, tuple[str, str]]:
    """name -> (text, path in the repository) for one version of the images."""
    base = f"images/airflow/{version}"
    bootstrap = f"{base}/bootstrap/02-airflow/001-install-required-pip-packages.sh"
    script = source.read("HEAD" if source.git_dir else "main", bootstrap)
    listed = REQUIRED.search(script)
    if listed is None:
        raise SystemExit(f"{bootstrap}: no REQUIRED_PACKAGES array")
    packages = [line.strip().strip('"') for line in listed.group(1).splitlines() if line.strip()]
    packages = [p.replace("${AIRFLOW_VERSION}", version) for p in packages]
    ref = "HEAD" if source.git_dir else "main"
    etc = {name: f"{base}/etc/{name}" for name in ("airflow_constraints.txt", "mwaa_essential_constraints.txt")}
    return {
        **{name: (source.read(ref, path), path) for name, path in etc.items()},
        "preinstalled.txt": (_listing(packages, f"{IMAGES} {bootstrap}, REQUIRED_PACKAGES"), bootstrap),
    }


def runner_files(source: Source, version: str) -> dict[str, tuple[str, str]]:
    ref = f"v{version}"
    bootstrap = source.read(ref, "docker/script/bootstrap.sh")
    missing = [seen for seen in RUNNER_PACKAGES.values() if seen not in bootstrap]
    if missing:
        raise SystemExit(f"{RUNNER} v{version} docker/script/bootstrap.sh no longer has: {', '.join(missing)}")
    packages = [p.format(version=version) for p in RUNNER_PACKAGES]
    providers = source.read(ref, "docker/config/mwaa-base-providers-requirements.txt").split()
    return {
        "airflow_constraints.txt": (source.read(ref, "docker/config/constraints.txt"), "docker/config/constraints.txt"),
        "preinstalled.txt": (
            _listing(
                packages + providers,
                f"{RUNNER} branch v{version}: docker/script/bootstrap.sh and "
                "docker/config/mwaa-base-providers-requirements.txt",
            ),
            "docker/script/bootstrap.sh",
        ),
    }


def _listing(packages: list[str], source: str) -> str:
    return f"# What MWAA's image installs before the user's requirements.\n# Source: {source}\n" + "".join(
        f"{p}\n" for p in packages
    )


def digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def refresh(images: Source, runner: Source) -> None:
    sources: dict[str, dict] = {}
    for version in AIRFLOW_VERSIONS:
        if version_key(version) < IMAGES_SINCE:
            files, repo, ref = runner_files(runner, version), RUNNER, runner.revision(f"v{version}")
        else:
            files, repo, ref = image_files(images, version), IMAGES, images.revision("HEAD")
        folder = VENDOR / version
        folder.mkdir(parents=True, exist_ok=True)
        for stale in set(p.name for p in folder.iterdir()) - set(files):
            (folder / stale).unlink()
        entry: dict[str, dict] = {}
        for name, (text, path) in sorted(files.items()):
            (folder / name).write_text(text, encoding="utf-8")
            entry[name] = {"from": f"{repo}@{ref} {path}", "sha256": digest(text)}
        sources[version] = entry
    (VENDOR / "SOURCES.json").write_text(json.dumps(sources, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {VENDOR.relative_to(ROOT)}/ for {', '.join(AIRFLOW_VERSIONS)}")


def check() -> list[str]:
    """What differs from SOURCES.json: a version without files, a file changed or missing."""
    recorded = json.loads((VENDOR / "SOURCES.json").read_text(encoding="utf-8"))
    wrong = [f"{v}: not vendored" for v in AIRFLOW_VERSIONS if v not in recorded]
    for version, files in recorded.items():
        for name, entry in files.items():
            path = VENDOR / version / name
            if not path.is_file():
                wrong.append(f"{version}/{name}: missing")
            elif digest(path.read_text(encoding="utf-8")) != entry["sha256"]:
                wrong.append(f"{version}/{name}: differs from {entry['from']}")
    return wrong


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--images", help=f"a git directory of {IMAGES}")
    parser.add_argument("--runner", help=f"a git directory of {RUNNER}")
    parser.add_argument("--download", action="store_true", help="read from raw.githubusercontent.com")
    parser.add_argument("--check", action="store_true", help="compare the files with SOURCES.json")
    args = parser.parse_args()
    if args.check:
        wrong = check()
        print("\n".join(wrong) or "vendor/mwaa: every file matches SOURCES.json")
        return 1 if wrong else 0
    if not args.download and not (args.images and args.runner):
        parser.error("give --images and --runner, or --download")
    refresh(Source(IMAGES, args.images), Source(RUNNER, args.runner))
    return 0


if __name__ == "__main__":
    sys.exit(main())
