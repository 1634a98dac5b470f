"""Fixtures of the end-to-end tests: the real Makefile targets and AWS CLI against patched
moto (CloudFormation, S3, IAM, EC2) and the MWAA API emulator, both on free 127.0.0.1
ports, started and stopped here: one emulator per pytest-xdist worker, reset for each test."""

from __future__ import annotations

import pytest

from tests.emulator import Emulator
from tests.make.runs import REGION, base_env, make


@pytest.fixture(scope="session")
def emulator(tmp_path_factory):
    with Emulator(REGION, mwaa_folder=tmp_path_factory.mktemp("mwaa-emulator")) as running:
        yield running


@pytest.fixture
def env(emulator, tmp_path) -> dict[str, str]:
    """Environment of a user whose AWS is the emulators: fresh state for each test."""
    emulator.reset()
    # The emulated environment answers at once: ask again after 50 ms, not MWAA's 15 s.
    # and a sync's parse check waits at most 20 s (the emulated environment parses at once,
    # unless a test scripts otherwise), not the environment's default of minutes.
    return {
        **base_env(tmp_path),
        **emulator.client_environment(),
        "MWAA_STACK_POLL": "0.05s",
        "MWAA_STACK_VERIFY_TIMEOUT": "20s",
    }


@pytest.fixture
def mwaa(emulator):
    """The MWAA emulator: its requests, and ``state``, the environments it serves."""
    return emulator.mwaa


@pytest.fixture
def deployed(env):
    result = make(env, "deploy")
    assert result.returncode == 0, result.stdout + result.stderr
    return result
