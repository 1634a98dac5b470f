"""The floor every AWS call stands on: one session, bounded clients, the one bounded wait
(``wait_for``), the AWS CLI in the background, and what boto3 raises said in one line.
The services' own access layers (``cloudformation``, ``mwaa``) stand on it."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from templates.target import Target

from .errors import OpsError, UsageError

T = TypeVar("T")

MAX_ATTEMPTS = 3  # botocore's standard retry mode: throttling and transient errors, with backoff


@dataclass(frozen=True)
class Timeouts:
    """Bounds on every wait, in seconds.

    ``connect`` and ``read`` apply to each HTTP request (boto3, the AWS CLI, the Airflow
    CLI endpoint); ``total`` bounds a whole long operation (a stack create, update or
    delete, an `aws` CLI run, waiting for the environment, following logs); ``poll`` is
    how often our own waits ask again.
    """

    connect: float = 5
    read: float = 30
    total: float = 90 * 60
    poll: float = 15

    def waiter(self, delay: int) -> dict[str, int]:
        """A botocore WaiterConfig polling every ``delay`` seconds for at most ``total``."""
        return {"Delay": delay, "MaxAttempts": max(1, int(self.total // delay))}


class GaveUp(OpsError):
    """A wait reached its bound (TIMEOUT)."""


def wait_for(check: Callable[[], T | None], what: str, timeouts: Timeouts) -> T:
    """Call ``check`` every ``poll`` seconds until it answers something, for at most ``total``;
    past that, :class:`GaveUp` in one line saying what was waited for.  The one bounded wait:
    every loop that waits on AWS or Airflow goes through it."""
    deadline = time.monotonic() + timeouts.total
    while True:
        answer = check()
        if answer is not None:
            return answer
        if time.monotonic() + timeouts.poll > deadline:
            raise GaveUp(f"gave up waiting for {what} after {timeouts.total:g} s (TIMEOUT=... waits longer)")
        time.sleep(timeouts.poll)


class Aws:
    """boto3 clients and AWS CLI runs that share one region, profile and set of timeouts."""

    def __init__(self, region: str | None, profile: str | None, timeouts: Timeouts) -> None:
        import boto3
        from botocore.config import Config
        from botocore.exceptions import BotoCoreError

        self.profile = profile or None
        self.timeouts = timeouts
        try:
            self.session = boto3.Session(profile_name=self.profile, region_name=region or None)
        except BotoCoreError as err:  # ProfileNotFound and friends
            raise OpsError(str(err)) from None
        if not self.session.region_name:
            raise OpsError("no AWS region: set REGION=... (or AWS_REGION / a profile with a region)")
        self.region: str = self.session.region_name
        if self.session.get_credentials() is None:
            raise OpsError("no AWS credentials: set PROFILE=... or configure AWS_PROFILE / AWS_ACCESS_KEY_ID")
        attempts = int(os.environ.get("AWS_MAX_ATTEMPTS") or MAX_ATTEMPTS)
        self.config = Config(
            connect_timeout=timeouts.connect,
            read_timeout=timeouts.read,
            retries={"mode": "standard", "total_max_attempts": attempts},
        )
        self._clients: dict[str, Any] = {}

    def client(self, service: str) -> Any:
        if service not in self._clients:
            self._clients[service] = self.session.client(service, config=self.config)
        return self._clients[service]

    def _cli_command(self, args: tuple[str, ...]) -> list[str]:
        command = [
            sys.executable,
            "-m",
            "awscli",
            *args,
            "--region",
            self.region,
            "--cli-connect-timeout",
            str(int(self.timeouts.connect)),
            "--cli-read-timeout",
            str(int(self.timeouts.read)),
        ]
        return [*command, "--profile", self.profile] if self.profile else command

    def cli_in_background(self, *args: str) -> Background:
        """The AWS CLI (v1, from this venv) with the same region, profile and bounds, left
        running while the caller shows progress; its output is handed back at the end."""
        return Background(self._cli_command(args), self.timeouts.total, self._too_long(args))

    def _too_long(self, args: tuple[str, ...]) -> str:
        bound = int(self.timeouts.total)
        return f"`aws {' '.join(args[:2])}` did not finish within {bound} s (TIMEOUT=... raises the bound)"


def check_target(aws: Aws, env: str, target: Target) -> None:
    """Refuse, before anything else is sent, credentials of another account than
    ``environments/<env>.toml`` pins (``[target]``); the session is in the pinned region
    already (``inputs.region_of``)."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        account = aws.client("sts").get_caller_identity()["Account"]
    except (BotoCoreError, ClientError) as err:
        raise OpsError(f"cannot tell which account these credentials are for: {describe(err)}") from None
    if account != target.account_id:
        raise UsageError(
            f"these credentials are for account {account}; environment {env} is pinned to account "
            f"{target.account_id} (environments/{env}.toml [target]): nothing sent"
        )


