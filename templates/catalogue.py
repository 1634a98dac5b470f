"""What Amazon MWAA is, as the tool acts on it: each fact once, with its source.

The build (settings, parameters, rules, environment, log groups), the operating side
(preflight, sync, status, logs, every wait) and the emulator read these; none keeps a
copy.  Pure data and small lookups: no troposphere, no AWS.  Sources are named beside
each fact: the MWAA user guide by page and section, botocore's MWAA model (the pinned
``botocore``), or a file of AWS's MWAA images (aws/amazon-mwaa-docker-images, checked at
9d2bebb, 2026-08-20).  Adding a version MWAA announces is one line in ``AIRFLOW``.
"""

from __future__ import annotations

from typing import NamedTuple

# --- Airflow versions ----------------------------------------------------------------------


class AirflowRelease(NamedTuple):
    version: str
    python: str  # the Python MWAA runs it on (major.minor)
    available: str  # when MWAA made it available

    @property
    def key(self) -> tuple[int, ...]:
        return version_key(self.version)

    @property
    def major(self) -> int:
        return self.key[0]

    @property
    def constraints_url(self) -> str:
        """The --constraint line the user guide gives for this version."""
        return (
            f"https://raw.githubusercontent.com/apache/airflow/constraints-{self.version}/constraints-{self.python}.txt"
        )


# User guide, "Apache Airflow versions on Amazon MWAA" (the table's constraints file and
# Python columns), confirmed by the images' Dockerfile.base PYTHON_VERSION: 3.11.9 for
# 2.9.2-2.10.3; 3.12.10 for 2.11.0, 2.11.2 and 3.0.6; 3.12.13 for 3.2.1 and 3.3.1.  Both
# 2.11 releases run Python 3.12 (image commit f2624ad, "Upgrading to python 3.12 for
# airflow 2.11.0 image").  In version order; the newest is the template's default.
AIRFLOW: tuple[AirflowRelease, ...] = (
    AirflowRelease("2.7.2", "3.11", "2023-11-06"),
    AirflowRelease("2.8.1", "3.11", "2024-02-23"),
    AirflowRelease("2.9.2", "3.11", "2024-07-09"),
    AirflowRelease("2.10.1", "3.11", "2024-09-26"),
    AirflowRelease("2.10.3", "3.11", "2024-12-18"),
    AirflowRelease("2.11.0", "3.12", "2026-01-07"),
    AirflowRelease("2.11.2", "3.12", "2026-07-23"),
    AirflowRelease("3.0.6", "3.12", "2025-10-01"),
    AirflowRelease("3.2.1", "3.12", "2026-05-19"),
    AirflowRelease("3.3.1", "3.12", "2026-09-01"),
)
AIRFLOW_VERSIONS: tuple[str, ...] = tuple(r.version for r in AIRFLOW)
RELEASES: dict[str, AirflowRelease] = {r.version: r for r in AIRFLOW}
DEFAULT_AIRFLOW_VERSION = AIRFLOW_VERSIONS[-1]
# botocore's MWAA model, WebserverAccessMode: PUBLIC_AND_PRIVATE "is only available for
# Apache Airflow version 3.2 and later".
PUBLIC_AND_PRIVATE_SINCE = (3, 2)


def version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


# Upgrade paths: user guide, "Changing the Apache Airflow version".  Minor upgrades and
# downgrades within a major happen in place; Airflow 2 -> 3 goes in place only from the
# newest 2.11.x; from 2.10.3 or older Airflow 3 needs a new environment; 3.y -> 2.11.x
# downgrades are supported.  Whether MWAA refuses 2.11.0 -> 3.x in place, rather than
# advising against it, is unverified: it is treated as a step through the newest 2.11.
NEWEST_AIRFLOW_2 = max((r for r in AIRFLOW if r.major == 2), key=lambda r: r.key).version
NEW_ENVIRONMENT_AT_OR_BELOW = "2.10.3"


def upgrade_steps(current: str, target: str) -> tuple[str, ...] | None:
    """The versions an environment passes through from ``current`` to ``target``, in place;
    None when ``target`` needs a new environment."""
    frm, to = RELEASES[current], RELEASES[target]
    if frm.major == to.major or (frm.major == 3 and to.key[:2] == (2, 11)):
        return (target,)
    if frm.key <= version_key(NEW_ENVIRONMENT_AT_OR_BELOW):
        return None
    return (target,) if current == NEWEST_AIRFLOW_2 else (NEWEST_AIRFLOW_2, target)


# --- environment classes and their limits ----------------------------------------------------


