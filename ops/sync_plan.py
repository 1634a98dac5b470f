"""What `make sync` reads and decides, without AWS: which local files may be uploaded
(``local_files``, ``zip_folder``), where each optional file goes (``target_key``),
which object versions change through the stack or the MWAA API (``plan_bumps``), and
what ``DELETE`` removes (``stale_keys``)."""

from __future__ import annotations

import hashlib
import io
import os
import stat
import zipfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from templates.catalogue import REQUIREMENTS, S3_FILES, S3File

from .errors import UsageError
from .text import printable

# Never uploaded, at any depth: caches silently; hidden files and folders (.git, .env,
# .venv, .idea...), virtual environments, node_modules and editor folders with a line each,
# since MWAA would parse every .py under them and a .env may hold a secret.
CACHE_FOLDERS = frozenset({"__pycache__"})
CACHE_FILES = frozenset({"Thumbs.db"})
CACHE_SUFFIXES = (".pyc", ".pyo")
KEPT_HIDDEN = frozenset({".airflowignore"})
TOOL_FOLDERS = frozenset({"node_modules", "site-packages"})
DIGEST_KEY = "sha256"  # user metadata: x-amz-meta-sha256
DAG_SUFFIXES = (".py", ".zip")


def local_files(folder: Path, label: str, quiet: bool = False) -> dict[str, Path]:
    """Relative POSIX path -> file, for every file of ``folder`` a sync may upload; each
    skipped hidden file, folder or virtual environment said once (unless ``quiet``)."""
    root = Path(os.path.realpath(folder))
    if (root / ".git").exists():
        raise UsageError(
            f"{label}: {folder} is the root of a git repository (it holds .git); name the folder of DAGs inside it"
        )
    found: dict[str, Path] = {}
    refused: list[str] = []

    def skip(path: Path, why: str) -> None:
        if not quiet:
            print(f"skipped: {label}/{printable(path.relative_to(root).as_posix())} ({why}; never uploaded)")

    for directory, folders, files in os.walk(root, followlinks=False):
        here = Path(directory)
        for name in sorted(folders):
            path = here / name
            if name in CACHE_FOLDERS:
                folders.remove(name)
            elif not _safe_name(name):
                folders.remove(name)
                refused.append(f"{_shown_name(path.relative_to(root).as_posix())} (a name MWAA cannot take)")
            elif name.startswith(".") or name in TOOL_FOLDERS or (path / "pyvenv.cfg").exists():
                folders.remove(name)
                skip(path, "a virtual environment" if (path / "pyvenv.cfg").exists() else "a hidden or tool folder")
            elif path.is_symlink():
                folders.remove(name)  # a link to a folder is never followed: no cycles, no copies
                if not _inside(path, root):
                    refused.append(f"{path.relative_to(root)} -> {os.readlink(path)}")
                else:
                    print(f"skipped: {label}/{path.relative_to(root).as_posix()} (a link to a folder; not followed)")
        for name in sorted(files):
            path = here / name
            if name in CACHE_FILES or name.endswith(CACHE_SUFFIXES) or name == ".DS_Store":
                continue
            relative = path.relative_to(root).as_posix()
            if not _safe_name(name):
                refused.append(f"{_shown_name(relative)} (a name MWAA cannot take)")
                continue
            if name.startswith(".") and name not in KEPT_HIDDEN:
                skip(path, "a hidden file")
                continue
            if path.is_symlink() and (not _inside(path, root) or not path.exists()):
                refused.append(f"{relative} -> {os.readlink(path)}")
            elif not stat.S_ISREG(path.stat().st_mode):
                refused.append(f"{relative} (not a regular file)")
            else:
                found[relative] = path
    if refused:
        raise UsageError(
            f"{label}: refusing links that leave {folder} or point nowhere, special files, and names that are "
            "not UTF-8 or hold control characters (nothing was uploaded): " + "; ".join(sorted(refused))
        )
    return dict(sorted(found.items()))


def _shown_name(name: str) -> str:
    """A file name as its bytes say it: undecodable bytes as \\xNN, controls escaped."""
    return printable(os.fsencode(name).decode("utf-8", errors="backslashreplace"))


