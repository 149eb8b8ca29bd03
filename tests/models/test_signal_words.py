"""Signal names in words, the same rules as the console's labels."""

from __future__ import annotations

import pytest

from models.signal_words import signal_words


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("vibration_rms", "vibration RMS"),
        ("bearing_temp", "bearing temperature"),
        ("motor_current", "motor current"),
        ("Spindle_RPM", "spindle RPM"),
        ("flow-pct", "flow %"),
        ("pressure", "pressure"),
    ],
)
def test_names_read_as_words(name: str, words: str) -> None:
    assert signal_words(name) == words
