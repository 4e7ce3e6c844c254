"""One-line renderings shared by `protoplay ask/chat` and the A2A status updates."""

from __future__ import annotations

from agents.text import one_line as clip
from servers.formatting import format_arguments


def test_clip_folds_whitespace_and_marks_the_cut():
    assert clip("a\n  b\tc", 10) == "a b c"
    assert clip("abcdefghij", 5) == "abcd…"


def test_long_lists_show_their_first_six_items():
    shown = format_arguments({"p": [0.1] * 10, "plot": True})
    assert shown == "p=[0.1, 0.1, 0.1, 0.1, 0.1, 0.1, …], plot=true"


def test_values_json_cannot_encode_are_shown_as_text():
    assert format_arguments({"path": object}) == "path=\"<class 'object'>\""


def test_raw_string_arguments_are_clipped_to_the_width():
    assert format_arguments('{"p": [0.5, ' + "0.5, " * 50, width=20) == '{"p": [0.5, 0.5, 0.…'
