"""The random secrets handed to clients: session cookies, refresh tokens, API keys."""

from __future__ import annotations

import secrets

# 32 random bytes: a SHA-256 digest without salt or stretching is enough at this entropy.
_BYTES = 32
# New API keys carry a prefix, so that a leaked one is recognised (e.g. by secret scanners).
API_KEY_PREFIX = "lck_"


def new_secret() -> str:
    """A URL-safe random secret (no dots, so never mistaken for a JWT)."""
    return secrets.token_urlsafe(_BYTES)


def new_api_key() -> str:
    return API_KEY_PREFIX + new_secret()
