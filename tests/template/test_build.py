"""build.py as a user runs it: determinism, --check, bad input."""

from __future__ import annotations

import os
import shutil
import tomllib
from pathlib import Path

import pytest
from cfn_clean import cfn_literal_parser

from templates import emit
from templates.emit import LIBYAML, to_yaml
from templates.settings import from_mapping
from templates.stack import build_template
from templates.target import split_target
from tests.template.conftest import COMMITTED, ROOT, assert_refused, run_build_py

MAX_TEMPLATE_BYTES = 51_200


def test_same_settings_give_byte_identical_yaml(tmp_path: Path) -> None:
    outputs = []
    for seed in ("0", "12345"):
        out = tmp_path / seed
        env = {**os.environ, "PYTHONHASHSEED": seed}
        import subprocess
        import sys

        subprocess.run(
            [sys.executable, str(ROOT / "build.py"), "--out", str(out)], check=True, env=env, capture_output=True
        )
        outputs.append((out / "mwaa.yaml").read_bytes())
    assert outputs[0] == outputs[1] == COMMITTED.read_bytes()
    for name in ("mwaa-dev.yaml", "mwaa-prd.yaml", "mwaa-private.yaml", "mwaa-existing-vpc.yaml"):
        assert (
            (tmp_path / "0" / name).read_bytes()
            == (tmp_path / "12345" / name).read_bytes()
            == (ROOT / "out" / name).read_bytes()
        )


@pytest.mark.parametrize("name", ["mwaa", *sorted(p.stem for p in (ROOT / "environments").glob("*.toml"))])
def test_the_fast_yaml_path_writes_what_troposphere_writes(name: str) -> None:
    """render() skips cfn-flip's ODict round trip; the bytes must not change."""
    values = (
        {} if name == "mwaa" else split_target(tomllib.loads((ROOT / "environments" / f"{name}.toml").read_text()))[0]
    )
    template = build_template(from_mapping(values))
    assert to_yaml(template) == template.to_yaml()


def test_libyaml_and_pure_python_write_the_same_bytes_for_every_variant() -> None:
    """The C emitter plus the sequence indentation pass against PyYAML's own emitter; the
    committed templates take the fast path (a variant may not: its description is longer)."""
    from tests.template.test_variants import MATRIX

    assert LIBYAML, "PyYAML here was built without libyaml: the fast path is not tested"
    environments = sorted((ROOT / "environments").glob("*.toml"))
    committed = [{}, *(split_target(tomllib.loads(p.read_text()))[0] for p in environments)]
    for values in [*committed, *MATRIX.values()]:
        template = build_template(from_mapping(values))
        text = to_yaml(template)
        assert text == to_yaml(template, pure_python=True) == template.to_yaml()
        if values in committed:
            data = cfn_literal_parser(emit._sorted(template.to_dict()))
            assert emit.fast_yaml(data) == text, "a committed template left the fast path"


def test_libyaml_path_on_scalars_and_nestings_the_templates_do_not_have_yet() -> None:
    """What a new resource could bring: sequences in sequences under a key, a block scalar
    whose lines look like keys and items, long and multi-line text, empty lists and maps,
    account ids, tagged scalars with quotes and line breaks, keys that need quoting."""
    from troposphere import AWSObject, Join, Sub, Template

    class Anything(AWSObject):
        resource_type = "Custom::Anything"
        props = {"Data": (object, False)}

    template = Template()
    template.add_resource(
        Anything(
            "Odd",
            Data={
                "Nested": [[["a", "b"], []], {"k": [{"x": ["1", "2"]}, "- not an item"]}],
                "Block": "line: one\n- two\n  three:\n" * 6,
                "Long": "word " * 60,
                "LongBlock": ("x" * 210 + "\n") * 11,
                "Quotes": 'it\'s "quoted": - yes',
                "Account": "012345678901",
                "Leading": "0123",
                "Empty": {},
                "Nothing": [],
                "Tagged": Sub("a\nb ${AWS::Region}"),
                "Joined": Join("", ["x", Sub("it's")]),
                "key: with colon": ["- dash", "#hash", "@at", "yes", "null", "1.0"],
                "Json": '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow"}]}',
                "Unicode": "café ✓",
            },
        )
    )
    assert to_yaml(template) == to_yaml(template, pure_python=True) == template.to_yaml()


