"""Test-only patches that make moto 5.2.5 a faithful enough AWS for this project,
one module per patched service, as moto lays out its backends.  Each module's
docstring lists what stock moto gets wrong; ``tests/emulator/test_patches.py`` proves
each patch and keeps a canary per patch that fails once stock moto gets it right
(then delete the patch): a moto upgrade comes with a checklist.
"""

from __future__ import annotations

from . import cloudformation, emr, iam, kms, s3

_applied = False


def apply(step_polls: int | None = None) -> None:
    """Patch moto in this process, before its server starts; idempotent."""
    global _applied
    if step_polls is not None:
        emr.settings["polls"] = step_polls
    if _applied:
        return
    from ..mwaa import models as mwaa_models

    emr.apply()
    cloudformation.apply()
    s3.apply()
    kms.apply()
    iam.apply()
    mwaa_models.apply()
    _applied = True


def reset() -> None:
    from ..mwaa.models import mwaa_backend

    emr.reset()
    mwaa_backend.reset()
