"""The team's own Airflow configuration options, checked before they reach MWAA.

MWAA turns each ``section.key`` option into ``AIRFLOW__SECTION__KEY`` in its
containers.  Some options it sets itself and silently wins over: the executor,
the metadata database and queue, its logging and metrics plumbing and the
keys of its IAM sign-in.  Setting one of those builds an environment that
does not do what its template says, so they are refused here with the
reason.  The list is MWAA's own: the options its container images mark
"essential and cannot be overridden by the customer" (aws/amazon-mwaa-docker-images,
``images/airflow/<version>/python/mwaa/config/airflow.py``,
``get_essential_airflow_config``) plus their Airflow 2 spellings.  The MWAA
user guide ("Using Apache Airflow configuration options") documents the
``section.key`` form and the key pattern (CreateEnvironment API reference).
"""

from __future__ import annotations

import re

# Key pattern of the CreateEnvironment API, narrowed to exactly one section and a key.
OPTION_KEY_PATTERN = r"^[a-z][a-z0-9_]*\.[a-z0-9_]*[a-z0-9_]$"
OPTION_KEY_MAX = 64
OPTION_VALUE_PATTERN = r"^[ -~]{1,65536}$"  # printable ASCII, as the API requires

_QUEUE = "MWAA runs Airflow's Celery executor on its own SQS queue"
_DATABASE = "MWAA owns the metadata database and the keys that encrypt it"
_SIGN_IN = "MWAA's IAM sign-in to the Airflow UI and API depends on it"
_LOGGING = "MWAA sends logs to CloudWatch through its own logging configuration; use the *LogsLevel parameters"

RESERVED_OPTIONS: dict[str, str] = {
    "core.executor": _QUEUE,
    "celery.broker_url": _QUEUE,
    "celery.result_backend": _QUEUE,
    "celery.celery_config_options": _QUEUE,
    "celery.worker_enable_remote_control": _QUEUE,
    "celery_broker_transport_options.visibility_timeout": _QUEUE,
    "operators.default_queue": _QUEUE,
    "core.fernet_key": _DATABASE,
    "core.sql_alchemy_conn": _DATABASE,
    "database.sql_alchemy_conn": _DATABASE,
    "core.load_examples": "MWAA never loads Airflow's example DAGs",
    "core.execution_api_server_url": "MWAA points tasks at its own API server",
    "core.auth_manager": _SIGN_IN,
    "api_auth.jwt_secret": _SIGN_IN,
    "api_auth.jwt_algorithm": _SIGN_IN,
    "execution_api.jwt_expiration_time": _SIGN_IN,
    "api.secret_key": _SIGN_IN,
    "webserver.secret_key": _SIGN_IN,
    "fab.config_file": _SIGN_IN,
    "logging.logging_config_class": _LOGGING,
    "logging.colored_console_log": _LOGGING,
    "scheduler.standalone_dag_processor": "MWAA runs the DAG processor as its own component",
}
# Every [metrics] option feeds MWAA's CloudWatch metrics, except these three, which MWAA
# reads and applies in its metrics sidecar.
METRICS_OPTIONS_ALLOWED = ("metrics.statsd_on", "metrics.metrics_allow_list", "metrics.metrics_block_list")
_METRICS = "MWAA publishes Airflow's metrics to CloudWatch through StatsD; only " + ", ".join(METRICS_OPTIONS_ALLOWED)


def option_problem(key: str, value: str) -> str | None:
    """Why ``key = value`` cannot be an MWAA configuration option, or None."""
    if len(key) > OPTION_KEY_MAX or not re.match(OPTION_KEY_PATTERN, key):
        return (
            f"keys must look like section.key: lower-case letters, digits and '_', one '.', "
            f"at most {OPTION_KEY_MAX} characters"
        )
    if key in RESERVED_OPTIONS:
        return f"{key} is reserved by MWAA: {RESERVED_OPTIONS[key]}"
    if key.startswith("metrics.") and key not in METRICS_OPTIONS_ALLOWED:
        return f"{key} is reserved by MWAA: {_METRICS} may be set"
    if not re.match(OPTION_VALUE_PATTERN, value):
        return "values must be 1-65536 printable ASCII characters"
    return None


def option_value(value: object) -> str:
    """A TOML value as the string MWAA stores: booleans as Airflow writes them in
    airflow.cfg (``true``/``false``), numbers as written."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return value if isinstance(value, str) else str(value)
