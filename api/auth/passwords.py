"""Password hashing with argon2id.

Parameters are OWASP's (19 MiB, 2 passes, 1 lane): about 0.1 s on a small
server, so a sign-in stays quick while a stolen hash stays expensive to guess.
Hashes made with other parameters still verify (they are stored in the hash).
"""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

# Long enough for a passphrase, short enough that hashing cannot be used to tie up the CPU.
MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 256


def _hasher() -> PasswordHasher:
    return PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1)


class WeakPasswordError(ValueError):
    """A password that may not be set; the message says why."""


def check_new_password(password: str) -> str:
    """The password if it may be set, else WeakPasswordError."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise WeakPasswordError(f"the password needs at least {MIN_PASSWORD_LENGTH} characters")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise WeakPasswordError(f"the password may have at most {MAX_PASSWORD_LENGTH} characters")
    return password


def hash_password(password: str) -> str:
    """An argon2id hash of the password, with its own random salt."""
    return _hasher().hash(password)


def password_matches(password_hash: str | None, password: str) -> bool:
    """Whether the password is the one hashed; False for users without a password.

    Without a hash a dummy comparison still runs, so that the time taken does not
    tell an attacker which logins exist.
    """
    hasher = _hasher()
    if len(password) > MAX_PASSWORD_LENGTH:
        return False
    try:
        return hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


# The hash of a random string nobody knows, verified against when there is no user.
_DUMMY_HASH = (
    "$argon2id$v=19$m=19456,t=2,p=1$UqHttb0vd6GOhgANkkFHyg$"
    "LId2Ymu2E96O3V44yGeZERTLkO1rKJkdQJKqP2JaBXE"
)
