"""An emulator of the MWAA API and of the environment web server's CLI endpoint.

moto has no MWAA API.  This serves, over HTTPS on 127.0.0.1, exactly the calls
mwaa-stack makes, with the shapes of botocore's MWAA model:

* ``GET /environments/{Name}`` (GetEnvironment) and ``PATCH /environments/{Name}``
  (UpdateEnvironment), for the environments the patched moto created from the
  CloudFormation template (``models.mwaa_backend``);
* ``POST /clitoken/{Name}`` and ``POST /webtoken/{Name}``: 60-second tokens, with
  this server as the web server host name;
* ``POST /aws_mwaa/cli`` with ``Authorization: Bearer <cli token>``: a small Airflow
  CLI (``version``, ``dags list``, ``dags trigger DAG [--conf JSON]``) answering
  base64 stdout/stderr as MWAA does; DAGs are read from the .py files under the
  environment's DagS3Path in (moto's) S3: their ``dag_id="..."`` literals, or the
  file's name for a file that builds a ``DAG(`` with a computed id;
* ``POST /restapi/{Name}`` (InvokeRestApi) for ``POST /dags/{id}/dagRuns`` with
  Airflow 3's request model (``logical_date`` required, unknown keys refused), and
  the health endpoint (``GET /monitor/health``, Airflow 2: ``/health``);
* ``GET /dags`` and ``GET /importErrors`` through InvokeRestApi, in the shape of each
  major (Airflow 2: ``filename`` absolute under ``/usr/local/airflow/dags``; Airflow 3:
  relative to the ``dags-folder`` bundle), with ``limit``/``offset``: each DAG file in S3
  is parsed ``delay`` seconds after its newest version was written, into its DAGs or an
  import error, as a test scripts it (``script_parse``);
* environments pass through UPDATING after an update and end AVAILABLE or
  UPDATE_FAILED as a test scripts it (``models.MwaaBackend.script_update``).

Clients reach it through standard settings only: ``AWS_ENDPOINT_URL_MWAA``,
``AWS_DISABLE_HOST_PREFIX_INJECTION=true`` (the real API prefixes ``api.``/``env.``
to the host), and ``AWS_CA_BUNDLE``/``SSL_CERT_FILE`` naming its certificate.
"""

from __future__ import annotations

import base64
import datetime
import json
import re
import secrets
import shlex
import ssl
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from .models import mwaa_backend

TOKEN_SECONDS = 60
# A run that succeeds on the second look, unless a test scripts another (``script_run``).
DEFAULT_RUN = [("running", {"check_cluster": "running"}), ("success", {"check_cluster": "success"})]
ACCOUNT = "123456789012"


