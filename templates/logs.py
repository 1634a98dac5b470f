"""The environment's CloudWatch log groups, when the settings give them a retention.

By default MWAA creates one group per enabled module and keeps its logs forever.
With ``log_retention_days`` the stack creates those groups first, under the names
MWAA writes to, ``airflow-<EnvironmentName>-<Module>`` (user guide, "Viewing
Airflow logs in Amazon CloudWatch", Log types; the quick start's execution policy
scopes its log actions to ``airflow-<EnvironmentName>-*``).  MWAA creates the
groups it logs to with ``logs:CreateLogGroup``, which fails with
ResourceAlreadyExistsException for an existing group, and goes on writing to the
group of that name (the user guide's troubleshooting page shows MWAA meeting the
same exception for its log streams in CloudTrail), so it adopts the groups made
here; the environment depends on them so they exist first.  The groups are
deleted with the stack, after the environment.
"""

from __future__ import annotations

from dataclasses import dataclass

from troposphere import AWSHelperFn, Sub, Template, logs

from .settings import Settings
from .tagging import optional_tags


@dataclass(frozen=True)
class LogModule:
    setting: str  # as in disabled_log_types
    configuration: str  # MWAA's LoggingConfiguration key
    group_suffix: str  # airflow-<EnvironmentName>-<suffix>
    what: str  # for descriptions

    @property
    def logical_id(self) -> str:
        return f"{self.group_suffix}LogGroup"


LOG_MODULES = (
    LogModule("dag_processing", "DagProcessingLogs", "DAGProcessing", "DAG processing"),
    LogModule("scheduler", "SchedulerLogs", "Scheduler", "scheduler"),
    LogModule("task", "TaskLogs", "Task", "task"),
    LogModule("worker", "WorkerLogs", "Worker", "worker"),
    LogModule("webserver", "WebserverLogs", "WebServer", "web server"),
)


def enabled_modules(settings: Settings) -> tuple[LogModule, ...]:
    return tuple(m for m in LOG_MODULES if m.setting not in settings.disabled_log_types)


def add_log_groups(
    template: Template, settings: Settings, kms_key_arn: AWSHelperFn | str | None
) -> tuple[logs.LogGroup, ...]:
    if not settings.log_retention_days:
        return ()
    encryption: dict[str, object] = {"KmsKeyId": kms_key_arn} if kms_key_arn is not None else {}
    skip = (
        {}
        if encryption
        else {
            "Metadata": {
                "checkov": {
                    "skip": [
                        {
                            "id": "CKV_AWS_158",
                            "comment": "Encrypted by CloudWatch Logs; a customer managed key is the kms_key setting.",
                        }
                    ]
                }
            }
        }
    )
    return tuple(
        template.add_resource(
            logs.LogGroup(
                module.logical_id,
                # Deleted with the stack, stated because logs are state: a kept group would make
                # the next stack of the same environment name fail on "already exists".
                DeletionPolicy="Delete",
                UpdateReplacePolicy="Delete",
                **skip,
                LogGroupName=Sub(f"airflow-${{EnvironmentName}}-{module.group_suffix}"),
                RetentionInDays=settings.log_retention_days,
                **encryption,
                **optional_tags(settings),
            )
        )
        for module in enabled_modules(settings)
    )