def test_a_state_machine_definition_cfn_flip_keeps_as_json_text_is_written_as_troposphere_writes() -> None:
    """cfn-flip writes a state machine's DefinitionString map as JSON text, in sorted order;
    the fast path leaves such a template to PyYAML's path, and the bytes stay troposphere's."""
    from troposphere import AWSObject, Template

    class StateMachine(AWSObject):
        resource_type = "AWS::StepFunctions::StateMachine"
        props = {"DefinitionString": (object, False), "RoleArn": (str, False)}

    template = Template()
    template.add_resource(
        StateMachine("Machine", DefinitionString={"StartAt": "B", "States": {"B": {"Type": "Pass"}}}, RoleArn="r")
    )
    text = to_yaml(template)
    assert text == template.to_yaml()
    assert '"StartAt": "B"' in text  # JSON text, not a YAML map
    assert emit.fast_yaml(template.to_dict()) is None


def test_libyaml_path_on_random_text_at_random_depths() -> None:
    """Words that need quoting, runs of spaces, tabs, line breaks, non-ASCII, trailing spaces,
    at depths and key lengths that make lines wrap: both paths, the same bytes."""
    import random

    from troposphere import AWSObject, Template

    class Anything(AWSObject):
        resource_type = "Custom::Anything"
        props = {"Data": (object, False)}

    pick = random.Random(20261202)
    words = ["a", "bb", "word", "x:y", "#c", "-", "it's", '"q"', "0", "  ", "\t", "é", "- z"]
    for _ in range(1500):
        text = " ".join(pick.choice(words) for _ in range(pick.randint(1, 80)))
        if pick.random() < 0.3:
            text = text.replace(" ", "\n", pick.randint(1, 12))
        if pick.random() < 0.2:
            text += pick.choice([" ", "\n", "\n\n"])
        data: object = {"Key" * pick.randint(1, 6): text}
        for _ in range(pick.randint(0, 5)):
            data = pick.choice([[data], {"Level": data}, [data, text[:20]]])
        template = Template()
        template.add_resource(Anything("Odd", Data=data))
        assert to_yaml(template) == template.to_yaml(), text


def test_template_deploys_without_an_artifacts_bucket() -> None:
    for template in (ROOT / "out").glob("*.yaml"):
        assert len(template.read_bytes()) < MAX_TEMPLATE_BYTES, template.name


def test_check_passes_on_a_fresh_build_and_fails_on_a_stale_file(tmp_path: Path) -> None:
    assert run_build_py("--out", str(tmp_path)).returncode == 0
    ok = run_build_py("--check", "--out", str(tmp_path))
    assert ok.returncode == 0, ok.stderr

    stale = tmp_path / "mwaa.yaml"
    stale.write_text(stale.read_text().replace("mw1.small", "mw1.large"))
    result = run_build_py("--check", "--out", str(tmp_path))
    assert result.returncode == 1
    assert "-    Default: mw1.large" in result.stdout and "+    Default: mw1.small" in result.stdout
    assert "stale" in result.stderr
    assert "mw1.large" in stale.read_text(), "--check never writes"


def test_check_fails_when_the_file_is_missing(tmp_path: Path) -> None:
    result = run_build_py("--check", "--out", str(tmp_path))
    assert result.returncode == 1 and not any(tmp_path.iterdir())


def test_check_sees_a_settings_change(tmp_path: Path) -> None:
    run_build_py("--out", str(tmp_path))
    result = run_build_py("--check", "--out", str(tmp_path), "--set", "max_workers=4")
    assert result.returncode == 1 and "+    Default: 4" in result.stdout


