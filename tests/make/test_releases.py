"""Every make sync records a release in the bucket, outside the DAG path; make history lists
them, newest first, with what each changed and which one the environment runs."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

from tests.make.runs import bucket_of, client, keys, make
from tests.mwaa_files import PROJECT_DAG, dag_folder

FAST = {"SKIP_PREFLIGHT": "1"}  # preflight has its own tests; here only what sync records


def records(env, bucket: str) -> list[tuple[str, dict]]:
    """(release name, record) of every release, oldest first."""
    s3 = client(env, "s3")
    found = [k for k in keys(env, bucket, releases=True) if k.startswith("releases/")]
    named = [
        (
            k.removeprefix("releases/").removesuffix(".json"),
            json.loads(s3.get_object(Bucket=bucket, Key=k)["Body"].read()),
        )
        for k in found
    ]
    return sorted(named, key=lambda pair: pair[1]["time"])


def test_each_sync_is_recorded_and_history_lists_them_newest_first(env, deployed, tmp_path: Path):
    dags = dag_folder(tmp_path, {"emr_steps.py": PROJECT_DAG, "old.py": "# retired\n"})
    first = make(env, "sync", DAGS=str(dags), **FAST)
    assert first.returncode == 0, first.stdout + first.stderr
    assert re.search(r"^Release recorded: s3://\S+/releases/\d{8}T\d{12}Z-nogit\.json", first.stdout, re.M)

    (dags / "emr_steps.py").write_text((dags / "emr_steps.py").read_text() + "\n# changed\n")
    (dags / "new.py").write_text("# new\n")
    (dags / "old.py").unlink()
    second = make(env, "sync", DAGS=str(dags), DELETE="1", **FAST)
    assert second.returncode == 0, second.stdout + second.stderr

    bucket = bucket_of(env)
    s3 = client(env, "s3")
    (_, older), (_, newer) = records(env, bucket)
    assert newer["deleted"] == ["dags/old.py"] and older["deleted"] == []
    assert newer["stack"] == "mwaa-test" and newer["commit"] is None and newer["caller"].startswith("arn:aws:")
    for item in newer["objects"]:  # each object as S3 holds that version, with its digest
        body = s3.get_object(Bucket=bucket, Key=item["key"], VersionId=item["version_id"])["Body"].read()
        assert hashlib.sha256(body).hexdigest() == item["sha256"], item["key"]
    assert {o["key"] for o in newer["objects"]} == {"dags/emr_steps.py", "dags/new.py"}

    history = make(env, "history")
    assert history.returncode == 0, history.stderr
    rows = [line for line in history.stdout.splitlines() if re.match(r"^[* ] \d{8}T", line)]
    assert len(rows) == 2 and rows[0].startswith("* "), history.stdout  # newest first, and it runs now
    assert "added dags/new.py" in rows[0] and "changed dags/emr_steps.py" in rows[0]
    assert "deleted dags/old.py" in rows[0]
    assert "added dags/emr_steps.py, dags/old.py" in rows[1] and rows[1].startswith("  ")


def test_history_skips_what_is_not_a_record_and_prints_nothing_of_it_raw(env, deployed, tmp_path: Path):
    bucket = bucket_of(env)
    client(env, "s3").put_object(Bucket=bucket, Key="releases/99999999T000000Z-\x1b[2Jevil.json", Body=b"{not json")
    result = make(env, "history")
    assert result.returncode == 0, result.stderr
    assert "\x1b" not in result.stdout
    assert "is not a release record; skipped" in result.stdout and "\\x1b[2J" in result.stdout
    assert "No release of mwaa-test yet" in result.stdout


def _two_releases(env, tmp_path: Path) -> tuple[str, list[tuple[str, dict]]]:
    dags = dag_folder(tmp_path, {"emr_steps.py": PROJECT_DAG, "requirements.txt": "apache-airflow-providers-amazon\n"})
    assert make(env, "sync", DAGS=str(dags), **FAST).returncode == 0
    (dags / "emr_steps.py").write_text((dags / "emr_steps.py").read_text() + "\n# second release\n")
    (dags / "requirements.txt").write_text("apache-airflow-providers-amazon\nboto3\n")
    (dags / "added_later.py").write_text("# added by the second release\n")
    second = make(env, "sync", DAGS=str(dags), **FAST)
    assert second.returncode == 0, second.stdout + second.stderr
    bucket = bucket_of(env)
    return bucket, records(env, bucket)


def test_rollback_restores_the_first_release_byte_for_byte_as_a_third(env, deployed, mwaa, tmp_path: Path):
    bucket, [(name, first), _] = _two_releases(env, tmp_path)
    s3 = client(env, "s3")
    s3.put_object(Bucket=bucket, Key="notes/keep.txt", Body=b"not a DAG\n")  # outside the DAG path
    result = make(env, "rollback", TO=name, YES="1")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "verify: all 1 DAG file(s) registered in mwaa-test" in result.stdout, "checked as a sync is"
    assert re.search(r"^delete: s3://\S+/dags/added_later\.py \(added after ", result.stdout, re.M)
    for item in first["objects"]:  # the newest version of each key holds the first release's bytes
        newest = s3.get_object(Bucket=bucket, Key=item["key"])["Body"].read()
        recorded = s3.get_object(Bucket=bucket, Key=item["key"], VersionId=item["version_id"])["Body"].read()
        assert newest == recorded and hashlib.sha256(newest).hexdigest() == item["sha256"], item["key"]
    assert "dags/added_later.py" not in keys(env, bucket) and "notes/keep.txt" in keys(env, bucket)
    [environment] = mwaa.state.environments.values()
    assert environment.props["RequirementsS3ObjectVersion"] == first["environment_files"]["RequirementsS3ObjectVersion"]
    _, third = records(env, bucket)[-1]
    assert third["rollback_of"] == name and third["deleted"] == ["dags/added_later.py"]
    history = make(env, "history")
    rows = [line for line in history.stdout.splitlines() if re.match(r"^[* ] \d{8}T", line)]
    assert len(rows) == 3 and rows[0].startswith("* "), history.stdout


def test_rollback_to_no_release_or_unconfirmed_changes_nothing(env, deployed, tmp_path: Path):
    bucket, [(name, _), _] = _two_releases(env, tmp_path)
    before = keys(env, bucket, releases=True)
    for variables, says in (
        ({"TO": "no-such-release", "YES": "1"}, "TO='no-such-release': no release of mwaa-test"),
        ({"TO": "deadbeef", "YES": "1"}, "TO='deadbeef': no release of mwaa-test"),
        ({}, "TO: the release to put back"),
    ):
        result = make(env, "rollback", **variables)
        assert result.returncode != 0
        [line] = [entry for entry in result.stderr.splitlines() if entry.startswith("mwaa-stack: error:")]
        assert says in line, line
    newest = records(env, bucket)[-1]
    unconfirmed = make(env, "rollback", TO=name)  # no terminal, no YES=1
    assert unconfirmed.returncode != 0 and "refusing to roll back mwaa-test without confirmation" in unconfirmed.stderr
    assert keys(env, bucket, releases=True) == before
    assert records(env, bucket)[-1] == newest
