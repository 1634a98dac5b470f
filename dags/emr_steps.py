"""Run Spark applications as EMR steps, one after another, on a cluster given per run.

Trigger with ``{"cluster_id": "j-..."}`` as run conf (MWAA sets
``core.dag_run_conf_overrides_params``, so conf overrides the param).

Each application is a TaskGroup that adds its step with ``EmrAddStepsOperator``
and waits for it with ``EmrStepSensor`` in reschedule mode, so waiting holds no
worker slot.

Whole-group retry.  Retrying the sensor alone would re-poll a step that has
already failed, so a group is a chain of attempts instead:
``add_step_1 >> watch_step_1``, then ``add_step_2 >> watch_step_2``, up to
``1 + retries`` attempts, and ``done`` succeeds as soon as one attempt did.
Attempt *n* runs only when attempt *n-1*'s sensor failed (trigger rule
``one_failed``) *and* EMR reports that attempt's step FAILED, CANCELLED or
INTERRUPTED (checked just before the new step is added); otherwise it is
skipped.  So a new step is never submitted while the old one may still run
(a sensor timeout), nor when the group never started.  When every attempt
failed, ``done`` is upstream_failed, later groups do not run and the run
fails; the last sensor's log holds EMR's failure reason.  The add and watch
tasks have no task-level retries: a retried add could submit a duplicate step,
and a failed *add* (permissions, API error) is not retried either.

Airflow 2.11 and 3.3 have no TaskGroup-level retries (apache/airflow#21867);
this needs nothing but trigger rules and a pre-execute hook, on both.

Nothing happens at import time but building the DAG: MWAA parses this file
every 30 seconds.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from airflow.providers.amazon.aws.operators.emr import EmrAddStepsOperator
from airflow.providers.amazon.aws.sensors.emr import EmrStepSensor

try:  # Airflow 3
    from airflow.providers.standard.operators.empty import EmptyOperator
    from airflow.sdk import DAG, Param, TaskGroup, task
except ImportError:  # Airflow 2
    from airflow import DAG
    from airflow.decorators import task
    from airflow.models.param import Param
    from airflow.operators.empty import EmptyOperator
    from airflow.utils.task_group import TaskGroup


@dataclass(frozen=True)
class SparkApp:
    """One EMR step: ``command-runner.jar`` runs ``args`` on the cluster."""

    name: str
    args: tuple[str, ...]
    retries: int = 2  # extra attempts of the whole group


# The workflow, in order.  Adding an application is one line.
APPS: tuple[SparkApp, ...] = (
    SparkApp("app1", ("spark-example", "SparkPi", "10")),
    SparkApp("app2", ("spark-example", "SparkPi", "100")),
)

DAG_ID = "emr_steps"
AWS_CONN_ID = "aws_default"
POKE_INTERVAL = timedelta(minutes=1)
STEP_TIMEOUT = timedelta(hours=6)
# EMR accepts steps while a cluster is in one of these states.
ACCEPTS_STEPS = ("STARTING", "BOOTSTRAPPING", "RUNNING", "WAITING")
# A step in one of these states is over and may be submitted again.
STEP_FAILED = ("FAILED", "CANCELLED", "INTERRUPTED")


def _exceptions():
    """Airflow's fail/skip exceptions, imported when a task runs, not at parse time."""
    try:
        from airflow.sdk.exceptions import AirflowFailException, AirflowSkipException
    except ImportError:  # Airflow 2
        from airflow.exceptions import AirflowFailException, AirflowSkipException
    return AirflowFailException, AirflowSkipException


def emr_step(app: SparkApp, attempt: int) -> dict:
    return {
        # Unique per run and attempt, so the EMR console tells the attempts apart.
        "Name": f"{DAG_ID}.{app.name} attempt {attempt} {{{{ run_id }}}}",
        "ActionOnFailure": "CONTINUE",
        "HadoopJarStep": {"Jar": "command-runner.jar", "Args": list(app.args)},
    }


