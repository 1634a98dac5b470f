"""EMR: steps that finish, as the workflow tests script them.

Stock moto sets a step's state once (RUNNING, or PENDING behind another step) and
never moves it, so ``EmrStepSensor`` would wait forever.  Patched:

* A step finishes after it has been described ``polls`` times; the next pending step
  of the cluster then starts, and an idle cluster goes back to WAITING, as on EMR.
* How it finishes is scripted per step name: ``script_steps("app1", ["FAILED"])``
  makes the next step whose name contains ``app1`` fail, with EMR-style
  ``FailureDetails``; unscripted steps complete.
* ``AddJobFlowSteps`` and ``DescribeStep`` on an unknown cluster answer EMR's error
  instead of an HTTP 500.
"""

from __future__ import annotations

import threading

_lock = threading.Lock()
_outcomes: dict[str, list[str]] = {}
settings = {"polls": 1}


def script_steps(name_contains: str, outcomes: list[str]) -> None:
    """The next steps whose name contains ``name_contains`` end in these states, in order."""
    assert all(o in ("COMPLETED", "FAILED", "CANCELLED") for o in outcomes), outcomes
    with _lock:
        _outcomes[name_contains] = list(outcomes)


def reset() -> None:
    with _lock:
        _outcomes.clear()


def _outcome_for(step_name: str) -> str:
    with _lock:
        for key, queue in _outcomes.items():
            if key in step_name and queue:
                return queue.pop(0)
    return "COMPLETED"


def apply() -> None:
    from moto.core.utils import utcnow
    from moto.emr.exceptions import InvalidCluster
    from moto.emr.models import ElasticMapReduceBackend, Step

    describe_step = ElasticMapReduceBackend.describe_step

    def progressing_describe_step(self, cluster_id, step_id):
        if cluster_id not in self.clusters:
            raise InvalidCluster(cluster_id)
        step = describe_step(self, cluster_id, step_id)
        if step is None or step.state != "RUNNING":
            return step
        step._polls = getattr(step, "_polls", 0) + 1
        if step._polls < settings["polls"]:
            return step
        now = utcnow()
        step.start_date_time = step.start_date_time or now
        step.end_date_time = now
        step.state = _outcome_for(step.name)
        if step.state == "FAILED":
            step.last_state_change_reason = "Step failed (scripted by the test emulator)"
        cluster = self.clusters[cluster_id]
        pending = [s for s in cluster.steps if s.state == "PENDING"]
        if pending:
            pending[0].state, pending[0].start_date_time = "RUNNING", now
        elif cluster.state == "RUNNING":
            cluster.state = "WAITING"
        return step

    add_job_flow_steps = ElasticMapReduceBackend.add_job_flow_steps

    def checked_add_job_flow_steps(self, job_flow_id, steps):
        if job_flow_id not in self.clusters:
            raise InvalidCluster(job_flow_id)
        cluster = self.clusters[job_flow_id]
        # moto leaves a step added to an idle cluster PENDING behind finished ones.
        added = add_job_flow_steps(self, job_flow_id, steps)
        pending = [s for s in cluster.steps if s.state == "PENDING"]
        if pending and not any(s.state == "RUNNING" for s in cluster.steps):
            pending[0].state, pending[0].start_date_time = "RUNNING", utcnow()
        return added

    status = Step.status.fget

    def status_with_failure_details(self):
        result = status(self)
        if self.state == "FAILED":
            result["FailureDetails"] = {
                "Reason": "Unknown Error.",
                "Message": self.last_state_change_reason,
                "LogFile": "s3://emulated-emr-logs/steps/",
            }
        return result

    ElasticMapReduceBackend.describe_step = progressing_describe_step
    ElasticMapReduceBackend.add_job_flow_steps = checked_add_job_flow_steps
    Step.status = property(status_with_failure_details)
