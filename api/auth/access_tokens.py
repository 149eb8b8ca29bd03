"""Short-lived JWT access tokens for API clients (HS256, PyJWT).

A token names its user by id; every request still loads the user, so a revoked
user's tokens stop working at once and only the role of the moment counts.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

import jwt

from settings.linecare_settings import Settings

_ALGORITHM = "HS256"
_TYPE = "access"


def token_secret(settings: Settings) -> bytes:
    """The configured signing secret, or a random one for this process alone."""
    if settings.jwt_secret is not None:
        return settings.jwt_secret.get_secret_value().encode("utf-8")
    return secrets.token_bytes(32)


def looks_like_jwt(credential: str) -> bool:
    """JWTs are three dot-separated parts; API keys and demo tokens have no dots."""
    return credential.count(".") == 2


def issue_access_token(secret: bytes, *, user_id: int, now: datetime, lifetime: timedelta) -> str:
    """A signed access token for the user, valid for ``lifetime`` from ``now``."""
    claims = {"sub": str(user_id), "typ": _TYPE, "iat": now, "exp": now + lifetime}
    return jwt.encode(claims, secret, algorithm=_ALGORITHM)


def user_id_of(secret: bytes, token: str) -> int | None:
    """The user id of a valid, unexpired access token; None for anything else."""
    try:
        claims = jwt.decode(
            token, secret, algorithms=[_ALGORITHM], options={"require": ["exp", "sub", "typ"]}
        )
    except jwt.PyJWTError:
        return None
    subject = claims.get("sub")
    if claims.get("typ") != _TYPE or not isinstance(subject, str) or not subject.isdigit():
        return None
    # Ids are bigserial: a longer number cannot be one and would overflow the query.
    return int(subject) if len(subject) <= 18 else None
