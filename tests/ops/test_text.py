"""ops/text.py: what may reach a terminal from outside, and answers checked for shape."""

from __future__ import annotations

import pytest

from ops.errors import ShapeError, field
from ops.text import printable, printable_lines


def test_every_control_character_but_tab_becomes_a_visible_escape():
    controls = [chr(c) for c in [*range(0x00, 0x20), 0x7F, *range(0x80, 0xA0)] if c != 0x09]
    shown = printable("".join(controls))
    assert all(c not in shown for c in controls)
    assert shown.startswith("\\x00\\x01") and "\\n" in shown and "\\r" in shown and "\\x1b" in shown
    assert shown.endswith("\\x9f") and printable("a\tb") == "a\tb"


def test_bidirectional_overrides_are_escaped_and_other_text_is_kept():
    assert printable("invoice\u202egnp.exe") == "invoice\\u202egnp.exe"
    assert printable("Zürich データ ✓") == "Zürich データ ✓"


def test_invalid_utf8_is_replaced_not_fatal_and_long_values_are_cut():
    assert printable(b"ok \xff\xfe end") == "ok \ufffd\ufffd end"
    assert printable("\udcff") == "?"
    assert printable("x" * 5000, limit=10) == "xxxxxxxxxx… (4990 more characters)"


def test_lines_split_on_newlines_only_so_a_carriage_return_stays_visible():
    assert printable_lines("one\r\ntwo\nFAILED\rall good\n") == ["one", "two", "FAILED\\rall good"]


def test_a_field_is_checked_for_presence_and_type_and_named_when_wrong():
    assert field({"a": 1}, "a", int, "api") == 1
    with pytest.raises(ShapeError, match="api answered without 'a'"):
        field({}, "a", int, "api")
    with pytest.raises(ShapeError, match="api answered 'a' as str, not int"):
        field({"a": "1"}, "a", int, "api")
    with pytest.raises(ShapeError, match="api answered list where an object with 'a' belongs"):
        field([], "a", int, "api")
