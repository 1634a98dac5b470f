"""``[target]`` in a settings file: where the environment deploys, checked by build.py and
never part of the template."""

from __future__ import annotations

import pytest

from tests.template.conftest import ROOT, assert_refused, run_build_py

PRD = (ROOT / "environments" / "prd.toml").read_text()


def test_a_target_changes_nothing_in_the_template(tmp_path):
    pinned = tmp_path / "prd.toml"
    pinned.write_text(PRD + '\n[target]\naccount_id = "123456789012"\nregion = "eu-west-1"\n')
    for name, settings in (("plain", ROOT / "environments" / "prd.toml"), ("pinned", pinned)):
        done = run_build_py("--settings", str(settings), "--out", str(tmp_path / name))
        assert done.returncode == 0, done.stderr
    assert (tmp_path / "pinned" / "mwaa.yaml").read_bytes() == (tmp_path / "plain" / "mwaa.yaml").read_bytes()
    assert b"123456789012" not in (tmp_path / "pinned" / "mwaa.yaml").read_bytes()


@pytest.mark.parametrize(
    ("table", "setting", "allowed"),
    [
        ('account_id = 123456789012\nregion = "eu-west-1"', "target.account_id", "12 digits, quoted"),
        ('account_id = "12345"\nregion = "eu-west-1"', "target.account_id", "12 digits"),
        ('account_id = "123456789012"\nregion = "Ireland"', "target.region", "AWS Region name"),
        ('account_id = "123456789012"', "target", "account_id and region, both"),
        ('account_id = "123456789012"\nregion = "eu-west-1"\nrole = "x"', "target", "nothing else"),
    ],
)
def test_a_bad_target_is_one_line_and_nothing_written(tmp_path, table, setting, allowed):
    settings = tmp_path / "bad.toml"
    settings.write_text(PRD + f"\n[target]\n{table}\n")
    assert_refused(tmp_path, ["--settings", str(settings)], setting, allowed)
