"""Signal names as people read them: "vibration_rms" becomes "vibration RMS".

The plant file's names stay the keys everywhere; headlines written for people
(a ticket's summary) use these words, by the same rules as the console's
``api/static/signal_labels.js``.
"""

from __future__ import annotations

_ACRONYMS = frozenset({"rms", "rpm", "plc", "id", "ac", "dc", "co2", "ph", "uv"})
_WORDS = {"temp": "temperature", "pct": "%", "qty": "quantity"}


def signal_words(name: str) -> str:
    """Lower-case words with acronyms in capitals, for use inside a sentence."""
    words = [
        word.upper() if word in _ACRONYMS else _WORDS.get(word, word)
        for word in name.replace("-", "_").lower().split("_")
        if word
    ]
    return " ".join(words) or name