def self_signed_certificate(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 (IP SAN), so clients verify TLS as against AWS."""
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "mwaa-emulator")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "mwaa-emulator.pem", folder / "mwaa-emulator.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_path, key_path


def _dag_files(environment):
    """(name relative to the DAG folder, moto's newest object) of each .py file in the
    environment's DAG folder; one whose newest version is a delete marker is gone."""
    from moto.s3.models import s3_backends

    bucket = s3_backends[ACCOUNT]["aws"].buckets[environment.props["SourceBucketArn"].split(":::")[-1]]
    prefix = environment.props["DagS3Path"].rstrip("/") + "/"
    for key in sorted(bucket.keys):
        item = bucket.keys[key]
        if key.startswith(prefix) and key.endswith(".py") and hasattr(item, "value"):
            yield key.removeprefix(prefix), item


def _dag_ids_in(relative: str, source: str) -> list[str]:
    """The DAG ids a file defines, as the emulator reads them: its literal ``dag_id=``s, else
    the file's stem when it builds a ``DAG(``."""
    literal = re.findall(r"dag_id\s*=\s*[\"']([\w.\-]+)[\"']", source)
    return literal or ([Path(relative).stem] if "DAG(" in source else [])


class MwaaEmulator:
    def __init__(self, folder: Path, region: str) -> None:
        self.region = region
        self.cert, key = self_signed_certificate(folder)
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.server.emulator = self
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.cert, key)
        self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.host = f"127.0.0.1:{self.server.server_address[1]}"
        self.url = f"https://{self.host}"
        self.tokens: dict[str, tuple[str, str, float]] = {}  # token -> (kind, environment, expiry)
        self.requests: list[dict[str, Any]] = []  # what clients sent, for assertions on request shape
        self.dag_runs: list[dict[str, Any]] = []
        self.scheduler_health = "healthy"
        self.run_frames: list[tuple[str, dict[str, str]]] = DEFAULT_RUN
        self.task_logs: dict[str, list[str]] = {}
        # The environments served (made and deleted by CloudFormation in moto): tests script
        # their updates and read their properties here, never through the module's global.
        self.state = mwaa_backend
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> MwaaEmulator:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(timeout=10)

    def reset(self) -> None:
        self.tokens.clear()
        self.requests.clear()
        self.dag_runs.clear()
        self.scheduler_health = "healthy"
        self.script_run(DEFAULT_RUN)
        self.cli_extra: bytes = b""
        self.rest_answers: list[tuple[re.Pattern[str], dict]] = []
        self.parses: dict[str, tuple[float, str | None]] = {}  # file name -> (delay, import error)

    def script_cli(self, extra: bytes) -> None:
        """Bytes every CLI command prints after its own output (a DAG or plugin that prints)."""
        self.cli_extra = extra

    def script_rest(self, method_path: str, body: dict) -> None:
        """Answer InvokeRestApi calls whose ``METHOD /path`` matches the regex with ``body``, the
        whole JSON answer as it is (malformed on purpose)."""
        self.rest_answers.append((re.compile(method_path), body))

    def script_parse(self, file_name: str, delay: float = 0.0, error: str | None = None) -> None:
        """How the DAG processor takes ``file_name`` (relative to the DAG folder): ``delay``
        seconds after its upload, into its DAGs, or into the import error ``error``."""
        self.parses[file_name] = (delay, error)

    def parsed(self, environment) -> tuple[list[dict], list[dict]]:
        """(DAGs, import errors) the environment's DAG processor shows now, Airflow's shapes."""
        major = int(environment.props["AirflowVersion"].split(".")[0])
        dags, errors = [], []
        for relative, item in _dag_files(environment):
            delay, error = self.parses.get(relative, (0.0, None))
            written = item.last_modified.replace(tzinfo=datetime.UTC)
            at = written + datetime.timedelta(seconds=delay)
            if at > datetime.datetime.now(datetime.UTC):
                continue  # not parsed yet
            fileloc = f"/usr/local/airflow/dags/{relative}"
            stamp = at.isoformat()
            if error is not None:
                entry = {"import_error_id": len(errors) + 1, "timestamp": stamp, "stack_trace": error}
                errors.append(
                    {**entry, "filename": relative, "bundle_name": "dags-folder"}
                    if major >= 3
                    else {**entry, "filename": fileloc}
                )
                continue
            for dag_id in _dag_ids_in(relative, item.value.decode(errors="replace")):
                dag = {"dag_id": dag_id, "fileloc": fileloc, "last_parsed_time": stamp, "is_paused": True}
                dags.append({**dag, "relative_fileloc": relative, "bundle_name": "dags-folder"} if major >= 3 else dag)
        return dags, errors

    def script_run(self, frames: list[tuple[str, dict[str, str]]], logs: dict[str, list[str]] | None = None) -> None:
        """How the next triggered runs go: each frame (run state, task -> state) is what one
        more look at the run shows, the last one for good; ``logs``: each task's log lines."""
        self.run_frames, self.task_logs = frames, logs or {}

    # -- state ---------------------------------------------------------------------

    def environment(self, name: str):
        return mwaa_backend.get(ACCOUNT, self.region, name)

    def issue(self, kind: str, environment: str) -> str:
        token = secrets.token_urlsafe(24)
        self.tokens[token] = (kind, environment, time.monotonic() + TOKEN_SECONDS)
        return token

    def dag_ids(self, environment) -> list[str]:
        return sorted(
            {
                dag_id
                for relative, item in _dag_files(environment)
                for dag_id in _dag_ids_in(relative, item.value.decode(errors="replace"))
            }
        )

    # -- the Airflow CLI behind /aws_mwaa/cli ------------------------------------------

    def run_cli(self, environment, line: str) -> tuple[str, str]:
        try:
            argv = shlex.split(line)
        except ValueError as err:
            return "", f"airflow command error: {err}\n"
        if argv == ["version"]:
            return environment.props["AirflowVersion"] + "\n", ""
        if argv[:2] == ["dags", "list"]:
            rows = "\n".join(f"{d} | dags/{d}.py | airflow | False" for d in self.dag_ids(environment))
            return f"dag_id | fileloc | owners | is_paused\n{rows}\n", ""
        if argv[:2] == ["dags", "trigger"] and len(argv) >= 3:
            dag_id, conf = argv[2], {}
            for flag in ("--conf", "-c"):
                if flag in argv:
                    try:
                        conf = json.loads(argv[argv.index(flag) + 1])
                    except (IndexError, ValueError) as err:
                        return "", f"airflow command error: --conf must be JSON: {err}\n"
            if dag_id not in self.dag_ids(environment):
                return "", (
                    "Traceback (most recent call last):\n  ...\n"
                    f"airflow.exceptions.DagNotFound: Dag id {dag_id} not found in DagModel\n"
                )
            run = self.record_run(environment, dag_id, conf)
            return f"Created <DagRun {dag_id} @ {run['logical_date']}: {run['dag_run_id']}, state:queued>\n", ""
        return "", f"airflow command error: argument GROUP_OR_COMMAND: invalid choice: {argv[:1]}\n"

    def health(self, heartbeat: str) -> dict:
        """Airflow's health answer; ``scheduler_health`` lets a test make the scheduler unhealthy."""
        return {
            "metadatabase": {"status": "healthy"},
            "scheduler": {"status": self.scheduler_health, "latest_scheduler_heartbeat": heartbeat},
        }

    def record_run(self, environment, dag_id: str, conf: dict) -> dict:
        now = datetime.datetime.now(datetime.UTC).isoformat()
        run = {
            "dag_id": dag_id,
            "dag_run_id": f"manual__{now}",
            "logical_date": now,
            "conf": conf,
            "state": "queued",
            "environment": environment.name,
            "frames": list(self.run_frames),
            "frame": -1,  # not looked at yet: queued, no task started
        }
        self.dag_runs.append(run)
        return run


def _error(kind: str, message: str, status: int, **extra: Any) -> tuple[int, dict, dict]:
    return status, {"x-amzn-ErrorType": kind}, {"message": message, **extra}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_PATCH(self) -> None:
        self._dispatch("PATCH")

    def _dispatch(self, method: str) -> None:
        emulator: MwaaEmulator = self.server.emulator
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        emulator.requests.append(
            {
                "method": method,
                "path": self.path,
                "body": raw.decode(errors="replace"),
                "authorization": self.headers.get("Authorization", ""),
            }
        )
        try:
            status, headers, body = self._route(emulator, method, raw)
        except Exception as err:
            status, headers, body = _error("InternalServerException", repr(err), 500)
        data = json.dumps(body).encode()
        self.send_response(status)
        for key, value in {"Content-Type": "application/json", "Content-Length": str(len(data)), **headers}.items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)

    def _route(self, emulator: MwaaEmulator, method: str, raw: bytes) -> tuple[int, dict, dict]:
        if method == "POST" and self.path == "/aws_mwaa/cli":
            return self._cli(emulator, raw)
        match = re.fullmatch(r"/(environments|clitoken|webtoken|restapi)/([^/?]+)", self.path)
        if not match:
            return _error("ValidationException", f"no route for {method} {self.path}", 404)
        kind, name = match.groups()
        environment = emulator.environment(name)
        if environment is None:
            return _error("ResourceNotFoundException", f"Environment {name} not found", 404)
        if kind == "environments" and method == "GET":
            environment.observe()
            return 200, {}, {"Environment": self._describe(environment)}
        if kind == "environments" and method == "PATCH":
            update = json.loads(raw or b"{}")
            for key, value in update.items():
                environment.props[key] = value
            environment.updates.append(update)
            environment.begin_update(mwaa_backend)
            return 200, {}, {"Arn": environment.arn}
        if kind == "clitoken" and method == "POST":
            return 200, {}, {"CliToken": emulator.issue("cli", name), "WebServerHostname": emulator.host}
        if kind == "webtoken" and method == "POST":
            return (
                200,
                {},
                {
                    "WebToken": emulator.issue("web", name),
                    "WebServerHostname": emulator.host,
                    "IamIdentity": f"arn:aws:iam::{ACCOUNT}:user/emulated",
                    "AirflowIdentity": "assumed-role/emulated",
                },
            )
        if kind == "restapi" and method == "POST":
            return self._rest(emulator, environment, json.loads(raw or b"{}"))
        return _error("ValidationException", f"no route for {method} {self.path}", 404)

    @staticmethod
    def _describe(environment) -> dict:
        props = environment.props
        keys = (
            "AirflowVersion",
            "EnvironmentClass",
            "SourceBucketArn",
            "DagS3Path",
            "ExecutionRoleArn",
            "WebserverAccessMode",
            "MinWorkers",
            "MaxWorkers",
            "Schedulers",
            "MinWebservers",
            "MaxWebservers",
            "AirflowConfigurationOptions",
            "RequirementsS3Path",
            "RequirementsS3ObjectVersion",
            "PluginsS3Path",
            "PluginsS3ObjectVersion",
            "StartupScriptS3Path",
            "StartupScriptS3ObjectVersion",
        )
        described = {k: props[k] for k in keys if props.get(k) not in (None, "")}
        for k in ("MinWorkers", "MaxWorkers", "Schedulers", "MinWebservers", "MaxWebservers"):
            if k in described:
                described[k] = int(described[k])
        logging = {
            module: {
                "Enabled": str(settings.get("Enabled", False)).lower() == "true",
                "LogLevel": settings.get("LogLevel", "INFO"),
                "CloudWatchLogGroupArn": environment.get_cfn_attribute(
                    f"LoggingConfiguration.{module}.CloudWatchLogGroupArn"
                ),
            }
            for module, settings in (props.get("LoggingConfiguration") or {}).items()
        }
        return {
            "Name": environment.name,
            "Arn": environment.arn,
            "Status": environment.status,
            "LastUpdate": environment.last_update,
            "WebserverUrl": environment.webserver_url,
            "LoggingConfiguration": logging,
            **described,
        }

    @staticmethod
    def _run_detail(emulator: MwaaEmulator, environment, dag_id, run_id, tasks, task_id, attempt):
        """GET a run (one more look: its next frame), its task instances, or a task's log."""
        runs = [r for r in emulator.dag_runs if (r["dag_id"], r["dag_run_id"]) == (dag_id, run_id)]
        if not runs:
            return _error(
                "RestApiClientException",
                "Airflow answered an error",
                400,
                RestApiStatusCode=404,
                RestApiResponse={"detail": f"DagRun with dag_id: '{dag_id}' and run_id: '{run_id}' was not found"},
            )
        run = runs[0]
        if not tasks:
            run["frame"] = min(run["frame"] + 1, len(run["frames"]) - 1)
        state, states = run["frames"][run["frame"]] if run["frame"] >= 0 else ("queued", {})
        if task_id:
            lines = emulator.task_logs.get(task_id, [])
            if int(environment.props["AirflowVersion"].split(".")[0]) >= 3:
                content: object = [{"event": line, "level": "info"} for line in lines]
            else:
                content = "\n".join(lines)
            answer: dict = {"content": content, "continuation_token": None}
        elif tasks:
            instances = [{"task_id": t, "state": s, "try_number": 1} for t, s in states.items()]
            answer = {"task_instances": instances, "total_entries": len(instances)}
        else:
            answer = {"dag_id": dag_id, "dag_run_id": run_id, "state": state, "conf": run["conf"]}
        return 200, {}, {"RestApiStatusCode": 200, "RestApiResponse": answer}

    def _cli(self, emulator: MwaaEmulator, raw: bytes) -> tuple[int, dict, dict]:
        token = self.headers.get("Authorization", "").removeprefix("Bearer ")
        kind, name, expiry = emulator.tokens.get(token, ("", "", 0.0))
        if kind != "cli" or expiry < time.monotonic():
            return 403, {}, {"message": "Forbidden: invalid or expired CLI token"}
        if self.headers.get("Content-Type") != "text/plain":
            return 400, {}, {"message": "Content-Type must be text/plain"}
        out, err = emulator.run_cli(emulator.environment(name), raw.decode())
        stdout = out.encode() + emulator.cli_extra
        return (
            200,
            {},
            {"stdout": base64.b64encode(stdout).decode(), "stderr": base64.b64encode(err.encode()).decode()},
        )

    def _rest(self, emulator: MwaaEmulator, environment, request: dict) -> tuple[int, dict, dict]:
        def client_error(status: int, detail: object) -> tuple[int, dict, dict]:
            return _error(
                "RestApiClientException",
                "Airflow answered an error",
                400,
                RestApiStatusCode=status,
                RestApiResponse={"detail": detail},
            )

        for pattern, body in emulator.rest_answers:
            if pattern.fullmatch(f"{request.get('Method')} {request.get('Path')}"):
                return 200, {}, body
        detail = re.fullmatch(
            r"/dags/([\w.\-]+)/dagRuns/([^/]+)(/taskInstances(?:/([\w.\-]+)/logs/(\d+))?)?", request.get("Path", "")
        )
        if request.get("Method") == "GET" and detail:
            return self._run_detail(emulator, environment, *detail.groups())
        listing = {"/dags": "dags", "/importErrors": "import_errors"}.get(request.get("Path", ""))
        if request.get("Method") == "GET" and listing:
            found = dict(zip(("dags", "import_errors"), emulator.parsed(environment), strict=True))[listing]
            query = request.get("QueryParameters") or {}
            offset, limit = int(query.get("offset", 0)), int(query.get("limit", 100))
            page = {listing: found[offset : offset + limit], "total_entries": len(found)}
            return 200, {}, {"RestApiStatusCode": 200, "RestApiResponse": page}
        health = "/monitor/health" if int(environment.props["AirflowVersion"].split(".")[0]) >= 3 else "/health"
        if (request.get("Method"), request.get("Path")) == ("GET", health):
            heartbeat = datetime.datetime.now(datetime.UTC).isoformat()
            return 200, {}, {"RestApiStatusCode": 200, "RestApiResponse": emulator.health(heartbeat)}
        match = re.fullmatch(r"/dags/([\w.\-]+)/dagRuns", request.get("Path", ""))
        if request.get("Method") != "POST" or not match:
            return client_error(404, f"not emulated: {request.get('Method')} {request.get('Path')}")
        dag_id, body = match.group(1), request.get("Body") or {}
        if int(environment.props["AirflowVersion"].split(".")[0]) >= 3:
            allowed = {
                "dag_run_id",
                "data_interval_start",
                "data_interval_end",
                "logical_date",
                "run_after",
                "conf",
                "note",
            }
            if "logical_date" not in body:
                return client_error(
                    422, [{"type": "missing", "loc": ["body", "logical_date"], "msg": "Field required"}]
                )
            extra = sorted(set(body) - allowed)
            if extra:
                return client_error(
                    422,
                    [{"type": "extra_forbidden", "loc": ["body", extra[0]], "msg": "Extra inputs are not permitted"}],
                )
        if dag_id not in emulator.dag_ids(environment):
            return client_error(404, f"DAG with dag_id: '{dag_id}' not found")
        run = emulator.record_run(environment, dag_id, body.get("conf") or {})
        return (
            200,
            {},
            {
                "RestApiStatusCode": 200,
                "RestApiResponse": {k: run[k] for k in ("dag_id", "dag_run_id", "logical_date", "conf", "state")},
            },
        )
