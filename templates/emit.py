"""The template as YAML, byte for byte what troposphere's ``to_yaml`` (cfn-flip's dumper)
writes, with keys sorted: through libyaml's C emitter where it writes the same bytes, else
PyYAML's own emitter.  ``to_yaml`` is the one entry."""

from __future__ import annotations

import re
from typing import ClassVar

import yaml
from cfn_clean import UNCONVERTED_KEYS, cfn_literal_parser
from cfn_flip.yaml_dumper import (
    CONVERTED_SUFFIXES,
    STR_MAX_LENGTH_QUOTED,
    STR_MAX_LINES_QUOTED,
    TAG_MAP,
    Dumper,
    fn_representer,
)
from cfn_tools._config import config
from cfn_tools.literal import LiteralString
from cfn_tools.yaml_dumper import AWS_ACCOUNT_ID
from troposphere import Template
from yaml.emitter import ScalarAnalysis


class _SortedDumper(Dumper):
    """cfn-flip's dumper (short-form intrinsics, its string styles and indentation) over plain
    dicts already in sorted order.  troposphere's ``to_yaml`` goes through cfn-flip's ODict,
    whose ``items()`` builds a class per key to keep the order: half the build time, for an
    order ``_sorted`` already gives.  Scalar analyses are remembered:
    keys and values repeat across a template and the analysis depends on the text alone.
    The pure-Python path, where PyYAML was built without libyaml; same bytes as troposphere
    (tests/template/test_build.py)."""

    _analyses: ClassVar[dict[tuple[str, bool], ScalarAnalysis]] = {}

    def analyze_scalar(self, scalar: str) -> ScalarAnalysis:
        key = (scalar, isinstance(scalar, LiteralString))
        analysis = self._analyses.get(key)
        if analysis is None:
            analysis = self._analyses[key] = super().analyze_scalar(scalar)
        return analysis


def _mapping(dumper: Dumper, value: dict) -> yaml.Node:
    if len(value) == 1:
        [(key, inner)] = value.items()
        if key in CONVERTED_SUFFIXES:
            return fn_representer(dumper, key, inner)
        if key.startswith("Fn::"):
            return fn_representer(dumper, key[4:], inner)
    return dumper.represent_mapping(TAG_MAP, value, flow_style=False)


_SortedDumper.add_representer(dict, _mapping)


class _Emitter(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):
    """libyaml's C emitter, four times faster than PyYAML's, writing the nodes ``_node`` makes
    as cfn-flip's dumper would represent them; the one thing libyaml cannot do, indent a block
    sequence under its key, ``_indent_sequences`` does.  Implicit tags are resolved once per
    distinct scalar (keys and values repeat across a template)."""

    _resolved: ClassVar[dict[tuple[bool, bool], dict[str, str]]] = {}

    def resolve(self, kind: type, value: str, implicit: tuple[bool, bool]) -> str:
        if kind is not yaml.ScalarNode:
            return super().resolve(kind, value, implicit)
        known = self._resolved.get(implicit)
        if known is None:
            known = self._resolved[implicit] = {}
        tag = known.get(value)
        if tag is None:
            tag = known[value] = super().resolve(kind, value, implicit)
        return tag


_TAGS = {bool: "tag:yaml.org,2002:bool", int: "tag:yaml.org,2002:int", float: "tag:yaml.org,2002:float"}
_TAG_STR, _TAG_SEQ, _TAG_NULL = "tag:yaml.org,2002:str", "tag:yaml.org,2002:seq", "tag:yaml.org,2002:null"
_ACCOUNT_ID = re.compile(AWS_ACCOUNT_ID)
# cfn-clean's resources whose JSON property cfn-flip writes as text (cfn_literal_parser): the
# fast path leaves a template holding one to PyYAML's path.
_KEPT_AS_JSON = frozenset(resource_type for resource_type, _ in UNCONVERTED_KEYS)


class _Unsupported(Exception):
    """What the fast path does not write as cfn-flip would (``fast_yaml``'s docstring)."""


