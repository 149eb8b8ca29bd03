"""Pure rules of sign-in: API key scopes, telling JWTs from keys, the permission table."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from api.auth.access_tokens import issue_access_token, looks_like_jwt, user_id_of
from api.auth.key_scope import OutOfScope, user_within_key
from api.auth.passwords import (
    WeakPasswordError,
    check_new_password,
    hash_password,
    password_matches,
)
from models.credentials import ApiKeyAccess, KeyGrant
from models.permissions import PERMISSIONS, Permission, allowed, permission_table
from models.users import Role, User
from storage.user_store import DEMO_PASSWORD, DEMO_PASSWORD_HASH

DOCS = Path(__file__).resolve().parents[2] / "docs" / "access.md"
SUPPORT = User(id=7, login="sam", display_name="Sam", role=Role.SUPPORT, customer_id=None)
SECRET = b"k" * 32


def _grant(access: ApiKeyAccess, customer_id: str | None = None) -> KeyGrant:
    return KeyGrant(key_id=1, access=access, customer_id=customer_id)


@pytest.mark.parametrize("method", ["GET", "HEAD", "OPTIONS", "get"])
def test_a_read_only_key_reads(method: str) -> None:
    grant = _grant(ApiKeyAccess.READ_ONLY)

    assert user_within_key(SUPPORT, grant, method=method, path="/api/lines") == SUPPORT


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
def test_a_read_only_key_changes_nothing(method: str) -> None:
    with pytest.raises(OutOfScope, match="read-only"):
        user_within_key(SUPPORT, _grant(ApiKeyAccess.READ_ONLY), method=method, path="/api/x")


@pytest.mark.parametrize(
    ("path", "may"),
    [
        ("/api/v1/tickets", True),
        ("/api/v1/tickets/12/transitions", True),
        ("/api/v1/ticketsx", False),
        ("/api/v1/api-keys", False),
        ("/api/v1/webhooks", False),
    ],
)
def test_a_tickets_write_key_changes_only_tickets(path: str, may: bool) -> None:
    grant = _grant(ApiKeyAccess.TICKETS_WRITE)
    if may:
        assert user_within_key(SUPPORT, grant, method="POST", path=path) == SUPPORT
    else:
        with pytest.raises(OutOfScope):
            user_within_key(SUPPORT, grant, method="POST", path=path)


def test_a_key_bound_to_a_customer_acts_as_a_user_of_that_customer() -> None:
    acting = user_within_key(
        SUPPORT, _grant(ApiKeyAccess.FULL, "alpenpack"), method="GET", path="/api/lines"
    )

    assert (acting.role, acting.customer_id, acting.login) == (Role.CUSTOMER, "alpenpack", "sam")


@pytest.mark.parametrize(
    ("credential", "jwt_shaped"),
    [("demo-desk", False), ("lck_abc-_x", False), ("a.b.c", True), ("a.b", False)],
)
def test_jwts_are_told_from_keys_by_shape(credential: str, jwt_shaped: bool) -> None:
    assert looks_like_jwt(credential) is jwt_shaped


def test_an_access_token_names_its_user_until_it_expires() -> None:
    now = datetime.now(UTC)
    token = issue_access_token(SECRET, user_id=42, now=now, lifetime=timedelta(minutes=15))
    old = issue_access_token(
        SECRET, user_id=42, now=now - timedelta(hours=1), lifetime=timedelta(minutes=15)
    )

    assert user_id_of(SECRET, token) == 42
    assert user_id_of(SECRET, old) is None
    assert user_id_of(b"o" * 32, token) is None
    assert user_id_of(SECRET, token[:-2] + "xx") is None


def test_passwords_hash_with_argon2id_and_salt() -> None:
    first, second = hash_password("a good passphrase"), hash_password("a good passphrase")

    assert first.startswith("$argon2id$") and first != second
    assert password_matches(first, "a good passphrase")
    assert not password_matches(first, "a good passphrasE")
    assert not password_matches(None, "anything")
    assert not password_matches("not a hash", "anything")
    assert password_matches(DEMO_PASSWORD_HASH, DEMO_PASSWORD)


@pytest.mark.parametrize("password", ["short", "x" * 257])
def test_weak_passwords_are_refused(password: str) -> None:
    with pytest.raises(WeakPasswordError):
        check_new_password(password)


def test_every_permission_has_a_rule_and_administrators_hold_all_but_role_work() -> None:
    assert set(PERMISSIONS) == set(Permission)
    # The work of one role alone: a field engineer's own jobs.
    assert [p for p in Permission if not allowed(Role.ADMIN, p)] == [Permission.WORK_OWN_JOBS]
    assert not allowed(Role.CUSTOMER, Permission.READ_AUDIT_LOG)
    assert not allowed(Role.DESK, Permission.MANAGE_ALL_API_KEYS)


def test_the_docs_show_the_permission_table_as_the_code_has_it() -> None:
    assert permission_table() in DOCS.read_text(encoding="utf-8")