class EnvironmentClass(NamedTuple):
    name: str
    workers: tuple[int, int]  # MinWorkers/MaxWorkers bounds
    schedulers: tuple[int, int]
    webservers: tuple[int, int]  # MinWebservers/MaxWebservers bounds


# Classes: botocore's MWAA model, EnvironmentClass ("mw1.micro, mw1.small, mw1.medium,
# mw1.large, mw1.xlarge, and mw1.2xlarge").  Schedulers and web servers: the same model's
# Schedulers and MinWebservers ("For environments larger than mw1.micro, accepts values
# from 2 to 5 ... mw1.micro, which defaults to 1"); user guide, "Configuring the Amazon
# MWAA environment class": "mw1.micro does not support auto-scaling" (one worker).  The
# 25-worker ceiling is the quick start's and the console's; the model gives only min 1,
# and the quotas page was not in reach to confirm it (unverified).
MAX_WORKERS = 25
_LARGER = dict(workers=(1, MAX_WORKERS), schedulers=(2, 5), webservers=(2, 5))
ENVIRONMENT_CLASSES: tuple[EnvironmentClass, ...] = (
    EnvironmentClass("mw1.micro", workers=(1, 1), schedulers=(1, 1), webservers=(1, 1)),
    *(
        EnvironmentClass(name, **_LARGER)
        for name in ("mw1.small", "mw1.medium", "mw1.large", "mw1.xlarge", "mw1.2xlarge")
    ),
)
CLASSES: dict[str, EnvironmentClass] = {c.name: c for c in ENVIRONMENT_CLASSES}
QUICK_START_CLASS = "mw1.small"  # the quick start's EnvironmentClass default


def widest(limit: str) -> tuple[int, int]:
    """The bounds of ``limit`` (workers, schedulers, webservers) across every class."""
    bounds = [getattr(c, limit) for c in ENVIRONMENT_CLASSES]
    return min(low for low, _ in bounds), max(high for _, high in bounds)


# botocore's MWAA model, SecurityGroupList (min 1, max 5); CloudFormation's
# AWS::MWAA::Environment NetworkConfiguration page: "Accepts up to 5 security group IDs".
MAX_SECURITY_GROUPS = 5
WEBSERVER_ACCESS_MODES: tuple[str, ...] = ("PUBLIC_ONLY", "PRIVATE_ONLY", "PUBLIC_AND_PRIVATE")  # cfn-lint's schema
WORKER_REPLACEMENT_STRATEGIES: tuple[str, ...] = ("FORCED", "GRACEFUL")  # cfn-lint's schema
ENDPOINT_MANAGEMENTS: tuple[str, ...] = ("SERVICE", "CUSTOMER")  # cfn-lint's schema
LOG_LEVELS: tuple[str, ...] = ("CRITICAL", "ERROR", "WARNING", "INFO", "DEBUG")  # cfn-lint's schema

# --- logs ---------------------------------------------------------------------------------------


class LogModule(NamedTuple):
    setting: str  # as disabled_log_types names it; its level is the setting <setting>_log_level
    configuration: str  # MWAA's LoggingConfiguration key (cfn-lint's schema)
    group_suffix: str  # the group MWAA writes to: airflow-<EnvironmentName>-<suffix>
    label: str  # for descriptions
    log_type: str  # TYPE= of `make logs`

    @property
    def level_setting(self) -> str:
        return f"{self.setting}_log_level"

    @property
    def level_parameter(self) -> str:
        return f"{self.configuration}Level"

    @property
    def group_logical_id(self) -> str:
        return f"{self.group_suffix}LogGroup"


# Group names: user guide, "Accessing Airflow logs in Amazon CloudWatch" (DAGProcessing,
# Scheduler, Task, WebServer, Worker under airflow-<environment name>); the same groups
# the images' CloudWatch handlers write to without creating them (create_log_group=False,
# images/airflow/*/python/mwaa/logging/cloudwatch_handlers.py).  In MWAA's order.
LOG_MODULES: tuple[LogModule, ...] = (
    LogModule("dag_processing", "DagProcessingLogs", "DAGProcessing", "DAG processing", "dag-processing"),
    LogModule("scheduler", "SchedulerLogs", "Scheduler", "scheduler", "scheduler"),
    LogModule("task", "TaskLogs", "Task", "task", "task"),
    LogModule("worker", "WorkerLogs", "Worker", "worker", "worker"),
    LogModule("webserver", "WebserverLogs", "WebServer", "web server", "webserver"),
)

