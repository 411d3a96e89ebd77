"""check_prompt refuses what the engine's src/engine/limits.ts refuses, with the same messages."""
import pytest

from harmon.text import check_prompt


@pytest.mark.parametrize("p, message", [
    ("", "the prompt is empty"),
    (" \u3000\x1c\x85", "the prompt is empty"),
    ("a\x00b", "the prompt contains the control character U+0000 at position 1; remove it"),
    ("\x1b[31mred", "the prompt contains the control character U+001B at position 0; remove it"),
    ("x" * 2001, "the prompt is 2001 characters long; the limit is 2000"),
    (None, "the prompt must be a string, got null"),
])
def test_refused(p, message):
    with pytest.raises(ValueError) as e:
        check_prompt(p)
    assert str(e.value) == message


def test_accepted():
    for p in ["tab\tand\nlines\r\n", "\ufeff", "🐱🌈", "x" * 2000]:
        assert check_prompt(p) == p
