"""Tags on every resource that takes them: the settings' tags, plus a Name for EC2 resources."""

from __future__ import annotations

from troposphere import Sub, Tags

from .settings import Settings


def tags(settings: Settings, name: str | None = None) -> Tags:
    """Tags for a resource; ``name`` becomes a Name tag prefixed with the environment name."""
    named = {"Name": Sub("${EnvironmentName} " + name)} if name else {}
    return Tags(**{**dict(settings.tags), **named})


def optional_tags(settings: Settings) -> dict[str, Tags]:
    """``Tags`` for a resource's keyword arguments, or nothing: troposphere renders an empty
    ``Tags()`` as ``Tags: []``, which would show in every template without tags."""
    return {"Tags": tags(settings)} if settings.tags else {}


def tag_map(settings: Settings) -> dict[str, str]:
    """AWS::MWAA::Environment takes its tags as a map, not a list."""
    return dict(settings.tags)
