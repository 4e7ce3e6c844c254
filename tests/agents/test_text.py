"""Text shown in a terminal is shown, never obeyed: `printable` escapes what a terminal would act on."""

from __future__ import annotations

import json

from agents.text import printable


def test_escape_sequences_are_shown_as_text():
    shown = printable("a \x1b[31mred\x1b[0m \x1b]52;c;ZXZpbA==\x07 \x9b2J")
    assert "\x1b" not in shown and "\x07" not in shown and "\x9b" not in shown
    assert shown == "a \\u001b[31mred\\u001b[0m \\u001b]52;c;ZXZpbA==\\u0007 \\u009b2J"


def test_lone_surrogates_and_bidi_overrides_are_escaped_so_printing_cannot_fail():
    shown = printable("ts\ud800 \u202eevil\u202c")
    shown.encode("utf-8")  # a lone surrogate would raise UnicodeEncodeError here
    assert shown == "ts\\ud800 \\u202eevil\\u202c"


def test_ordinary_text_and_the_kept_characters_pass_unchanged():
    text = "熵 H(p) = 1 bit → ok ✓\n\tnext line"
    assert printable(text, keep="\n\t") == text
    assert printable("a\nb") == "a\\u000ab"


def test_escaped_json_is_still_json():
    line = json.dumps({"peer": "p\x1b]0;x\x07", "ts": "t\ud800"}, ensure_ascii=False)
    assert json.loads(printable(line)) == {"peer": "p\x1b]0;x\x07", "ts": "t\ud800"}
