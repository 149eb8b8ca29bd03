"""``linecare users add-admin | set-password | api-key``: passwords and API keys on the server.

The first administrator is made here: there is no default password outside the
demo. Passwords are read from ``--password-file`` (its first line) or asked for
twice at the terminal, never taken from the command line, where other users of
the machine could read them. A forgotten password is reset with
``set-password``, which also ends the user's sessions. Every change is written
to the audit log with the actor ``cli``. Exit codes: 0 done, 2 bad input, 1
database unreachable (handled by launcher/cli.py).
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys
from dataclasses import dataclass
from datetime import UTC
from pathlib import Path
from typing import TypeAlias

from api.auth.passwords import WeakPasswordError, check_new_password, hash_password
from api.auth.secrets_issued import new_api_key
from launcher.user_admin import UserAdminError, check_login, describe, migrated_connection
from models.credentials import ApiKey, ApiKeyAccess, AuditEvent, AuditRecord
from models.plant import Plant
from models.users import Role, User
from storage import api_key_store, audit_store, user_store
from storage.asset_registry import sync_assets
from storage.connections import Connection

_Subparsers: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"
COMMANDS = frozenset({"add-admin", "set-password", "api-key"})
CLI_ACTOR = "cli"


def add_parsers(actions: _Subparsers) -> None:
    """The sub-commands of ``linecare users`` this module runs."""
    admin = actions.add_parser(
        "add-admin", help="create an administrator with a password (the first one, or more)"
    )
    admin.add_argument("login")
    admin.add_argument("--name", help="display name (default: the login)")
    _password_file(admin)
    password = actions.add_parser(
        "set-password", help="set or reset a user's password; their sessions end"
    )
    password.add_argument("login")
    _password_file(password)
    keys = actions.add_parser("api-key", help="API keys for machine-to-machine use")
    key_actions = keys.add_subparsers(dest="api_key_command", required=True)
    add = key_actions.add_parser("add", help="create a key for a user and print it once")
    add.add_argument("login", help="whose key it is")
    add.add_argument("--name", required=True, help="what the key is for, e.g. 'MES export'")
    add.add_argument(
        "--access",
        default=str(ApiKeyAccess.READ_ONLY),
        choices=[access.value for access in ApiKeyAccess],
        help="full: all the user's rights; read_only (default); tickets_write",
    )
    add.add_argument("--customer-id", help="bind the key to this customer")
    listing = key_actions.add_parser("list", help="the keys, their scope and last use")
    listing.add_argument("login", nargs="?", help="only this user's keys")
    revoke = key_actions.add_parser("revoke", help="stop a key from working, for good")
    revoke.add_argument("key_id", type=int)


def _password_file(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--password-file",
        type=Path,
        help="read the password from the first line of this file (else it is asked for)",
    )


def run(args: argparse.Namespace, dsn: str, plant: Plant | None) -> None:
    """Run one of ``COMMANDS``; UserAdminError for input to correct."""
    if args.users_command == "add-admin":
        password = read_new_password(args.password_file)
        user = asyncio.run(add_admin(dsn, args.login, args.name, password))
        print(f"created {describe(user)}; sign in at /sign-in")
    elif args.users_command == "set-password":
        password = read_new_password(args.password_file)
        user = asyncio.run(set_password(dsn, args.login, password))
        print(f"new password for {describe(user)}; their sessions have ended")
    elif args.api_key_command == "add":
        if plant is None:
            raise UserAdminError("the plant file is needed to check --customer-id")
        issued = asyncio.run(
            add_api_key(
                dsn,
                plant,
                NewKey(args.login, args.name, ApiKeyAccess(args.access), args.customer_id),
            )
        )
        # The key alone on stdout, so that `KEY=$(linecare users api-key add ...)` works.
        print(
            f"linecare: created {render_key(issued.api_key)}; shown only this once:",
            file=sys.stderr,
        )
        print(issued.key)
    elif args.api_key_command == "list":
        print(render_keys(asyncio.run(list_api_keys(dsn, args.login))))
    else:
        key = asyncio.run(revoke_api_key(dsn, args.key_id))
        print(f"revoked {render_key(key)}")


def read_new_password(password_file: Path | None) -> str:
    """The new password from the file's first line, or asked for twice at the terminal."""
    if password_file is not None:
        try:
            lines = password_file.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as error:
            raise UserAdminError(f"cannot read {password_file}: {error}") from None
        password = lines[0] if lines else ""
    else:
        if not sys.stdin.isatty():
            raise UserAdminError("no terminal to ask for the password: use --password-file")
        password = getpass.getpass("New password: ")
        if getpass.getpass("Once more: ") != password:
            raise UserAdminError("the two passwords differ; nothing changed")
    try:
        return check_new_password(password)
    except WeakPasswordError as error:
        raise UserAdminError(str(error)) from None