class Background:
    """A command running while we watch; its output is kept in unlinked temporary files (not
    interleaved with ours) and handed back by :meth:`result`."""

    def __init__(self, command: list[str], bound: float, too_long: str) -> None:
        import tempfile

        self._descriptors = []
        for _ in range(2):
            descriptor, path = tempfile.mkstemp(prefix="mwaa-stack-aws-")
            os.unlink(path)
            self._descriptors.append(descriptor)
        self._process = subprocess.Popen(
            command,
            env={**os.environ, "AWS_RETRY_MODE": "standard"},
            stdin=subprocess.DEVNULL,
            stdout=self._descriptors[0],
            stderr=self._descriptors[1],
        )
        self._deadline = time.monotonic() + bound
        self._too_long = too_long

    def finished(self) -> bool:
        if self._process.poll() is not None:
            return True
        if time.monotonic() > self._deadline:
            self._process.kill()
            self._process.wait()
            raise OpsError(self._too_long)
        return False

    def result(self) -> subprocess.CompletedProcess[str]:
        code = self._process.wait()
        texts = []
        for descriptor in self._descriptors:
            os.lseek(descriptor, 0, os.SEEK_SET)
            chunks = []
            while chunk := os.read(descriptor, 65536):
                chunks.append(chunk)
            os.close(descriptor)
            texts.append(b"".join(chunks).decode(errors="replace"))
        return subprocess.CompletedProcess(self._process.args, code, texts[0], texts[1])


def describe(error: Exception) -> str:
    """One line for anything boto3 raises, naming the endpoint when it could not be reached."""
    from botocore.exceptions import (
        ClientError,
        ConnectTimeoutError,
        EndpointConnectionError,
        NoCredentialsError,
        ReadTimeoutError,
        WaiterError,
    )

    if isinstance(error, ClientError):
        info = error.response.get("Error", {})
        return f"{error.operation_name}: {info.get('Code')}: {info.get('Message')}"
    if isinstance(error, ReadTimeoutError):
        return (
            f"{error.kwargs.get('endpoint_url')} accepted the connection but did not answer within the read "
            "timeout (READ_TIMEOUT=... raises it)"
        )
    if isinstance(error, ConnectTimeoutError):
        return f"cannot connect to {error.kwargs.get('endpoint_url')} within the connect timeout (CONNECT_TIMEOUT=...)"
    if isinstance(error, EndpointConnectionError):
        return f"cannot reach {error.kwargs.get('endpoint_url')}: is the network (or the emulator) up?"
    if isinstance(error, NoCredentialsError):
        return "no AWS credentials: set PROFILE=... or configure AWS_PROFILE / AWS_ACCESS_KEY_ID"
    if isinstance(error, WaiterError):
        return f"gave up waiting: {error} (TIMEOUT=... raises the bound)"
    return f"{type(error).__name__}: {error}"
