"""The environment's CloudWatch log groups, when the settings give them a retention.

By default MWAA creates one group per enabled module, ``airflow-<EnvironmentName>-<Module>``
(``catalogue.LOG_MODULES``), and keeps its logs forever; CloudFormation cannot set their
retention (``LoggingConfiguration.*.CloudWatchLogGroupArn`` is a return value only, and
"any value you provide ... is discarded", AWS::MWAA::Environment ModuleLoggingConfiguration).
With ``log_retention_days`` the stack creates those groups first, under those names, and
the environment depends on them.

What is documented and what is not: no MWAA user-guide page says MWAA writes into a group
that exists before the environment.  AWS's own construct does exactly this and says MWAA's
``logs:CreateLogGroup`` "is a no-op when a group of that name already exists"
(aws/modern-data-architecture-accelerator, ``mwaa-constructs/lib/env.ts``), and users of
the CDK and Terraform report the same (aws/aws-cdk#14414, hashicorp/terraform-provider-aws
#46161).  The images never create groups (``create_log_group=False``), so the service does.

On an environment that already exists MWAA made the groups, and CloudFormation cannot
create a group that exists: ``make deploy``/``make diff`` find such groups before any
change and stop, naming them and the way out (``ops/log_groups.py``).  The groups are
deleted with the stack, after the environment.
"""

from __future__ import annotations

from troposphere import AWSHelperFn, Sub, Template, logs

from .catalogue import LOG_MODULES, LogModule
from .settings import Settings
from .tagging import optional_tags


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
                module.group_logical_id,
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