def test_settings_file_and_overrides(tmp_path: Path) -> None:
    settings = tmp_path / "prd.toml"
    settings.write_text(
        'environment_name = "prd"\nmax_workers = 6\nprivate_subnet_cidrs = ["10.192.30.0/24", "10.192.31.0/24"]\n'
    )
    out = tmp_path / "out"
    result = run_build_py("--settings", str(settings), "--set", "app_env=prd", "--out", str(out))
    assert result.returncode == 0, result.stderr
    text = (out / "mwaa.yaml").read_text()
    assert "Default: prd\n" in text and "Default: 6\n" in text and "Default: 10.192.31.0/24" in text


BAD_SETTINGS = [
    # (arguments, setting named, allowed values mentioned)
    (["--set", "environment_name="], "environment_name", "start with a letter"),
    (["--set", "environment_name=1st-env"], "environment_name", "start with a letter"),
    (["--set", "environment_name=has space"], "environment_name", "letters, digits"),
    (["--set", "environment_name=" + "x" * 81], "environment_name", "1-80 characters"),
    (["--set", "environment_class=mw1.huge"], "environment_class", "mw1.micro, mw1.small"),
    (["--set", "min_workers=3", "--set", "max_workers=2"], "min_workers", "must not exceed max_workers (2)"),
    (["--set", "max_workers=0"], "max_workers", "between 1 and 25"),
    (["--set", "max_workers=26"], "max_workers", "between 1 and 25"),
    (["--set", "max_workers=many"], "max_workers", "whole number"),
    (["--set", "schedulers=6"], "schedulers", "between 2 and 5"),
    (["--set", "schedulers=1"], "schedulers", "between 2 and 5"),
    (
        ["--set", "environment_class=mw1.micro", "--set", "max_workers=1", "--set", "schedulers=2"],
        "schedulers",
        "must be 1 for mw1.micro",
    ),
    (["--set", "airflow_version=2.2.2"], "airflow_version", "3.3.1"),
    (["--set", "airflow_version=latest"], "airflow_version", "2.11.0"),
    (["--set", "webserver_access_mode=PUBLIC"], "webserver_access_mode", "PUBLIC_ONLY, PRIVATE_ONLY"),
    (["--set", "task_log_level=VERBOSE"], "task_log_level", "CRITICAL, ERROR, WARNING, INFO, DEBUG"),
    (["--set", "vpc_cidr=10.0.0.0/33"], "vpc_cidr", "IPv4 CIDR block"),
    (["--set", "vpc_cidr=10.0.0.1/16"], "vpc_cidr", "no host bits set"),
    (
        ["--set", "public_subnet_cidrs=10.0.10.0/24,10.192.11.0/24"],
        "public_subnet_cidrs",
        "inside vpc_cidr 10.192.0.0/16",
    ),
    (
        ["--set", "private_subnet_cidrs=10.192.10.0/24,10.192.21.0/24"],
        "private_subnet_cidrs",
        "must not overlap subnet 10.192.10.0/24",
    ),
    (["--set", "private_subnet_cidrs=10.192.20.0/24,10.192.20.128/25"], "private_subnet_cidrs", "must not overlap"),
    (["--set", "private_subnet_cidrs=10.192.20.0/24"], "private_subnet_cidrs", "exactly two CIDR blocks"),
    (["--set", "app_env=has space"], "app_env", "letters, digits"),
    (["--set", "no_such_setting=1"], "no_such_setting", "known settings are environment_name"),
    (["--set", "max_workers"], "max_workers", "expected NAME=VALUE"),
]


@pytest.mark.parametrize("args,setting,allowed", BAD_SETTINGS, ids=[" ".join(c[0][1::2]) for c in BAD_SETTINGS])
def test_bad_settings_exit_2_with_one_line_and_write_nothing(tmp_path: Path, args, setting, allowed) -> None:
    assert_refused(tmp_path, args, setting, allowed)


@pytest.mark.parametrize(
    "content,message",
    [
        (None, "cannot read settings file"),
        ("max_workers = = 3", "is not valid TOML"),
        ('max_workers = "3"\nmin_workers = 4\n', "min_workers"),
    ],
)
def test_bad_settings_files(tmp_path: Path, content: str | None, message: str) -> None:
    path = tmp_path / "settings.toml"
    if content is not None:
        path.write_text(content)
    result = run_build_py("--settings", str(path), "--out", str(tmp_path / "out"))
    assert result.returncode == 2 and len(result.stderr.splitlines()) == 1 and message in result.stderr
    assert not (tmp_path / "out").exists()


