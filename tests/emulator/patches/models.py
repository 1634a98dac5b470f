"""Shared by the patches that add CloudFormation resource types."""

from __future__ import annotations


def forget_cached_models() -> None:
    """moto finds CloudFormation models by scanning subclasses once; make it scan again."""
    from moto.cloudformation import parsing

    for cached in (parsing.get_model_list, parsing.get_model_map, parsing.get_name_type_map):
        cached.cache_clear()
