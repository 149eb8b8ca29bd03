"""What a customer must never read on their pages: the service team's internals."""

from __future__ import annotations

import re

# State and type codes (general_fault, on_site), sigma deviations, detector rule names,
# internal alert numbers and raw transitions ("registered -> classified").
_INTERNAL = re.compile(r"\b[a-z]+(?:_[a-z]+)+\b|\u03c3|\balert #\d|->|\brule\b")


def internal_terms(text: str) -> list[str]:
    """The internal terms in a page's text, in order; empty when it reads plainly."""
    return _INTERNAL.findall(text)
