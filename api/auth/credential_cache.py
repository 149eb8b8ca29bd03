"""Whom recent bearer credentials belong to, kept between requests while nothing changed.

Every request with an API key or a JWT access token asked the database whose it
was: a statement of its own, some 7 % of the API process's CPU on a cached trend
read (docs/diagnosis.md, "Benchmark"). An API process now keeps what it found for
up to ``max_age_s``, and forgets all of it whenever the database says a user or
key changed in a way that could refuse or change a credential (revocation, role,
customer, access; migration 060 notifies, api/auth/credential_changes.py
listens). A revoked key thus stops working as soon as the notification arrives,
milliseconds after the revoking commit, in every process.

Only while the process is listening: before its listener is connected, or after
that connection was lost, it keeps nothing and every request asks the database.
A lookup that began before something was forgotten is not kept (``since``), so an
answer read before a revocation cannot outlive it here.

Expiry also keeps the keys' ``last_used_at`` moving: it is noted by the lookup
(at most once a minute), which a credential in use now makes every ``max_age_s``.
Console sessions are not kept: they go idle and expire on their own clocks.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from models.credentials import KeyGrant
from models.users import User

MAX_AGE_S = 60.0
MAX_ENTRIES = 10_000

Found = TypeVar("Found")


@dataclass(slots=True)
class _Recent(Generic[Found]):
    """Lookups by key with the monotonic time each was read; the oldest go first."""

    entries: dict[object, tuple[float, Found]] = field(default_factory=dict)

    def get(self, key: object, *, now: float, max_age_s: float) -> Found | None:
        kept = self.entries.get(key)
        if kept is None:
            return None
        read_at, found = kept
        if now - read_at >= max_age_s:
            del self.entries[key]
            return None
        return found

    def put(self, key: object, found: Found, *, now: float, max_entries: int) -> None:
        self.entries.pop(key, None)
        while len(self.entries) >= max_entries:
            del self.entries[next(iter(self.entries))]
        self.entries[key] = (now, found)


@dataclass(slots=True)
class CredentialCache:
    """Per process and app; everything here runs on the app's event loop."""

    max_age_s: float = MAX_AGE_S
    max_entries: int = MAX_ENTRIES
    clock: Callable[[], float] = time.monotonic
    _keys: _Recent[tuple[User, KeyGrant]] = field(default_factory=_Recent)
    _users: _Recent[User] = field(default_factory=_Recent)
    _listening: bool = False
    _generation: int = 0

    @property
    def generation(self) -> int:
        """Taken before a lookup and handed back with its answer as ``since``."""
        return self._generation

    @property
    def listening(self) -> bool:
        return self._listening

    def start_listening(self) -> None:
        """Changes are heard from now on: whatever was read before is forgotten."""
        self.forget_all()
        self._listening = True

    def stop_listening(self) -> None:
        """Changes may go unheard: keep nothing until listening again."""
        self._listening = False
        self.forget_all()

    def forget_all(self) -> None:
        self._generation += 1
        self._keys.entries.clear()
        self._users.entries.clear()

    def key_holder(self, key_digest: str) -> tuple[User, KeyGrant] | None:
        """The user and limits of the API key with this digest, if kept."""
        if not self._listening:
            return None
        return self._keys.get(key_digest, now=self.clock(), max_age_s=self.max_age_s)

    def keep_key_holder(self, key_digest: str, found: tuple[User, KeyGrant], *, since: int) -> None:
        if self._keeps(since):
            self._keys.put(key_digest, found, now=self.clock(), max_entries=self.max_entries)

    def active_user(self, user_id: int) -> User | None:
        """The active user with this id (a JWT's subject), if kept."""
        if not self._listening:
            return None
        return self._users.get(user_id, now=self.clock(), max_age_s=self.max_age_s)

    def keep_active_user(self, user: User, *, since: int) -> None:
        if self._keeps(since):
            self._users.put(user.id, user, now=self.clock(), max_entries=self.max_entries)

    def _keeps(self, since: int) -> bool:
        return self._listening and since == self._generation