def _node(value: object, risky: list[str], tag: str | None = None) -> yaml.Node:
    """The node cfn-flip's representers make of ``value``, keys sorted, made directly: half the
    time of sorting a copy and the representer's dispatch, for data that is only dicts, lists
    and scalars (``test_build.py`` compares the bytes with PyYAML's own path)."""
    kind = type(value)
    if kind is str:  # most of a template: its scalar's style depends on the text alone
        known = _STR_STYLES.get(value)
        if known is None:
            known = _STR_STYLES[value] = _style_of(value, _string_style(value))
        style, odd = known
        if odd:
            risky.append(value)
        return yaml.ScalarNode(tag or _TAG_STR, value, style=style)
    if isinstance(value, dict):
        if tag is None and len(value) == 1:
            [(key, inner)] = value.items()
            if key in CONVERTED_SUFFIXES or key.startswith("Fn::"):
                name = key.removeprefix("Fn::")
                # libyaml writes a tagged scalar plain where it can; PyYAML quotes every scalar
                # whose tag is not implicit (single quotes, double where the text has line breaks).
                if isinstance(inner, str) or (name == "GetAtt" and isinstance(inner, list)):
                    text = ".".join(inner) if isinstance(inner, list) else inner
                    return _scalar(f"!{name}", text, '"' if "\n" in text or "\r" in text else "'", risky)
                return _node(inner, risky, f"!{name}")
        if value.get("Type") in _KEPT_AS_JSON:
            raise _Unsupported
        pairs = [(_node(key, risky), _node(value[key], risky)) for key in sorted(value)]
        return yaml.MappingNode(tag or TAG_MAP, pairs, flow_style=False)
    if isinstance(value, list | tuple):
        return yaml.SequenceNode(tag or _TAG_SEQ, [_node(item, risky) for item in value], flow_style=False)
    if isinstance(value, LiteralString):
        return _scalar(tag or _TAG_STR, value, "|", risky)
    if isinstance(value, str):
        return _scalar(tag or _TAG_STR, value, _string_style(value), risky)
    if value is None:
        return _scalar(tag or _TAG_NULL, "null", None, risky)
    if isinstance(value, bool):
        return _scalar(tag or _TAGS[bool], "true" if value else "false", None, risky)
    if isinstance(value, float):
        return _scalar(tag or _TAGS[float], _float_text(value), None, risky)
    return _scalar(tag or _TAGS[int], str(value), None, risky)


def _float_text(value: float) -> str:
    """PyYAML's SafeRepresenter.represent_float."""
    if value != value:
        return ".nan"
    if value in (float("inf"), float("-inf")):
        return ".inf" if value > 0 else "-.inf"
    text = repr(value).lower()
    return text.replace("e", ".0e", 1) if "." not in text and "e" in text else text


def _string_style(value: str) -> str | None:
    """cfn-flip's ``string_representer``: literal for ten line breaks or more, folded for a
    long line, quoted for a leading zero."""
    if value.count("\n") + value.count("\r") >= STR_MAX_LINES_QUOTED:
        return "|"
    if len(value) >= STR_MAX_LENGTH_QUOTED and "\n" not in value:
        return ">"
    if value.startswith("0"):
        return "'"
    return None


# A plain str's final style and whether libyaml could write it otherwise: by its text.
_STR_STYLES: dict[str, tuple[str | None, bool]] = {}


def _style_of(value: str, style: str | None) -> tuple[str | None, bool]:
    """cfn-tools' ``represent_scalar``: account ids quoted, line breaks double-quoted; and
    whether libyaml writes the result otherwise than PyYAML."""
    breaks = "\n" in value or "\r" in value
    if value[:1] == "0" and _ACCOUNT_ID.match(value):
        style = "'"
    elif style is None and breaks:
        style = '"'
    odd = (style == "'" and breaks) or (
        style == ">" and (not value.isascii() or value[:1].isspace() or "\n " in value or "\n\t" in value)
    )
    return style, odd


def _scalar(tag: str, value: str, style: str | None, risky: list[str]) -> yaml.ScalarNode:
    """A scalar node; what libyaml writes otherwise than PyYAML goes to ``risky``."""
    style, odd = _style_of(value, style)
    if odd:
        risky.append(value)
    return yaml.ScalarNode(tag, value, style=style)


