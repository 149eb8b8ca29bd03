"""The credentials an API process keeps between requests (pure: no database)."""

from __future__ import annotations

from dataclasses import dataclass

from api.auth.credential_cache import CredentialCache
from models.credentials import ApiKeyAccess, KeyGrant
from models.users import Role, User

ANNA = User(1, "anna", "Anna", Role.SUPPORT, None)
GRANT = KeyGrant(key_id=7, access=ApiKeyAccess.FULL, customer_id=None)


@dataclass
class FakeClock:
    now: float = 1000.0

    def __call__(self) -> float:
        return self.now


def _listening(
    clock: FakeClock | None = None, *, max_age_s: float = 60.0, max_entries: int = 100
) -> CredentialCache:
    cache = CredentialCache(
        max_age_s=max_age_s, max_entries=max_entries, clock=clock or FakeClock()
    )
    cache.start_listening()
    return cache


def test_a_kept_credential_is_found_again() -> None:
    cache = _listening()
    cache.keep_key_holder("d1", (ANNA, GRANT), since=cache.generation)
    cache.keep_active_user(ANNA, since=cache.generation)

    assert cache.key_holder("d1") == (ANNA, GRANT)
    assert cache.active_user(1) == ANNA
    assert cache.key_holder("d2") is None and cache.active_user(2) is None


def test_nothing_is_kept_while_not_listening() -> None:
    cache = CredentialCache()
    cache.keep_key_holder("d1", (ANNA, GRANT), since=cache.generation)
    assert cache.key_holder("d1") is None

    cache.start_listening()
    cache.keep_key_holder("d1", (ANNA, GRANT), since=cache.generation)
    cache.stop_listening()  # changes may go unheard from now on
    assert cache.key_holder("d1") is None
    cache.start_listening()
    assert cache.key_holder("d1") is None  # forgotten, not merely hidden


def test_a_change_heard_forgets_everything() -> None:
    cache = _listening()
    cache.keep_key_holder("d1", (ANNA, GRANT), since=cache.generation)
    cache.keep_active_user(ANNA, since=cache.generation)

    cache.forget_all()

    assert (cache.key_holder("d1"), cache.active_user(1)) == (None, None)


def test_a_lookup_begun_before_a_change_is_not_kept() -> None:
    cache = _listening()
    since = cache.generation  # the lookup reads the database ...
    cache.forget_all()  # ... while a revocation is heard
    cache.keep_key_holder("d1", (ANNA, GRANT), since=since)
    cache.keep_active_user(ANNA, since=since)

    assert (cache.key_holder("d1"), cache.active_user(1)) == (None, None)


def test_a_kept_credential_expires_after_its_age() -> None:
    clock = FakeClock()
    cache = _listening(clock, max_age_s=60.0)
    cache.keep_key_holder("d1", (ANNA, GRANT), since=cache.generation)

    clock.now += 59.9
    assert cache.key_holder("d1") == (ANNA, GRANT)
    clock.now += 0.1
    assert cache.key_holder("d1") is None


def test_the_oldest_go_first_beyond_the_bound() -> None:
    cache = _listening(max_entries=2)
    for digest in ("d1", "d2", "d3"):
        cache.keep_key_holder(digest, (ANNA, GRANT), since=cache.generation)

    assert [cache.key_holder(d) is not None for d in ("d1", "d2", "d3")] == [False, True, True]
