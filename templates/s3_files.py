"""The optional files MWAA reads from the source bucket, described once.

Used by the settings (which key), the parameters (an object-version parameter each),
the environment (its ``<name>S3Path`` / ``<name>S3ObjectVersion`` properties), ``make
sync`` (what to upload from where) and the emulator.  Pure data: no troposphere.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class S3File:
    name: str  # MWAA's property prefix: RequirementsS3Path, RequirementsS3ObjectVersion
    setting: str  # the Settings field holding its object key when the template names it
    default_key: str  # where `make sync` puts it when neither the template nor the environment names one
    what: str  # for messages

    @property
    def path_property(self) -> str:
        return f"{self.name}S3Path"

    @property
    def version_property(self) -> str:
        return f"{self.name}S3ObjectVersion"

    @property
    def version_parameter(self) -> str:
        """The CloudFormation parameter of a template that names the file."""
        return f"{self.name}S3ObjectVersion"

    @property
    def condition(self) -> str:
        return f"Has{self.name}Version"


REQUIREMENTS = S3File("Requirements", "requirements_s3_path", "dags/requirements.txt", "requirements")
PLUGINS = S3File("Plugins", "plugins_s3_path", "plugins.zip", "plugins")
STARTUP_SCRIPT = S3File("StartupScript", "startup_script_s3_path", "startup.sh", "startup script")
S3_FILES = (REQUIREMENTS, PLUGINS, STARTUP_SCRIPT)
