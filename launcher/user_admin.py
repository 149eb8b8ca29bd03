"""Accounts of a real installation: what ``linecare users add | list | revoke | rotate`` do.

A user's personal token (an API key with the full rights of its role) is
generated here, handed to the administrator once, and kept only as its SHA-256
digest (storage/user_store.py): nobody can show it again, so a lost token is
rotated, not looked up. Revoking keeps the user's row, so the login stays taken
and the record of who had access remains. Passwords and other API keys:
launcher/credential_admin.py. Every change goes to the audit log as done by ``cli``.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC

import psycopg

from models.credentials import AuditEvent, AuditRecord
from models.plant import Plant
from models.users import Role, User, UserAccount
from storage import audit_store, user_store
from storage.asset_registry import sync_assets
from storage.connections import Connection
from storage.schema_migrations import migrate

# Letters, digits and . _ @ - (an e-mail address fits), starting with a letter or digit.
_LOGIN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,63}")
# 32 random bytes: a digest without salt or stretching is enough at this entropy.
_TOKEN_BYTES = 32


class UserAdminError(Exception):
    """Input the administrator has to correct; the message is one line."""


@dataclass(frozen=True, slots=True)
class NewUser:
    """A validated request to create a user."""

    login: str
    display_name: str
    role: Role
    customer_id: str | None


@dataclass(frozen=True, slots=True)
class IssuedToken:
    """A user and the token just issued to it, the only time the token is known."""

    user: User
    token: str


def new_token() -> str:
    """A fresh bearer token, URL-safe so it fits a header and the console's #token= link."""
    return secrets.token_urlsafe(_TOKEN_BYTES)


def parse_role(value: str) -> Role:
    """The role named on the command line; the error lists the valid names."""
    try:
        return Role(value)
    except ValueError:
        names = ", ".join(role.value for role in Role)
        raise UserAdminError(f"unknown role {value!r}: choose one of {names}") from None


def check_login(login: str) -> str:
    """The login if it is well formed, else an error that says what is allowed."""
    if not _LOGIN.fullmatch(login):
        raise UserAdminError(
            f"login {login!r} is not valid: use up to 64 letters, digits and . _ @ -,"
            " starting with a letter or digit"
        )
    return login


def new_user(
    plant: Plant, *, login: str, role: str, customer_id: str | None, display_name: str | None
) -> NewUser:
    """Check a request against the roles and the plant file's customers.

    A customer user must name the one customer whose lines it may see; every
    other role sees all customers and must name none.
    """
    checked_role = parse_role(role)
    if checked_role is Role.CUSTOMER:
        if customer_id is None:
            raise UserAdminError("a customer user needs --customer-id: " + _customers(plant))
        if customer_id not in {customer.id for customer in plant.customers}:
            raise UserAdminError(f"unknown customer {customer_id!r}: " + _customers(plant))
    elif customer_id is not None:
        raise UserAdminError(
            f"--customer-id is only for the customer role; a {checked_role} user sees all customers"
        )
    name = login if display_name is None else display_name.strip()
    if not name or not name.isprintable():
        raise UserAdminError("--name must be printable text and not empty")
    return NewUser(check_login(login), name, checked_role, customer_id)


def _customers(plant: Plant) -> str:
    return "the plant file names " + ", ".join(customer.id for customer in plant.customers)


@asynccontextmanager
async def migrated_connection(dsn: str) -> AsyncIterator[Connection]:
    """A connection to a schema brought up to date, as every LineCare process does at start."""
    async with await psycopg.AsyncConnection.connect(dsn) as conn:
        await migrate(conn)
        yield conn


async def add_user(dsn: str, plant: Plant, new: NewUser) -> IssuedToken:
    """Create the user with a new token; a taken login is an error, never an update."""
    token = new_token()
    async with migrated_connection(dsn) as conn:
        # The customer must be in the asset tables, which mirror the plant file.
        await sync_assets(conn, plant)
        async with conn.transaction():
            user = await user_store.create_user(
                conn,
                login=new.login,
                display_name=new.display_name,
                role=new.role,
                customer_id=new.customer_id,
                token=token,
            )
            if user is not None:
                await _audit(conn, AuditEvent.USER_CREATED, new.login, describe(user))
    if user is None:
        raise UserAdminError(
            f"login {new.login!r} is taken: `linecare users rotate {new.login}` gives it a new"
            " token, or choose another login"
        )
    return IssuedToken(user, token)


async def list_users(dsn: str) -> list[UserAccount]:
    """Every user, active or revoked, by login."""
    async with migrated_connection(dsn) as conn:
        return await user_store.list_accounts(conn)


async def revoke_user(dsn: str, login: str) -> tuple[UserAccount, bool]:
    """Revoke the user; also says whether it had been revoked before."""
    async with migrated_connection(dsn) as conn, conn.transaction():
        before = await user_store.find_account(conn, login=login)
        after = await user_store.revoke_user(conn, login=login)
        if before is not None and before.active:
            await _audit(conn, AuditEvent.USER_REVOKED, login, "revoked with the CLI")
    if before is None or after is None:
        raise UserAdminError(f"no user {login!r}: `linecare users list` shows the logins")
    return after, not before.active


async def rotate_token(dsn: str, login: str) -> IssuedToken:
    """Give an active user a new token; its old token stops working at once."""
    token = new_token()
    async with migrated_connection(dsn) as conn, conn.transaction():
        user = await user_store.replace_token(conn, login=login, token=token)
        account = None if user else await user_store.find_account(conn, login=login)
        if user is not None:
            await _audit(conn, AuditEvent.USER_CHANGED, login, "personal token replaced")
    if user is not None:
        return IssuedToken(user, token)
    if account is None:
        raise UserAdminError(f"no user {login!r}: `linecare users list` shows the logins")
    raise UserAdminError(
        f"user {login!r} is revoked: add a new user instead of bringing it back with a token"
    )


async def _audit(conn: Connection, event: AuditEvent, login: str, detail: str) -> None:
    """An audit entry for a change made on the server's command line (actor ``cli``)."""
    await audit_store.record(
        conn, AuditRecord(event, subject_login=login, actor_login="cli", detail=detail)
    )


def describe(user: User) -> str:
    """A user's login, role and customer, for one line of output."""
    scope = f"customer {user.customer_id}" if user.customer_id else "all customers"
    return f"{user.login} ({user.role}, {scope})"


def render_accounts(accounts: list[UserAccount]) -> str:
    """A plain table of the users; tokens cannot appear, only their digests are stored."""
    if not accounts:
        return "no users yet: `linecare users add LOGIN --role ROLE` creates one"
    rows = [("login", "role", "customer", "status", "created", "name")]
    for account in accounts:
        user = account.user
        status = (
            "active"
            if account.revoked_at is None
            else f"revoked {account.revoked_at.astimezone(UTC):%Y-%m-%d %H:%M} UTC"
        )
        rows.append(
            (
                user.login,
                str(user.role),
                user.customer_id or "-",
                status,
                f"{account.created_at:%Y-%m-%d}",
                user.display_name,
            )
        )
    # The name, free text, comes last and is not padded.
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]) - 1)]
    lines = (
        "  ".join([*(cell.ljust(width) for cell, width in zip(row, widths, strict=False)), row[-1]])
        for row in rows
    )
    return "\n".join(lines)
