"""The EMR-steps workflow on a real Airflow, against EMR emulated by moto on loopback."""

from __future__ import annotations

import importlib.util
import re

import pytest

from tests.emulator import script_steps
from tests.emulator.airflow_home import DAGS, dagbag, new_cluster
from tests.workflow.conftest import run

GROUPS = ("app1", "app2")
ATTEMPTS = 3  # one try plus the groups' two retries


def steps_by_app(emr, cluster_id: str) -> dict[str, list[dict]]:
    steps = sorted(
        emr.list_steps(ClusterId=cluster_id)["Steps"], key=lambda s: s["Status"]["Timeline"]["CreationDateTime"]
    )
    grouped: dict[str, list[dict]] = {}
    for step in steps:
        grouped.setdefault(step["Name"].split()[0].split(".")[1], []).append(step)
    return grouped


def task_output(caplog, capfd) -> str:
    """Task logs: Airflow 2 logs through logging, Airflow 3's task runner to the console."""
    out, err = capfd.readouterr()
    return caplog.text + out + err


def test_every_dag_file_imports_without_errors():
    bag = dagbag()
    assert bag.import_errors == {}
    assert {p.name for p in DAGS.glob("*.py")} == {"emr_steps.py"}
    assert list(bag.dags) == ["emr_steps"]


def test_structure_groups_in_order_with_reschedule_sensors(dag):
    assert dag.get_task("check_cluster").downstream_task_ids == {"app1.add_step_1"}
    assert dag.get_task("app2.add_step_1").upstream_task_ids == {"app1.done"}
    assert dag.get_task("app2.done").downstream_task_ids == set()
    for group in GROUPS:
        assert dag.task_group_dict[group].children.keys() == {
            f"{group}.{kind}_{n}" for kind in ("add_step", "watch_step") for n in range(1, ATTEMPTS + 1)
        } | {f"{group}.done"}
        for n in range(1, ATTEMPTS + 1):
            add, watch = dag.get_task(f"{group}.add_step_{n}"), dag.get_task(f"{group}.watch_step_{n}")
            assert type(add).__name__ == "EmrAddStepsOperator" and type(watch).__name__ == "EmrStepSensor"
            assert add.job_flow_id == watch.job_flow_id == "{{ params.cluster_id }}"
            assert watch.mode == "reschedule"
            assert watch.step_id == f"{{{{ ti.xcom_pull(task_ids='{add.task_id}')[0] }}}}"
            assert add.downstream_task_ids == {watch.task_id}
            assert add.retries == watch.retries == 0, "a retried add would submit a duplicate step"
            if n == 1:
                assert add.trigger_rule == "all_success"
            else:
                assert add.upstream_task_ids == {f"{group}.watch_step_{n - 1}"}
                assert add.trigger_rule == "one_failed", "the next attempt runs only when the previous one failed"
                assert add._pre_execute_hook is not None, "and only when EMR says the previous step failed"
        assert dag.get_task(f"{group}.done").trigger_rule == "one_success"
        assert dag.get_task(f"{group}.done").upstream_task_ids == {
            f"{group}.watch_step_{n}" for n in range(1, ATTEMPTS + 1)
        }


def test_steps_are_data_one_line_per_application():
    spec = importlib.util.spec_from_file_location("emr_steps_module", DAGS / "emr_steps.py")
    module = importlib.util.module_from_spec(spec)
    import sys

    sys.modules[spec.name] = module
    try:
        spec.loader.exec_module(module)
        assert [app.name for app in module.APPS] == list(GROUPS)
        step = module.emr_step(module.APPS[0], 2)
        assert step["HadoopJarStep"] == {"Jar": "command-runner.jar", "Args": ["spark-example", "SparkPi", "10"]}
        assert step["ActionOnFailure"] == "CONTINUE"
    finally:
        del sys.modules[spec.name]


def test_cluster_id_is_a_validated_param(dag):
    param = dag.params.get_param("cluster_id")
    assert param.schema["type"] == "string" and param.schema["pattern"] == r"^j-[0-9A-Z]+$"


def test_run_conf_overrides_cluster_id_and_both_steps_complete(dag, emr, airflow_db):
    cluster, other = new_cluster(emr), new_cluster(emr)
    dag_run, states = run(dag, {"cluster_id": cluster})
    assert dag_run.state == "success", states
    steps = steps_by_app(emr, cluster)
    assert {app: [s["Status"]["State"] for s in found] for app, found in steps.items()} == {
        "app1": ["COMPLETED"],
        "app2": ["COMPLETED"],
    }
    for app, [step] in steps.items():
        assert step["Config"]["Jar"] == "command-runner.jar"
        assert step["Name"] == f"emr_steps.{app} attempt 1 {dag_run.run_id}"
    assert emr.list_steps(ClusterId=other)["Steps"] == [], "only the cluster named in the run conf gets steps"
    for group in GROUPS:
        assert states[f"{group}.watch_step_1"] == "success"
        assert states[f"{group}.add_step_2"] == states[f"{group}.add_step_3"] == "skipped"
        assert states[f"{group}.done"] == "success"


