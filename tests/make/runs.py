"""Helpers of the end-to-end tests: the real Makefile targets run as a user runs them, a
boto3 client on the emulator to look at what they did, and the error lines they print."""

from __future__ import annotations

import os
import pty
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import boto3

from tests.mwaa_files import ROOT

REGION = "eu-west-1"
STACK = "mwaa-test"


def base_env(tmp: Path) -> dict[str, str]:
    """No real profile, no instance metadata, nothing but what the test sets; and no way
    out: every address but 127.0.0.1 goes to a proxy on a closed local port, so a URL
    in a file under test (a --constraint line) is unreachable instead of fetched."""
    keep = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR")}
    dead_proxy = f"http://127.0.0.1:{closed_port()}"
    return {
        **keep,
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "AWS_EC2_METADATA_DISABLED": "true",
        "HOME": str(tmp),
        "https_proxy": dead_proxy,
        "http_proxy": dead_proxy,
        "no_proxy": "127.0.0.1,localhost",
    }


def copy_project(into: Path, files: tuple[str, ...] = (), folders: tuple[str, ...] = ()) -> Path:
    """A copy of the project's Makefile, build.py and pins (their times kept, so make does not
    rebuild a linked venv), and of ``files`` and ``folders``, in the new folder ``into``."""
    into.mkdir()
    for name in ("Makefile", "build.py", *(p.name for p in ROOT.glob("requirements*")), *files):
        shutil.copy2(ROOT / name, into / name)
    for folder in folders:
        shutil.copytree(ROOT / folder, into / folder, ignore=shutil.ignore_patterns("__pycache__"))
    return into


def build(*args: str, cwd: Path = ROOT) -> None:
    """``python build.py ARGS`` in ``cwd`` (the repository, or a copy of it); it must succeed."""
    done = subprocess.run([sys.executable, "build.py", *args], cwd=cwd, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr


def make(env: dict[str, str], target: str, *, project: Path = ROOT, **variables: str) -> subprocess.CompletedProcess:
    """``make target`` in ``project`` (the repository, or a copy of it) as a user types it."""
    command = [
        "make",
        "--no-print-directory",
        target,
        f"STACK_NAME={STACK}",
        "ENV=test",
        *(f"{k}={v}" for k, v in variables.items()),
    ]
    return subprocess.run(
        command, cwd=project, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=300
    )


def client(env: dict[str, str], service: str):
    return boto3.client(
        service,
        region_name=REGION,
        endpoint_url=env["AWS_ENDPOINT_URL"],
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def error_lines(result: subprocess.CompletedProcess) -> list[str]:
    assert "Traceback" not in result.stderr, result.stderr
    return [line for line in result.stderr.splitlines() if line.startswith("mwaa-stack: error:")]


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def destroy_at_a_terminal(env: dict[str, str], typed: bytes) -> tuple[int, str, str]:
    """make destroy with a terminal as its standard input, ``typed`` at its prompt."""
    controller, terminal = pty.openpty()
    try:
        proc = subprocess.Popen(
            ["make", "--no-print-directory", "destroy", f"STACK_NAME={STACK}", "ENV=test"],
            cwd=ROOT,
            env=env,
            stdin=terminal,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        os.write(controller, typed)
        out, err = proc.communicate(timeout=120)
    finally:
        os.close(controller)
        os.close(terminal)
    return proc.returncode, out, err


def sync(env: dict[str, str], dags: Path, **variables: str) -> subprocess.CompletedProcess:
    """make sync without its preflight (tests/make/test_preflight.py proves sync runs it): for
    what sync itself uploads and refuses; the preflight would add seconds to each.  The test's
    own plugins and startup script beside ``dags`` when it made them (a path named must exist)."""
    variables.setdefault("SKIP_PREFLIGHT", "1")
    for name, beside in (("PLUGINS", dags.parent / "plugins"), ("STARTUP", dags.parent / "startup.sh")):
        if beside.exists():
            variables.setdefault(name, str(beside))
    return make(env, "sync", DAGS=str(dags), **variables)


def bucket_of(env: dict[str, str], stack: str = STACK) -> str:
    """The stack's EnvironmentBucketName output."""
    [described] = client(env, "cloudformation").describe_stacks(StackName=stack)["Stacks"]
    return {o["OutputKey"]: o["OutputValue"] for o in described["Outputs"]}["EnvironmentBucketName"]


def keys(env: dict[str, str], bucket: str, releases: bool = False) -> list[str]:
    """Every key in ``bucket``, sorted; the release records (releases/) only with ``releases``."""
    found = sorted(o["Key"] for o in client(env, "s3").list_objects_v2(Bucket=bucket).get("Contents", []))
    return [k for k in found if releases or not k.startswith("releases/")]
