"""A stable split of keys over processes, the same in every process and release."""

from __future__ import annotations

import hashlib


def stable_partition(key: str, count: int) -> int:
    """The partition (0..count-1) of ``key``.

    Python's hash() of a str is salted per process: useless to agree across processes.
    """
    digest = hashlib.sha256(key.encode()).digest()
    return int.from_bytes(digest[:8], "big") % count
