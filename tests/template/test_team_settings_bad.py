"""Every setting a team adopting the template reaches for gets the house treatment on
bad input: one line naming the setting, the value and what is allowed; exit 2;
nothing written.  Two tables: values set with ``--set``, and values only a settings
file can hold (tables, arrays of tables)."""

from __future__ import annotations

import pytest

from tests.template.conftest import assert_refused

MICRO = ["--set", "environment_class=mw1.micro", "--set", "max_workers=1", "--set", "schedulers=1"]
PRIVATE = ["--set", "webserver_access_mode=PRIVATE_ONLY"]
BYO_ROLE = ["--set", "execution_role_arn=arn:aws:iam::123456789012:role/service-role/team"]

BAD_SET = [
    # (arguments, setting named, allowed values mentioned)
    (["--set", "min_webservers=1"], "min_webservers", "between 2 and 5 for mw1.small"),
    (["--set", "max_webservers=6"], "max_webservers", "between 2 and 5"),
    (
        ["--set", "min_webservers=4", "--set", "max_webservers=3"],
        "min_webservers",
        "must not exceed max_webservers (3)",
    ),
    (["--set", "max_webservers=two"], "max_webservers", "whole number"),
    ([*MICRO], "min_webservers", "must be 1 for mw1.micro"),
    ([*MICRO, "--set", "min_webservers=1"], "max_webservers", "must be 1 for mw1.micro"),
    (["--set", "worker_replacement_strategy=SLOW"], "worker_replacement_strategy", "FORCED, GRACEFUL"),
    (["--set", "worker_replacement_strategy=graceful"], "worker_replacement_strategy", "FORCED, GRACEFUL"),
    (["--set", "endpoint_management=AWS"], "endpoint_management", "SERVICE, CUSTOMER"),
    (
        ["--set", "webserver_access_mode=PUBLIC_AND_PRIVATE", "--set", "airflow_version=3.0.6"],
        "webserver_access_mode",
        "needs Airflow 3.2 or later (airflow_version is 3.0.6)",
    ),
    (
        ["--set", "webserver_access_mode=PUBLIC_AND_PRIVATE", "--set", "airflow_version=2.11.2"],
        "webserver_access_mode",
        "needs Airflow 3.2",
    ),
    (["--set", "webserver_access_mode=BOTH"], "webserver_access_mode", "PUBLIC_AND_PRIVATE"),
    (["--set", "dag_s3_path=/dags"], "dag_s3_path", "folder inside the source bucket"),
    (["--set", "dag_s3_path=s3://bucket/dags"], "dag_s3_path", "folder inside the source bucket"),
    (["--set", "dag_s3_path=dags/"], "dag_s3_path", "folder inside the source bucket"),
    (["--set", "dag_s3_path=teams/../dags"], "dag_s3_path", "folder inside the source bucket"),
    (["--set", "dag_s3_path="], "dag_s3_path", "folder inside the source bucket"),
    (["--set", "dag_s3_path=dags with space"], "dag_s3_path", "folder inside the source bucket"),
    (["--set", "airflow_configuration_options=core.executor=LocalExecutor"], "core.executor", "reserved by MWAA"),
    (["--set", "airflow_configuration_options=database.sql_alchemy_conn=x"], "sql_alchemy_conn", "metadata database"),
    (["--set", "airflow_configuration_options=metrics.statsd_host=x"], "metrics.statsd_host", "statsd_on"),
    (["--set", "airflow_configuration_options=logging.logging_config_class=x"], "logging", "LogsLevel parameters"),
    (["--set", "airflow_configuration_options=webserver.secret_key=x"], "secret_key", "IAM sign-in"),
    (["--set", "airflow_configuration_options=parallelism=64"], "parallelism", "section.key"),
    (["--set", "airflow_configuration_options=Core.Parallelism=64"], "Core.Parallelism", "lower-case"),
    (["--set", "airflow_configuration_options=core.a.b=1"], "core.a.b", "one '.'"),
    (["--set", "airflow_configuration_options=core.parallelism="], "core.parallelism", "printable ASCII"),
    (["--set", "airflow_configuration_options=core.parallelism"], "airflow_configuration_options", "KEY=VALUE"),
    (
        ["--set", "airflow_configuration_options=core.dag_run_conf_overrides_params=false"],
        "core.dag_run_conf_overrides_params",
        "the template sets core.dag_run_conf_overrides_params to true",
    ),
    (["--set", "airflow_configuration_options=app.env=prd"], "app.env", "AppEnv parameter (set app_env)"),
    (
        ["--set", "secrets_backend=true", "--set", "airflow_configuration_options=secrets.backend=x"],
        "secrets.backend",
        "the template sets secrets.backend",
    ),
    (["--set", "disabled_log_types=tasks"], "disabled_log_types", "dag_processing, scheduler, task"),
    (["--set", "disabled_log_types=task,task"], "disabled_log_types", "must not repeat"),
    (["--set", "log_retention_days=10"], "log_retention_days", "1, 3, 5, 7, 14"),
    (["--set", "log_retention_days=-1"], "log_retention_days", "CloudWatch's retention periods"),
    (["--set", "log_retention_days=forever"], "log_retention_days", "whole number"),
    (["--set", "managed_policy_arns=AdministratorAccess"], "managed_policy_arns", "IAM policy ARNs"),
    (["--set", "managed_policy_arns=arn:aws:iam::aws:role/x"], "managed_policy_arns", "IAM policy ARNs"),
    (
        ["--set", "managed_policy_arns=arn:aws:iam::aws:policy/A,arn:aws:iam::aws:policy/A"],
        "managed_policy_arns",
        "different ARNs",
    ),
    (["--set", "permissions_boundary_arn=boundary"], "permissions_boundary_arn", "IAM policy ARN"),
    (["--set", "execution_role_arn=arn:aws:iam::123:role/x"], "execution_role_arn", "IAM role ARN"),
    (["--set", "execution_role_arn=team-role"], "execution_role_arn", "IAM role ARN"),
    (
        [*BYO_ROLE, "--set", "managed_policy_arns=arn:aws:iam::aws:policy/A"],
        "managed_policy_arns",
        "applies only to the role the stack creates",
    ),
    (
        [*BYO_ROLE, "--set", "permissions_boundary_arn=arn:aws:iam::123456789012:policy/b"],
        "permissions_boundary_arn",
        "applies only to the role the stack creates",
    ),
    ([*BYO_ROLE, "--set", "secrets_backend=true"], "secrets_backend", "grant it in that role"),
    ([*BYO_ROLE, "--set", "kms_key=create"], "kms_key", "cannot name the stack's new key"),
    (["--set", "source_bucket_arn=my-bucket"], "source_bucket_arn", "S3 bucket ARN"),
    (["--set", "source_bucket_arn=arn:aws:s3:::My_Bucket"], "source_bucket_arn", "S3 bucket ARN"),
    (["--set", "source_bucket_arn=arn:aws:s3:::bucket/dags"], "source_bucket_arn", "S3 bucket ARN"),
    (
        ["--set", "source_bucket_arn=arn:aws:s3:::team-dags", "--set", "noncurrent_version_days=30"],
        "noncurrent_version_days",
        "applies only to the bucket the stack creates",
    ),
    (["--set", "noncurrent_version_days=0"], "noncurrent_version_days", "between 1 and 3650"),
    (["--set", "noncurrent_version_days=3651"], "noncurrent_version_days", "between 1 and 3650"),
    (["--set", "extra_security_group_ids=default"], "extra_security_group_ids", "security group ids"),
    (
        ["--set", "extra_security_group_ids=sg-0a1b2c3d,sg-0a1b2c3d"],
        "extra_security_group_ids",
        "at most 4 different groups",
    ),
    (
        ["--set", "extra_security_group_ids=" + ",".join(f"sg-0a1b2c3{n}" for n in range(5))],
        "extra_security_group_ids",
        "at most 4",
    ),
    ([*PRIVATE, "--set", "webserver_ingress_cidrs=0.0.0.0/0"], "webserver_ingress_cidrs", "every address"),
    ([*PRIVATE, "--set", "webserver_ingress_cidrs=10.0.0.1/16"], "webserver_ingress_cidrs", "no host bits"),
    ([*PRIVATE, "--set", "webserver_ingress_cidrs=10.0.0.0/33"], "webserver_ingress_cidrs", "IPv4 CIDR blocks"),
    ([*PRIVATE, "--set", "webserver_ingress_cidrs=vpn"], "webserver_ingress_cidrs", "IPv4 CIDR blocks"),
    (["--set", "webserver_ingress_cidrs=10.0.0.0/16"], "webserver_ingress_cidrs", "private web server"),
    (["--set", "extra_policy_statements=s3:GetObject"], "extra_policy_statements", "set it in a settings file"),
]