def _safe_name(name: str) -> bool:
    """UTF-8 (os.walk hands undecodable bytes over as surrogates) and no control characters."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return printable(name) == name


def _inside(path: Path, root: Path) -> bool:
    real = os.path.realpath(path)
    return real == str(root) or real.startswith(str(root) + os.sep)


def zip_folder(folder: Path) -> bytes:
    """plugins.zip with fixed timestamps and modes: the same files give the same bytes."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for relative, path in local_files(folder, "PLUGINS").items():
            info = zipfile.ZipInfo(relative, date_time=(1980, 1, 1, 0, 0, 0))
            info.external_attr = 0o644 << 16
            archive.writestr(info, path.read_bytes(), zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


def digest(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


# --- the plan: pure -------------------------------------------------------------------------


@dataclass(frozen=True)
class FileState:
    """One optional file after its upload: the newest object and the one the environment uses."""

    file: S3File
    key: str
    latest_version: str
    latest_digest: str
    in_use_version: str | None = None
    in_use_digest: str | None = None  # None: the object in use carries no digest

    @property
    def pointed_version(self) -> str:
        """The version the environment uses once the sync has pointed it (same content keeps its own)."""
        return self.latest_version if self.changed else str(self.in_use_version)

    @property
    def changed(self) -> bool:
        if self.in_use_version is None:
            return True
        if self.in_use_version == self.latest_version:
            return False
        return self.latest_digest != self.in_use_digest


def target_key(file: S3File, managed: Mapping[str, str], environment: Mapping[str, Any], dag_path: str) -> str:
    """Where ``file`` goes: the key the template names, else the one the environment already
    uses, else the default (requirements beside the DAGs)."""
    if file.name in managed:
        return managed[file.name]
    current = environment.get(file.path_property)
    if current:
        return str(current)
    return f"{dag_path}/requirements.txt" if file is REQUIREMENTS else file.default_key


def dag_folder(environment: Mapping[str, Any]) -> str:
    """The environment's DAG folder in its bucket, without slashes at either end."""
    return str(environment.get("DagS3Path") or "dags").strip("/")


def in_use_version(file: S3File, key: str, environment: Mapping[str, Any]) -> str | None:
    """The object version of ``key`` the environment uses for ``file``, if it uses that key."""
    return environment.get(file.version_property) if environment.get(file.path_property) == key else None


def plan_bumps(states: Iterable[FileState], managed: Mapping[str, str]) -> tuple[dict[str, str], dict[str, str]]:
    """Which object versions change: (stack parameter -> version, MWAA property -> value).

    A file the template names is bumped through its stack parameter, so CloudFormation stays
    the source of truth; any other file through the MWAA API (drift detection reports it).
    """
    through_stack: dict[str, str] = {}
    through_api: dict[str, str] = {}
    for state in states:
        if not state.changed:
            continue
        if state.file.name in managed:
            through_stack[state.file.version_property] = state.latest_version
        else:
            through_api[state.file.path_property] = state.key
            through_api[state.file.version_property] = state.latest_version
    return through_stack, through_api


def stale_keys(remote: Iterable[str], uploaded: Iterable[str], protected: Iterable[str]) -> tuple[list[str], list[str]]:
    """(keys to delete, keys kept because the environment reads them)."""
    gone = sorted(set(remote) - set(uploaded))
    keep = set(protected)
    return [k for k in gone if k not in keep], [k for k in gone if k in keep]


def managed_paths(template: Mapping[str, Any], parameters: Iterable[str]) -> dict[str, str]:
    """Files the deployed template names itself (it has their version parameter): name -> key."""
    declared = set(parameters)
    environment = next(
        (
            r.get("Properties", {})
            for r in template.get("Resources", {}).values()
            if r.get("Type") == "AWS::MWAA::Environment"
        ),
        {},
    )
    paths = {}
    for file in S3_FILES:
        path = environment.get(file.path_property)
        if file.version_property in declared and path is not None:
            # If(Has<Name>Version, "key", NoValue) or a plain key
            paths[file.name] = path["Fn::If"][1] if isinstance(path, dict) and "Fn::If" in path else path
    return paths
