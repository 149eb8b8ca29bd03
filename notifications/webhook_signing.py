"""Signing webhook calls so a receiver can tell they come from LineCare, unaltered and fresh.

Each call carries these headers:

- ``X-LineCare-Timestamp``: Unix seconds when the call was signed.
- ``X-LineCare-Signature``: ``v1=<hex>``, the HMAC-SHA256 of
  ``"<timestamp>.<raw body>"`` keyed with the webhook's secret (its UTF-8 bytes,
  the whole ``whsec_...`` string as shown when the webhook was created).
- ``X-LineCare-Delivery``: the delivery id, the same on every retry of one notice,
  so a receiver can drop a repeat.
- ``X-LineCare-Event``: the notice kind, e.g. ``dispatched``.

A receiver recomputes the HMAC over the raw body bytes it received, compares in
constant time, and rejects a timestamp older than a few minutes (replays).
``verify_signature`` below does exactly that and may be copied as it is.
"""

from __future__ import annotations

import hashlib
import hmac

SIGNATURE_HEADER = "X-LineCare-Signature"
TIMESTAMP_HEADER = "X-LineCare-Timestamp"
DELIVERY_HEADER = "X-LineCare-Delivery"
EVENT_HEADER = "X-LineCare-Event"
SCHEME = "v1"
# How old a signed call a receiver should still accept, in seconds.
DEFAULT_TOLERANCE_S = 300


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """The ``X-LineCare-Signature`` value for a body signed at ``timestamp``."""
    digest = hmac.new(
        secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256
    ).hexdigest()
    return f"{SCHEME}={digest}"


def signed_headers(secret: str, timestamp: int, body: bytes) -> dict[str, str]:
    return {
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: signature(secret, timestamp, body),
    }


def verify_signature(
    secret: str,
    *,
    timestamp_header: str,
    signature_header: str,
    body: bytes,
    now: float,
    tolerance_s: float = DEFAULT_TOLERANCE_S,
) -> bool:
    """Whether a received call was signed with ``secret`` within ``tolerance_s`` of ``now``."""
    try:
        timestamp = int(timestamp_header)
    except ValueError:
        return False
    if abs(now - timestamp) > tolerance_s:
        return False
    expected = signature(secret, timestamp, body)
    return hmac.compare_digest(expected.encode(), signature_header.strip().encode())