STATEMENT = (
    '[[extra_policy_statements]]\nsid = "Read"\neffect = "Allow"\nactions = ["s3:GetObject"]\nresources = ["*"]\n'
)

BAD_FILES = [
    # (settings file, setting named, allowed values mentioned)
    ("extra_policy_statements = 3\n", "extra_policy_statements", "array of tables"),
    (STATEMENT.replace('sid = "Read"\n', ""), "extra_policy_statements[1].sid", "needs a sid"),
    (STATEMENT.replace('"Read"', '"Read-objects"'), "sid", "letters and digits"),
    (STATEMENT + STATEMENT, "'Read'", "sids must be unique"),
    (STATEMENT.replace('"Read"', '"RunEmrSteps"'), "RunEmrSteps", "not one of the template's own"),
    (STATEMENT.replace('"Allow"', '"allow"'), "effect", "Allow or Deny"),
    (STATEMENT.replace('effect = "Allow"\n', ""), "effect", "Allow or Deny"),
    (STATEMENT.replace('["s3:GetObject"]', '["*"]'), "actions", "service:Action"),
    (STATEMENT.replace('["s3:GetObject"]', '["GetObject"]'), "actions", "service:Action"),
    (STATEMENT.replace('["s3:GetObject"]', '["s3 GetObject"]'), "actions", "service:Action"),
    (STATEMENT.replace('["s3:GetObject"]', "[]"), "actions", "non-empty list"),
    (STATEMENT.replace('["s3:GetObject"]', '["s3:*"]'), "s3:*", "administrator"),
    (STATEMENT.replace('["s3:GetObject"]', '["iam:PassRole"]'), "iam:PassRole", "name the roles"),
    (STATEMENT.replace('["s3:GetObject"]', '["iam:Pass*"]'), "iam:Pass*", "name the roles"),
    (STATEMENT.replace('["*"]', '["my-bucket"]'), "resources", "* or an ARN"),
    (STATEMENT.replace('["*"]', '["arn:${AWS::Partition}:s3:::${Bucket}/*"]'), "resources", "may use only"),
    (STATEMENT.replace('["*"]', '["arn:${AWS::Partition:s3:::b"]'), "resources", "unclosed"),
    (STATEMENT.replace('resources = ["*"]\n', ""), "resources", "non-empty list"),
    (STATEMENT + 'principal = "*"\n', "principal", "unknown key"),
    (STATEMENT + 'condition = "yes"\n', "condition", "must be a table"),
    (STATEMENT + 'condition = { StringEqual = { "aws:x" = "y" } }\n', "StringEqual", "IAM condition operator"),
    (STATEMENT + 'condition = { StringEquals = { "aws:x" = { a = 1 } } }\n', "aws:x", "values must be"),
    ('[airflow_configuration_options]\n"core.executor" = "CeleryExecutor"\n', "core.executor", "reserved"),
    (
        '[airflow_configuration_options]\n"core.parallelism" = [1, 2]\n',
        "core.parallelism",
        "strings, numbers or booleans",
    ),
    ('disabled_log_types = ["task", "scheduler", "tasks"]\n', "disabled_log_types", "must name modules"),
]


@pytest.mark.parametrize("args,setting,allowed", BAD_SET, ids=[" ".join(c[0][1::2]) for c in BAD_SET])
def test_bad_team_settings_exit_2_with_one_line_and_write_nothing(tmp_path, args, setting, allowed):
    assert_refused(tmp_path, args, setting, allowed)


@pytest.mark.parametrize("content,setting,allowed", BAD_FILES, ids=[f"{c[1]}:{c[2]}" for c in BAD_FILES])
def test_bad_team_settings_files_exit_2_with_one_line_and_write_nothing(tmp_path, content, setting, allowed):
    settings = tmp_path / "team.toml"
    settings.write_text(content)
    assert_refused(tmp_path, ["--settings", str(settings)], setting, allowed)
