"""The sync plan: which keys files go to, which versions bump through the stack and
which through the MWAA API, what DELETE removes, which local files are read."""

from __future__ import annotations

import os

import pytest
from cfn_flip import load_yaml

from ops.errors import UsageError
from ops.sync_plan import FileState, local_files, managed_paths, plan_bumps, stale_keys, target_key, zip_folder
from templates.catalogue import PLUGINS, REQUIREMENTS, STARTUP_SCRIPT
from tests.mwaa_files import ROOT

PRD = load_yaml((ROOT / "out" / "mwaa-prd.yaml").read_text())
DEFAULT = load_yaml((ROOT / "out" / "mwaa.yaml").read_text())


def test_the_prd_template_names_its_files_and_the_default_names_none():
    managed = managed_paths(PRD, PRD["Parameters"])
    assert set(managed) == {"Requirements", "Plugins", "StartupScript"}
    assert managed["Requirements"].endswith("requirements.txt") and managed["Plugins"].endswith(".zip")
    assert managed_paths(DEFAULT, DEFAULT["Parameters"]) == {}
    assert managed_paths(PRD, []) == {}, "a stack without the version parameters manages nothing"


def test_files_go_where_the_template_then_the_environment_names_them():
    managed = {"Requirements": "reqs/requirements.txt"}
    assert target_key(REQUIREMENTS, managed, {}, "dags") == "reqs/requirements.txt"
    assert target_key(REQUIREMENTS, {}, {"RequirementsS3Path": "other/req.txt"}, "dags") == "other/req.txt"
    assert target_key(REQUIREMENTS, {}, {}, "flows") == "flows/requirements.txt"
    assert target_key(PLUGINS, {}, {}, "dags") == "plugins.zip"
    assert target_key(STARTUP_SCRIPT, {}, {}, "dags") == "startup.sh"


def state(file, latest="v2", digest="new", in_use=None, in_use_digest=None):
    return FileState(file, file.default_key, latest, digest, in_use, in_use_digest)


def test_changed_files_bump_through_the_stack_when_managed_else_through_the_api():
    states = [state(REQUIREMENTS, in_use="v1", in_use_digest="old"), state(PLUGINS), state(STARTUP_SCRIPT)]
    through_stack, through_api = plan_bumps(states, {"Requirements": "dags/requirements.txt"})
    assert through_stack == {"RequirementsS3ObjectVersion": "v2"}
    assert through_api == {
        "PluginsS3Path": "plugins.zip",
        "PluginsS3ObjectVersion": "v2",
        "StartupScriptS3Path": "startup.sh",
        "StartupScriptS3ObjectVersion": "v2",
    }


def test_same_content_under_a_new_version_restarts_nothing():
    same = [state(REQUIREMENTS, "v3", "abc", "v1", "abc"), state(PLUGINS, "v1", "abc", "v1", "abc")]
    assert plan_bumps(same, {}) == ({}, {})
    unknown_digest = state(PLUGINS, "v3", "abc", "v1", None)  # the object in use carries no digest
    assert plan_bumps([unknown_digest], {})[1]["PluginsS3ObjectVersion"] == "v3"


def test_delete_never_touches_what_the_environment_reads():
    doomed, kept = stale_keys(
        ["dags/a.py", "dags/gone.py", "dags/requirements.txt"], ["dags/a.py"], ["dags/requirements.txt"]
    )
    assert (doomed, kept) == (["dags/gone.py"], ["dags/requirements.txt"])


@pytest.fixture
def tree(tmp_path):
    root = tmp_path / "dags"
    (root / "sub" / "__pycache__").mkdir(parents=True)
    (root / "a.py").write_text("a = 1\n")
    (root / "sub" / "b.py").write_text("b = 1\n")
    (root / "sub" / "__pycache__" / "b.cpython-311.pyc").write_bytes(b"\0")
    (root / "sub" / ".DS_Store").write_bytes(b"\0")
    (root / "sub" / "c.pyc").write_bytes(b"\0")
    return root


def test_caches_are_skipped_at_every_depth(tree):
    assert list(local_files(tree, "DAGS")) == ["a.py", "sub/b.py"]


def test_links_inside_are_read_links_to_folders_never_followed(tree):
    os.symlink("a.py", tree / "alias.py")
    os.symlink(".", tree / "sub" / "loop")
    assert list(local_files(tree, "DAGS")) == ["a.py", "alias.py", "sub/b.py"]


@pytest.mark.parametrize("target", ["../../secret.txt", "/etc/hostname", "missing.py", "../.."])
def test_links_leaving_the_folder_or_pointing_nowhere_stop_the_sync(tree, target):
    (tree.parent / "secret.txt").write_text("key\n")
    os.symlink(target, tree / "sub" / "link")
    with pytest.raises(UsageError) as raised:
        local_files(tree, "DAGS")
    assert "sub/link -> " + target in str(raised.value)


def test_the_plugins_zip_is_the_same_bytes_for_the_same_files(tree, tmp_path):
    first = zip_folder(tree)
    os.utime(tree / "a.py", (0, 0))
    assert zip_folder(tree) == first
    (tree / "a.py").write_text("a = 2\n")
    assert zip_folder(tree) != first