async def add_admin(dsn: str, login: str, display_name: str | None, password: str) -> User:
    """Create an administrator with this password; a taken login is an error."""
    name = login if display_name is None else display_name.strip()
    if not name or not name.isprintable():
        raise UserAdminError("--name must be printable text and not empty")
    password_hash = await asyncio.to_thread(hash_password, password)
    async with migrated_connection(dsn) as conn, conn.transaction():
        user = await user_store.create_user(
            conn,
            login=check_login(login),
            display_name=name,
            role=Role.ADMIN,
            customer_id=None,
            password_hash=password_hash,
        )
        if user is not None:
            await _audit(conn, AuditEvent.USER_CREATED, login, "administrator, with a password")
    if user is None:
        raise UserAdminError(
            f"login {login!r} is taken: `linecare users set-password {login}` resets its password"
        )
    return user


async def set_password(dsn: str, login: str, password: str) -> User:
    """Replace the user's password; their console sessions and refresh tokens end."""
    password_hash = await asyncio.to_thread(hash_password, password)
    async with migrated_connection(dsn) as conn, conn.transaction():
        user = await user_store.set_password_hash(conn, login=login, password_hash=password_hash)
        if user is not None:
            await _audit(conn, AuditEvent.PASSWORD_CHANGED, login, "reset with the CLI")
    if user is None:
        raise UserAdminError(f"no active user {login!r}: `linecare users list` shows the logins")
    return user


@dataclass(frozen=True, slots=True)
class NewKey:
    login: str
    name: str
    access: ApiKeyAccess
    customer_id: str | None


@dataclass(frozen=True, slots=True)
class IssuedKey:
    api_key: ApiKey
    key: str


async def add_api_key(dsn: str, plant: Plant, new: NewKey) -> IssuedKey:
    """Create a key for the user; a customer user's key is bound to their customer."""
    name = new.name.strip()
    if not name or not name.isprintable() or len(name) > 100:
        raise UserAdminError("--name must be printable text of 1 to 100 characters")
    key = new_api_key()
    async with migrated_connection(dsn) as conn:
        await sync_assets(conn, plant)
        async with conn.transaction():
            account = await user_store.find_account(conn, login=new.login)
            if account is None or not account.active:
                raise UserAdminError(f"no active user {new.login!r}")
            customer_id = _key_customer(plant, account.user, new.customer_id)
            created = await api_key_store.create_api_key(
                conn,
                user_id=account.user.id,
                name=name,
                key=key,
                access=new.access,
                customer_id=customer_id,
            )
            assert created is not None  # no Idempotency-Key, so never a replay
            await _audit(conn, AuditEvent.API_KEY_CREATED, new.login, render_key(created))
    return IssuedKey(created, key)


def _key_customer(plant: Plant, owner: User, requested: str | None) -> str | None:
    if owner.role is Role.CUSTOMER:
        if requested not in (None, owner.customer_id):
            raise UserAdminError(
                f"{owner.login} is a user of {owner.customer_id}: its keys see only that customer"
            )
        return owner.customer_id
    if requested is not None and requested not in {c.id for c in plant.customers}:
        known = ", ".join(c.id for c in plant.customers)
        raise UserAdminError(f"unknown customer {requested!r}: the plant file names {known}")
    return requested


async def list_api_keys(dsn: str, login: str | None) -> list[ApiKey]:
    async with migrated_connection(dsn) as conn:
        return await api_key_store.list_api_keys(conn, owner_login=login)


async def revoke_api_key(dsn: str, key_id: int) -> ApiKey:
    """Revoke the key; revoking it again changes nothing."""
    if not 0 < key_id < 2**63:
        raise UserAdminError(f"no API key {key_id}")
    async with migrated_connection(dsn) as conn, conn.transaction():
        before = await api_key_store.find_api_key(conn, key_id=key_id)
        if before is None:
            raise UserAdminError(f"no API key {key_id}: `linecare users api-key list` shows them")
        key = await api_key_store.revoke_api_key(conn, key_id=key_id)
        assert key is not None
        if before.active:
            await _audit(conn, AuditEvent.API_KEY_REVOKED, key.owner_login, render_key(key))
    return key


async def _audit(conn: Connection, event: AuditEvent, login: str, detail: str) -> None:
    await audit_store.record(
        conn, AuditRecord(event, subject_login=login, actor_login=CLI_ACTOR, detail=detail)
    )


def render_key(key: ApiKey) -> str:
    scope = f", customer {key.customer_id}" if key.customer_id else ""
    return f"API key {key.id} {key.name!r} of {key.owner_login} ({key.access}{scope})"


def render_keys(keys: list[ApiKey]) -> str:
    """A plain table of keys; the keys themselves cannot appear, only digests are kept."""
    if not keys:
        return "no API keys: `linecare users api-key add LOGIN --name NAME` creates one"
    rows = [("id", "owner", "access", "customer", "status", "last used", "name")]
    for key in keys:
        status = "active" if key.active else f"revoked {key.revoked_at:%Y-%m-%d}"
        used = (
            key.last_used_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M")
            if key.last_used_at
            else "never"
        )
        rows.append(
            (
                str(key.id),
                key.owner_login,
                str(key.access),
                key.customer_id or "-",
                status,
                used,
                key.name,
            )
        )
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]) - 1)]
    return "\n".join(
        "  ".join([*(cell.ljust(width) for cell, width in zip(row, widths, strict=False)), row[-1]])
        for row in rows
    )