VARIANT_BAD_SETTINGS = [
    (["--set", "availability_zones=eu-west-1a,eu-west-1a"], "availability_zones", "two different Availability Zones"),
    (["--set", "availability_zones=eu-west-1a,eu-west-1b,eu-west-1c"], "availability_zones", "exactly two"),
    (["--set", "availability_zones=eu-west-1a,us-east-1b"], "availability_zones", "same region"),
    (["--set", "availability_zones=west-1"], "availability_zones", "exactly two"),
    (
        ["--set", "network=existing", "--set", "vpc_id=vpc-0123456789abcdef0"],
        "private_subnet_ids",
        "must name the two private subnets",
    ),
    (
        [
            "--set",
            "network=existing",
            "--set",
            "vpc_id=vpc-0123456789abcdef0",
            "--set",
            "private_subnet_ids=subnet-0a1b2c3d,subnet-1a1b2c3d,subnet-2a1b2c3d",
        ],
        "private_subnet_ids",
        "exactly two different subnets",
    ),
    (
        [
            "--set",
            "network=existing",
            "--set",
            "vpc_id=vpc-0123456789abcdef0",
            "--set",
            "private_subnet_ids=subnet-0a1b2c3d,subnet-0a1b2c3d",
        ],
        "private_subnet_ids",
        "exactly two different subnets",
    ),
    (
        ["--set", "network=existing", "--set", "private_subnet_ids=subnet-0a1b2c3d,subnet-1a1b2c3d"],
        "vpc_id",
        "must name the VPC",
    ),
    (["--set", "network=existing", "--set", "vpc_id=vpc-xyz"], "vpc_id", "must be a VPC id"),
    (
        [
            "--set",
            "network=existing",
            "--set",
            "vpc_id=vpc-0123456789abcdef0",
            "--set",
            "private_subnet_ids=subnet-0a1b2c3d,sub-1",
        ],
        "private_subnet_ids",
        "must be subnet ids",
    ),
    (["--set", "network=existing", "--set", "nat_gateways=single"], "nat_gateways", "applies only to network=create"),
    (["--set", "network=existing", "--set", "routing=private"], "routing", "applies only to network=create"),
    (["--set", "vpc_id=vpc-0123456789abcdef0"], "vpc_id", "applies only to network=existing"),
    (["--set", "network=cloud"], "network", "create, existing"),
    (["--set", "nat_gateways=none"], "nat_gateways", "per_az, single"),
    (["--set", "routing=private"], "vpc_endpoints", "must be true with routing=private"),
    (
        ["--set", "routing=private", "--set", "vpc_endpoints=true", "--set", "nat_gateways=single"],
        "nat_gateways",
        "private routing has no NAT",
    ),
    (["--set", "vpc_endpoints=maybe"], "vpc_endpoints", "true or false"),
    (["--set", "kms_key=alias/aws/airflow"], "kms_key", "MWAA does not accept key aliases"),
    (["--set", "kms_key=arn:aws:kms:eu-west-1:123456789012:alias/mwaa"], "kms_key", "MWAA does not accept key aliases"),
    (
        ["--set", "kms_key=arn:aws:kms:eu-west-1:123456789012:key/mrk-1234abcd12ab34cd56ef1234567890ab"],
        "kms_key",
        "multi-Region",
    ),
    (["--set", "kms_key=my-key"], "kms_key", '"create" (a customer managed key in the stack) or a KMS key ARN'),
    (["--set", "plugins_s3_path=plugins.tar.gz"], "plugins_s3_path", ".zip"),
    (
        ["--set", "requirements_s3_path=s3://bucket/requirements.txt"],
        "requirements_s3_path",
        "object key inside the source bucket",
    ),
    (
        ["--set", "secrets_backend=true", "--set", "secrets_connections_prefix=/airflow/"],
        "secrets_connections_prefix",
        "Secrets Manager name prefix",
    ),
    (["--set", "weekly_maintenance_window_start=SUNDAY:03:00"], "weekly_maintenance_window_start", "DAY:HH:MM"),
    (["--set", "weekly_maintenance_window_start=SUN:03:15"], "weekly_maintenance_window_start", "MM 00 or 30"),
    (["--set", "tags=aws:owner=me"], "tags", "not start with aws:"),
    (["--set", "tags=Name=mine"], "tags", "Name is set per resource"),
    (["--set", "tags=team"], "tags", "KEY=VALUE pairs"),
    (["--set", "tags=team=a;b"], "tags", "values must be"),
    (["--set", "environment_class=mw1.micro", "--set", "max_workers=3"], "max_workers", "must be 1 for mw1.micro"),
]


