"""Each patch fixes what it says (the check answers False on patched moto), and each
is still needed (the same check answers True on stock moto: the canary).  A failing
canary after a moto upgrade means: delete that patch and its module's docstring entry."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.emulator.canaries import CANARIES

ROOT = Path(__file__).resolve().parents[2]


def run_checks(*flags: str) -> dict[str, object]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_CONFIG_FILE=os.devnull,
        AWS_SHARED_CREDENTIALS_FILE=os.devnull,
    )
    result = subprocess.run(
        [sys.executable, "-m", "tests.emulator.canaries", *flags],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def stock() -> dict[str, object]:
    return run_checks()


@pytest.fixture(scope="module")
def patched() -> dict[str, object]:
    return run_checks("--patched")


@pytest.mark.parametrize("name", sorted(CANARIES))
def test_stock_moto_still_needs_the_patch(stock, name):
    assert stock[name] is True, f"stock moto now gets {name} right ({stock[name]}): delete that patch"


# The MWAA model refuses the canary's bare environment, as MWAA would (no role, bucket,
# network): the deploy tests in tests/ops prove the model with complete templates.
@pytest.mark.parametrize("name", sorted(set(CANARIES) - {"mwaa.environment"}))
def test_the_patch_fixes_it(patched, name):
    assert patched[name] is False, f"{name}: {patched[name]}"


def test_the_mwaa_model_checks_what_mwaa_checks(patched):
    assert patched["mwaa.environment"] is True, "a bare environment is refused at creation"


LOUD_DELETE = """
import boto3, yaml
from moto import mock_aws
from tests.emulator import patches
patches.apply()
from moto.s3.models import FakeBucket

def broken(self, account_id, region_name):
    raise KeyError("a bug in a patch")

with mock_aws():
    cfn = boto3.client("cloudformation", region_name="eu-west-1")
    body = {"Resources": {"Bucket": {"Type": "AWS::S3::Bucket", "Properties": {"BucketName": "loud"}}}}
    cfn.create_stack(StackName="loud", TemplateBody=yaml.safe_dump(body))
    FakeBucket.delete = broken
    try:
        cfn.delete_stack(StackName="loud")
    except KeyError as err:
        print("raised:", err.args[0])
    else:
        print("hidden")
"""


def test_a_patch_that_raises_during_a_delete_fails_loudly_instead_of_finishing_it():
    result = subprocess.run(
        [sys.executable, "-c", LOUD_DELETE],
        cwd=ROOT,
        env={**os.environ, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.stdout.strip().splitlines()[-1:] == ["raised: a bug in a patch"], result.stdout + result.stderr