# CloudWatch Logs PutRetentionPolicy, retentionInDays (botocore's logs model); 0 here means
# "leave MWAA's groups alone", which keep their logs forever.
LOG_RETENTION_DAYS: tuple[int, ...] = (0, 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827)
LOG_RETENTION_DAYS += (2192, 2557, 2922, 3288, 3653)

# --- the optional files MWAA reads from the source bucket --------------------------------------


class S3File(NamedTuple):
    name: str  # MWAA's property prefix: RequirementsS3Path, RequirementsS3ObjectVersion
    setting: str  # the Settings field holding its object key when the template names it
    default_key: str  # where `make sync` puts it when neither the template nor the environment names one
    label: str  # for messages

    @property
    def path_property(self) -> str:
        return f"{self.name}S3Path"

    @property
    def version_property(self) -> str:
        """MWAA's property, and also the name of the template's parameter that carries it."""
        return f"{self.name}S3ObjectVersion"

    @property
    def condition(self) -> str:
        return f"Has{self.name}Version"


# cfn-lint's schema: RequirementsS3Path/ObjectVersion, PluginsS3Path/..., StartupScriptS3Path/...
REQUIREMENTS = S3File("Requirements", "requirements_s3_path", "dags/requirements.txt", "requirements")
PLUGINS = S3File("Plugins", "plugins_s3_path", "plugins.zip", "plugins")
STARTUP_SCRIPT = S3File("StartupScript", "startup_script_s3_path", "startup.sh", "startup script")
S3_FILES: tuple[S3File, ...] = (REQUIREMENTS, PLUGINS, STARTUP_SCRIPT)
# Where MWAA lays out the DAG folder in its containers (user guide, "Managing Python
# dependencies in requirements.txt": --constraint "/usr/local/airflow/dags/constraints.txt").
CONTAINER_DAGS = "/usr/local/airflow/dags"

# --- Airflow options MWAA keeps for itself --------------------------------------------------------

_QUEUE = "MWAA runs Airflow's Celery executor on its own SQS queue"
_DATABASE = "MWAA owns the metadata database and the keys that encrypt it"
_SIGN_IN = "MWAA's IAM sign-in to the Airflow UI and API depends on it"
_LOGGING = "MWAA sends logs to CloudWatch through its own logging configuration; use the *LogsLevel parameters"

# The options the images mark "essential and cannot be overridden by the customer"
# (images/airflow/<version>/python/mwaa/config/airflow.py, get_essential_airflow_config),
# with their Airflow 2 spellings, each with the reason given to a user who sets one.
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
# Every [metrics] option feeds MWAA's CloudWatch metrics, except these three, which MWAA's
# metrics sidecar reads and applies (images/.../python/mwaa/config/airflow.py).
METRICS_OPTIONS_ALLOWED = ("metrics.statsd_on", "metrics.metrics_allow_list", "metrics.metrics_block_list")

# --- startup-script variables MWAA restores -------------------------------------------------------