@pytest.mark.parametrize(
    "args,setting,allowed", VARIANT_BAD_SETTINGS, ids=[" ".join(c[0][1::2]) for c in VARIANT_BAD_SETTINGS]
)
def test_bad_variant_settings_exit_2_with_one_line_and_write_nothing(tmp_path: Path, args, setting, allowed) -> None:
    assert_refused(tmp_path, args, setting, allowed)


def test_every_environment_file_has_its_template() -> None:
    environments = sorted(p.stem for p in (ROOT / "environments").glob("*.toml"))
    assert environments, "the repository ships sample environments"
    templates = sorted(p.name for p in (ROOT / "out").glob("*.yaml"))
    pipeline = ["mwaa-ci-roles.yaml"] if (ROOT / "pipeline.toml").is_file() else []
    assert templates == sorted(["mwaa.yaml", *(f"mwaa-{name}.yaml" for name in environments), *pipeline])


def test_check_reports_a_template_whose_settings_file_is_gone(tmp_path: Path) -> None:
    out = tmp_path / "out"
    shutil.copytree(ROOT / "out", out)
    (out / "mwaa-retired.yaml").write_text("Resources: {}\n")
    result = run_build_py("--check", "--out", str(out))
    assert result.returncode == 1 and "mwaa-retired.yaml: no longer generated" in result.stdout


def test_a_build_removes_a_template_it_made_whose_settings_file_is_gone(tmp_path: Path) -> None:
    out = tmp_path / "out"
    shutil.copytree(ROOT / "out", out)
    shutil.copy(out / "mwaa-dev.yaml", out / "mwaa-retired.yaml")  # as an earlier build wrote it
    (out / "notes.yaml").write_text("# a reviewer's own file\n")
    result = run_build_py("--out", str(out))
    assert result.returncode == 0, result.stderr
    assert f"removed {out / 'mwaa-retired.yaml'} (no settings file produces it any more)" in result.stdout
    assert not (out / "mwaa-retired.yaml").exists() and (out / "notes.yaml").exists()


def test_out_is_all_or_nothing_when_one_file_cannot_be_written(tmp_path):
    out = tmp_path / "out"
    assert run_build_py("--out", str(out)).returncode == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    (out / "mwaa-dev.yaml").write_text("old\n")
    (out / "mwaa.yaml").unlink()
    (out / "mwaa.yaml").mkdir()
    result = run_build_py("--out", str(out))
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.startswith("build.py: error: ") and "nothing written" in result.stderr
    assert (out / "mwaa-dev.yaml").read_text() == "old\n", "no file was rewritten"
    assert sorted(p.name for p in out.iterdir()) == sorted(before)


@pytest.mark.parametrize("where", ["a file", "under a file"])
def test_an_out_folder_that_cannot_be_one_is_one_line(tmp_path, where):
    blocker = tmp_path / "blocker"
    blocker.write_text("x")
    target = blocker if where == "a file" else blocker / "out"
    result = run_build_py("--out", str(target))
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_a_settings_file_that_is_not_utf8_is_one_line(tmp_path):
    settings = tmp_path / "s.toml"
    settings.write_bytes(b"max_workers = 3 # \xff\xfe\n")
    result = run_build_py("--settings", str(settings), "--out", str(tmp_path / "out"))
    assert result.returncode == 2
    assert result.stderr.strip() == f"build.py: error: settings file {settings} is not UTF-8 text"
    assert not (tmp_path / "out").exists()