_BLOCK_SCALAR = re.compile(r"(^|: |- )[|>][-+0-9]*$")
_BLOCK_SCALAR_ENDS = frozenset("|>-+0123456789")
_KEY_ENDS = re.compile(r":( ![A-Za-z]+)?$")
_ITEM_MARKS = re.compile(r"(- )*")


def _indent_sequences(text: str) -> tuple[str, int]:
    """libyaml writes a block sequence under a mapping key at the key's column
    (``key:\\n- a``); cfn-flip indents it (``key:\\n  - a``).  Each such sequence, with
    everything under it, moves two columns right, nested ones adding up; the lines of a
    block scalar (``|``, ``>``) move with their parent and are never read as structure.
    Also the longest line outside block scalars, before or after moving."""
    lines = []
    longest = 0
    moved: list[tuple[int, int]] = []  # (column of the sequence's dashes, columns it moves)
    key_column = None  # column of the mapping key the previous line ended with
    block_from = None  # a block scalar's lines are those deeper than this column
    for line in text.split("\n"):
        body = line.lstrip(" ")
        column = len(line) - len(body)
        if block_from is not None and (not body or column > block_from):
            lines.append(" " * moved[-1][1] + line if body and moved else line)
            continue
        block_from = None
        is_item = body.startswith("- ") or body == "-"
        while moved and (column < moved[-1][0] or (column == moved[-1][0] and not is_item)):
            moved.pop()
        if is_item and column == key_column and not (moved and moved[-1][0] == column):
            moved.append((column, (moved[-1][1] if moved else 0) + 2))
        shift = moved[-1][1] if moved else 0
        lines.append(" " * shift + line if body else line)
        longest = max(longest, len(line) + shift)
        # Each regular expression only on lines that end as its matches must (most do not).
        last = body[-1:]
        if last == ":" or (" !" in body and _KEY_ENDS.search(body)):
            key_column = column + _ITEM_MARKS.match(body).end()
        else:
            key_column = None
        if last in _BLOCK_SCALAR_ENDS and _BLOCK_SCALAR.search(body):
            block_from = column
    return "\n".join(lines), longest


_WIDTH = config.max_col_width
_OPTIONS = {"default_flow_style": False, "allow_unicode": True, "width": _WIDTH, "sort_keys": False}
LIBYAML = hasattr(yaml, "CSafeDumper")


def to_yaml(template: Template, pure_python: bool = not LIBYAML) -> str:
    """The template's YAML; ``pure_python`` for PyYAML's own emitter (the same bytes, slower)."""
    tree = template.to_dict()
    fast = None if pure_python else fast_yaml(tree)
    if fast is not None:
        return fast
    return yaml.dump(cfn_literal_parser(_sorted(tree)), Dumper=_SortedDumper, **_OPTIONS)


def fast_yaml(data: object) -> str | None:
    """``data`` (troposphere's ``to_dict``) through libyaml, keys sorted, or None where libyaml
    could write it otherwise than PyYAML (same value, other bytes): a line outside block scalars
    past the width, in libyaml's output (a scalar it broke over lines) or once indented (one
    PyYAML would break); a single-quoted scalar with line breaks; a folded one with more-indented
    lines or non-ASCII text; a document end marker; a resource whose JSON property cfn-flip keeps
    as text.  Such a template takes the pure-Python path; the committed ones do not
    (tests/template/test_build.py compares both paths on every variant, and on random text)."""
    risky: list[str] = []
    try:
        root = _node(data, risky)
    except _Unsupported:
        return None
    if risky:
        return None
    written = yaml.serialize(root, Dumper=_Emitter, allow_unicode=True, width=_WIDTH)
    text, longest = _indent_sequences(written)
    return None if text.endswith("...\n") or longest > _WIDTH else text


def _sorted(value: object) -> object:
    """Keys in sorted order at every depth: what ``json.loads(template.to_json(sort_keys=True))``
    gives (troposphere's ``to_dict`` is plain dicts, lists and scalars), without the text."""
    if isinstance(value, dict):
        return {key: _sorted(value[key]) for key in sorted(value)}
    if isinstance(value, list | tuple):
        return [_sorted(item) for item in value]
    return value