# User guide, "Using a startup script with Amazon MWAA", section "Reserved environment
# variables": "If you overwrite a reserved variable, Amazon MWAA restores it to its default".
RESERVED_VARIABLES_DOCUMENTED = frozenset(
    {
        "MWAA__AIRFLOW__COMPONENT",
        "AIRFLOW__WEBSERVER__SECRET_KEY",
        "AIRFLOW__CORE__FERNET_KEY",
        "AIRFLOW_HOME",
        "AIRFLOW__CELERY__BROKER_URL",
        "AIRFLOW__CELERY__RESULT_BACKEND",
        "AIRFLOW__CORE__EXECUTOR",
        "AIRFLOW__CORE__LOAD_EXAMPLES",
        "AIRFLOW__METRICS__METRICS_BLOCK_LIST",
        "SQL_ALCHEMY_CONN",
        "AIRFLOW__CORE__SQL_ALCHEMY_CONN",
        "AIRFLOW__CELERY__DEFAULT_QUEUE",
        "AIRFLOW__OPERATORS__DEFAULT_QUEUE",
        "AIRFLOW_VERSION",
        "AIRFLOW_CONN_AWS_DEFAULT",
        "AWS_DEFAULT_REGION",
        "AWS_REGION",
        "PYTHONUNBUFFERED",
        "AIRFLOW__METRICS__STATSD_ALLOW_LIST",
        "AIRFLOW__METRICS__STATSD_ON",
        "AIRFLOW__METRICS__STATSD_HOST",
        "AIRFLOW__METRICS__STATSD_PORT",
        "AIRFLOW__METRICS__STATSD_PREFIX",
        "AIRFLOW__CELERY__WORKER_AUTOSCALE",
        "AIRFLOW__CORE__DAG_CONCURRENCY",
        "AIRFLOW__CORE__MAX_ACTIVE_TASKS_PER_DAG",
        "AIRFLOW__CORE__PARALLELISM",
        "AIRFLOW__SCHEDULER__PARSING_PROCESSES",
        "AIRFLOW__CELERY_BROKER_TRANSPORT_OPTIONS__VISIBILITY_TIMEOUT",
        "AIRFLOW__CELERY_BROKER_TRANSPORT_OPTIONS__REGION",
        "AIRFLOW__CELERY_BROKER_TRANSPORT_OPTIONS__PREDEFINED_QUEUES",
        "AIRFLOW_SCHEDULER_ALLOWED_RUN_ID_PATTERN",
        "AIRFLOW__WEBSERVER__BASE_URL",
    }
)
# The same page: PYTHONPATH is reserved "only for Apache Airflow v2.9 and later".
PYTHONPATH_RESERVED_SINCE = (2, 9)
# What the images' setup_environment.py protects (_is_protected_os_environ: the MWAA__
# prefix and its protected_vars list; AIRFLOW__API__BASE_URL from 3.x) and what environ.py
# always sets (AWS_EXECUTION_ENV, MWAA_AIRFLOW_COMPONENT, MWAA_COMMAND).
RESERVED_VARIABLES_PROTECTED = frozenset(
    {
        "AIRFLOW_ENV_ID",
        "AIRFLOW_ENV_NAME",
        "AIRFLOW_HOME",
        "AIRFLOW_TASK_REVISION_ID",
        "AIRFLOW_VERSION",
        "AIRFLOW__AWS_MWAA__REDIRECT_URL",
        "JWT_PUBLIC_KEY",
        "AIRFLOW__WEBSERVER__BASE_URL",
        "AIRFLOW__API__BASE_URL",
        "AWS_DEFAULT_REGION",
        "AWS_REGION",
        "CUSTOMER_ACCOUNT_ID",
        "ECS_AGENT_URI",
        "ECS_CONTAINER_METADATA_URI",
        "ECS_CONTAINER_METADATA_URI_V4",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_EXECUTION_ENV",
        "PYTHONUNBUFFERED",
        "WATCHTOWER_VERSION",
        "USE_NON_CRITICAL_LOGGING",
        "AIRFLOW__CORE__DATABASE_ACCESS_ISOLATION",
        "MWAA_AIRFLOW_COMPONENT",
        "MWAA_COMMAND",
    }
)
RESERVED_VARIABLE_PREFIX = "MWAA__"
# The variable each reserved option becomes in MWAA's containers (AIRFLOW__SECTION__KEY).
RESERVED_OPTION_VARIABLES = frozenset("AIRFLOW__" + key.replace(".", "__").upper() for key in RESERVED_OPTIONS)


def reserved_variable(name: str, version: str) -> bool:
    """Whether MWAA resets ``name`` after the startup script of an Airflow ``version``
    environment exports it (the lists above, and AIRFLOW__<SECTION>__<KEY> of each
    reserved option)."""
    if name.startswith(RESERVED_VARIABLE_PREFIX) or name in RESERVED_VARIABLES_DOCUMENTED:
        return True
    if name in RESERVED_VARIABLES_PROTECTED:
        return True
    if name == "PYTHONPATH":
        return version_key(version)[:2] >= PYTHONPATH_RESERVED_SINCE
    return name in RESERVED_OPTION_VARIABLES


# --- environment statuses ---------------------------------------------------------------------

# botocore's MWAA model, EnvironmentStatus, every value with what its documentation says:
# transitional statuses end by themselves; a wait stops only at a final one.
STATUSES: dict[str, str] = {
    "CREATING": "transitional",  # the request to create the environment is in progress
    "CREATING_SNAPSHOT": "transitional",  # an update or upgrade is snapshotting the metadata database
    "UPDATING": "transitional",
    "ROLLING_BACK": "transitional",  # an update failed; MWAA restores the latest snapshot
    "PENDING": "transitional",  # creation paused until the VPC endpoints exist (CUSTOMER endpoints)
    "MAINTENANCE": "transitional",  # MWAA's maintenance, ends by itself
    "DELETING": "transitional",
    "AVAILABLE": "final",
    "UPDATE_FAILED": "final",  # restored to its previous state and usable
    "CREATE_FAILED": "final",
    "UNAVAILABLE": "final",  # failed and not stable
    "DELETED": "final",
}
TRANSITIONAL_STATUSES = frozenset(s for s, kind in STATUSES.items() if kind == "transitional")