def test_failed_step_resubmits_a_new_step_and_the_run_succeeds(dag, emr, airflow_db):
    cluster = new_cluster(emr)
    script_steps("emr_steps.app1 ", ["FAILED"])
    dag_run, states = run(dag, {"cluster_id": cluster})
    assert dag_run.state == "success", states
    steps = steps_by_app(emr, cluster)
    assert [s["Status"]["State"] for s in steps["app1"]] == ["FAILED", "COMPLETED"]
    assert steps["app1"][0]["Id"] != steps["app1"][1]["Id"], "a new step, not the dead one polled again"
    assert "attempt 2" in steps["app1"][1]["Name"]
    assert [s["Status"]["State"] for s in steps["app2"]] == ["COMPLETED"]
    assert (states["app1.watch_step_1"], states["app1.add_step_2"], states["app1.watch_step_2"]) == (
        "failed",
        "success",
        "success",
    )
    assert states["app1.add_step_3"] == "skipped" and states["app1.done"] == "success"


def test_step_failing_every_attempt_fails_the_run(dag, emr, airflow_db):
    cluster = new_cluster(emr)
    script_steps("emr_steps.app1 ", ["FAILED"] * ATTEMPTS)
    dag_run, states = run(dag, {"cluster_id": cluster})
    assert dag_run.state == "failed"
    steps = steps_by_app(emr, cluster)
    assert [s["Status"]["State"] for s in steps["app1"]] == ["FAILED"] * ATTEMPTS
    assert "app2" not in steps, "later groups do not run"
    assert [states[f"app1.watch_step_{n}"] for n in range(1, ATTEMPTS + 1)] == ["failed"] * ATTEMPTS
    assert states["app1.done"] == "upstream_failed" and states["app2.add_step_1"] == "upstream_failed"
    # The group that never started does not "retry" either.
    assert states["app2.add_step_2"] == "skipped" and states["app2.add_step_3"] == "skipped"
    assert states["app2.done"] == "upstream_failed"


def test_unknown_cluster_fails_fast_with_a_clear_error(dag, emr, airflow_db, caplog, capfd):
    cluster = new_cluster(emr)
    dag_run, states = run(dag, {"cluster_id": "j-DOESNOTEXIST"})
    assert dag_run.state == "failed"
    assert states["check_cluster"] == "failed"
    assert states["app1.add_step_1"] == "upstream_failed"
    assert {states[f"{g}.add_step_{n}"] for g in GROUPS for n in (2, 3)} == {"skipped"}
    assert emr.list_steps(ClusterId=cluster)["Steps"] == []
    assert "EMR cluster 'j-DOESNOTEXIST' not found" in task_output(caplog, capfd)


def test_terminated_cluster_fails_fast(dag, emr, airflow_db, caplog, capfd):
    cluster = new_cluster(emr)
    emr.terminate_job_flows(JobFlowIds=[cluster])
    dag_run, states = run(dag, {"cluster_id": cluster})
    assert dag_run.state == "failed" and states["check_cluster"] == "failed"
    assert f"EMR cluster '{cluster}' is TERMINATED and cannot run steps" in task_output(caplog, capfd)
    assert emr.list_steps(ClusterId=cluster)["Steps"] == []


def test_malformed_cluster_id_is_rejected_before_the_run(dag, emr, airflow_db):
    with pytest.raises(Exception, match=r"cluster_id|pattern|does not match"):
        run(dag, {"cluster_id": "not-a-cluster"})


def run_dag_command(*args: str):
    import subprocess
    import sys

    from tests.emulator.airflow_home import ROOT

    return subprocess.run(
        [sys.executable, "-m", "tests.emulator.run_dag", *args], cwd=ROOT, capture_output=True, text=True, timeout=300
    )


def test_dag_test_command_runs_against_its_own_emulator():
    result = run_dag_command("emr_steps", "{}", "--fail", "app2")
    assert result.returncode == 0, result.stderr[-2000:]
    assert re.search(r"^  app2\.watch_step_1 +failed$", result.stdout, re.M)
    assert re.search(r"^  app2\.done +success$", result.stdout, re.M)
    assert len(re.findall(r"EMR step s-\w+ COMPLETED", result.stdout)) == 2
    assert "permissions: the DAG runs with the execution policy of mwaa-dev.yaml" in result.stdout
    assert "denied: " not in result.stdout, "the workflow needs nothing the execution policy lacks"


def test_dag_test_command_rejects_bad_conf():
    result = run_dag_command("emr_steps", "[1, 2]")
    assert result.returncode == 2 and "CONF must be a JSON object" in result.stderr