@task
def check_cluster(cluster_id: str) -> str:
    """Fail at once, with a plain message, when the cluster cannot take steps."""
    from airflow.providers.amazon.aws.hooks.emr import EmrHook

    AirflowFailException, _ = _exceptions()
    emr = EmrHook(aws_conn_id=AWS_CONN_ID).conn
    try:
        state = emr.describe_cluster(ClusterId=cluster_id)["Cluster"]["Status"]["State"]
    except emr.exceptions.InvalidRequestException as err:
        raise AirflowFailException(f"EMR cluster {cluster_id!r} not found: {err}") from None
    if state not in ACCEPTS_STEPS:
        raise AirflowFailException(f"EMR cluster {cluster_id!r} is {state} and cannot run steps")
    return state


def only_after_a_failed_step(previous_add_task_id: str):
    """Pre-execute hook of a retry attempt: go on only if EMR says the previous step failed."""

    def check(context) -> None:
        from airflow.providers.amazon.aws.hooks.emr import EmrHook

        _, AirflowSkipException = _exceptions()
        step_ids = context["ti"].xcom_pull(task_ids=previous_add_task_id)
        if not step_ids:
            raise AirflowSkipException(f"{previous_add_task_id} submitted no step: nothing to retry")
        step = EmrHook(aws_conn_id=AWS_CONN_ID).conn.describe_step(
            ClusterId=context["params"]["cluster_id"], StepId=step_ids[0]
        )["Step"]
        state = step["Status"]["State"]
        if state not in STEP_FAILED:
            raise AirflowSkipException(f"step {step_ids[0]} is {state}: not submitting it again")
        logging.getLogger(__name__).info("step %s is %s; submitting it again", step_ids[0], state)

    return check


def spark_app_group(app: SparkApp) -> TaskGroup:
    with TaskGroup(group_id=app.name, tooltip=" ".join(app.args)) as group:
        watches = []
        previous_add = None
        for attempt in range(1, app.retries + 2):
            retry = (
                {}
                if previous_add is None
                else {
                    "trigger_rule": "one_failed",
                    "pre_execute": only_after_a_failed_step(previous_add.task_id),
                }
            )
            add = EmrAddStepsOperator(
                task_id=f"add_step_{attempt}",
                job_flow_id="{{ params.cluster_id }}",
                steps=[emr_step(app, attempt)],
                aws_conn_id=AWS_CONN_ID,
                **retry,
            )
            watch = EmrStepSensor(
                task_id=f"watch_step_{attempt}",
                job_flow_id="{{ params.cluster_id }}",
                step_id=f"{{{{ ti.xcom_pull(task_ids='{add.task_id}')[0] }}}}",
                aws_conn_id=AWS_CONN_ID,
                mode="reschedule",
                poke_interval=POKE_INTERVAL.total_seconds(),
                timeout=STEP_TIMEOUT.total_seconds(),
            )
            if watches:
                watches[-1] >> add
            add >> watch
            watches.append(watch)
            previous_add = add
        watches >> EmptyOperator(task_id="done", trigger_rule="one_success")
    return group


with DAG(
    dag_id=DAG_ID,
    description="Spark applications as EMR steps, each group retried as a unit",
    schedule=None,
    start_date=datetime(2024, 1, 1),
    catchup=False,
    max_active_runs=1,
    params={
        "cluster_id": Param(
            "j-XXXXXXXXXXXXX", type="string", pattern=r"^j-[0-9A-Z]+$", description="EMR cluster that runs the steps"
        )
    },
    default_args={"owner": "data-platform", "retries": 0},
    tags=["emr"],
    doc_md=__doc__,
) as dag:
    previous = check_cluster("{{ params.cluster_id }}")
    for spark_app in APPS:
        group = spark_app_group(spark_app)
        previous >> group
        previous = group
