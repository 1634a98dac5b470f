"""The AWS the tests run against, on 127.0.0.1 only: moto in server mode with the
patches that close its gaps for this project (``patches/``), and an emulator of the
MWAA API and web server (``mwaa/``), behind one facade, ``Emulator``."""

from __future__ import annotations

import urllib.request
from pathlib import Path
from typing import Any

from . import patches
from .patches.emr import script_steps

__all__ = ["Emulator", "script_steps"]


class Emulator:
    """Start, reset and stop every emulated service together.

    ``mwaa_folder`` (where the MWAA API keeps its TLS certificate) turns the MWAA API
    on; the workflow tests need EMR only.  ``step_polls``: how often an EMR step is
    described before it finishes.
    """

    def __init__(self, region: str, mwaa_folder: Path | None = None, step_polls: int = 1) -> None:
        self.region = region
        self._mwaa_folder = mwaa_folder
        self._step_polls = step_polls
        self._moto: Any = None
        self.mwaa: Any = None
        self.moto_url = ""

    def start(self) -> Emulator:
        from moto.server import ThreadedMotoServer

        patches.apply(step_polls=self._step_polls)
        self._moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        self._moto.start()
        host, port = self._moto.get_host_and_port()
        self.moto_url = f"http://{host}:{port}"
        if self._mwaa_folder is not None:
            from .mwaa.responses import MwaaEmulator

            self.mwaa = MwaaEmulator(self._mwaa_folder, self.region).__enter__()
        return self

    def reset(self) -> None:
        """Every service back to empty: moto's state, the scripted steps, the MWAA environments."""
        urllib.request.urlopen(urllib.request.Request(f"{self.moto_url}/moto-api/reset", method="POST"), timeout=30)
        patches.reset()
        if self.mwaa is not None:
            self.mwaa.reset()

    def stop(self) -> None:
        if self.mwaa is not None:
            self.mwaa.__exit__(None, None, None)
        if self._moto is not None:
            self._moto.stop()

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def client_environment(self) -> dict[str, str]:
        """What a user whose AWS is these emulators has set: standard AWS settings only."""
        variables = {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": self.region,
            "AWS_ENDPOINT_URL": self.moto_url,
        }
        if self.mwaa is not None:
            variables.update(
                {
                    "AWS_ENDPOINT_URL_MWAA": self.mwaa.url,
                    "AWS_DISABLE_HOST_PREFIX_INJECTION": "true",
                    "AWS_CA_BUNDLE": str(self.mwaa.cert),
                    "SSL_CERT_FILE": str(self.mwaa.cert),
                }
            )
        return variables
