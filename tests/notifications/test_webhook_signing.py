"""The signature a receiver checks: HMAC-SHA256 over timestamp and raw body."""

from __future__ import annotations

import hashlib
import hmac

from notifications.webhook_signing import signature, signed_headers, verify_signature

SECRET = "whsec_test"
BODY = b'{"type":"dispatched"}'


def test_the_signature_is_documented_hmac_sha256_of_timestamp_dot_body() -> None:
    expected = hmac.new(SECRET.encode(), b"1700000000." + BODY, hashlib.sha256).hexdigest()
    assert signature(SECRET, 1700000000, BODY) == f"v1={expected}"


def test_a_signed_call_verifies() -> None:
    headers = signed_headers(SECRET, 1700000000, BODY)
    assert verify_signature(
        SECRET,
        timestamp_header=headers["X-LineCare-Timestamp"],
        signature_header=headers["X-LineCare-Signature"],
        body=BODY,
        now=1700000010,
    )


def test_a_changed_body_another_secret_or_an_old_call_do_not_verify() -> None:
    headers = signed_headers(SECRET, 1700000000, BODY)
    stamp, sig = headers["X-LineCare-Timestamp"], headers["X-LineCare-Signature"]

    def verifies(secret: str, body: bytes, now: float) -> bool:
        return verify_signature(
            secret, timestamp_header=stamp, signature_header=sig, body=body, now=now
        )

    assert verifies(SECRET, BODY, 1700000000)
    assert not verifies(SECRET, BODY + b" ", 1700000000)
    assert not verifies("whsec_other", BODY, 1700000000)
    assert not verifies(SECRET, BODY, 1700000000 + 301)
    assert not verify_signature(
        SECRET, timestamp_header="soon", signature_header="v1=00", body=BODY, now=0
    )
