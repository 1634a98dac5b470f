"""The one error a setting can raise; re-exported by ``settings``."""

from __future__ import annotations


class SettingsError(ValueError):
    """A setting has a value the template cannot be built with."""

    def __init__(self, name: str, value: object, allowed: str) -> None:
        super().__init__(f"invalid setting {name}={value!r}: {allowed}")
        self.setting = name
