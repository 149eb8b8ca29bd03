"""`linecare users`: accounts for a real installation, run as from a shell on a real database."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from api.app import create_app
from launcher import cli
from models.plant import Plant
from services.free_ports import free_port
from settings.linecare_settings import Settings
from storage.connections import Pool
from storage.user_store import token_digest
from tests.fixtures.fix_database import PLANT_FILE

pytestmark = pytest.mark.integration


@dataclass(frozen=True, slots=True)
class Outcome:
    code: int
    out: str
    err: str


@pytest.fixture
def linecare(
    database_dsn: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> LinecareCommand:
    """Runs `linecare ARGS` against the test database, as an administrator would."""
    monkeypatch.setenv("LINECARE_DATABASE_URL", database_dsn)
    monkeypatch.setenv("LINECARE_STATE_DIR", str(tmp_path))
    monkeypatch.setenv("LINECARE_PLANT_FILE", str(PLANT_FILE))
    return LinecareCommand(capsys)


class LinecareCommand:
    def __init__(self, capsys: pytest.CaptureFixture[str]) -> None:
        self._capsys = capsys

    async def __call__(self, *args: str) -> Outcome:
        self._capsys.readouterr()
        # The command runs its own event loop, as from a shell.
        code = await asyncio.to_thread(cli.main, list(args))
        captured = self._capsys.readouterr()
        return Outcome(code, captured.out, captured.err)

    async def add(self, *args: str) -> str:
        """Add a user and return the token it printed."""
        outcome = await self("users", "add", *args)
        assert outcome.code == 0, outcome.err
        return outcome.out.strip()


@pytest.fixture
async def client(db_pool: Pool, plant: Plant, tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    settings = Settings(database_url="unused: the app gets the pool", state_dir=tmp_path)
    app = create_app(settings, plant, pool=db_pool)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://linecare.test") as http:
        yield http


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def _line_ids(client: httpx.AsyncClient, token: str) -> list[str]:
    response = await client.get("/api/lines", headers=_bearer(token))
    assert response.status_code == 200, response.text
    return [line["id"] for line in response.json()]


async def test_a_customer_user_signs_in_and_sees_only_its_own_lines(
    linecare: LinecareCommand, client: httpx.AsyncClient
) -> None:
    outcome = await linecare(
        "users", "add", "anna", "--role", "customer", "--customer-id", "alpenpack",
        "--name", "Anna Berger",
    )  # fmt: skip

    assert outcome.code == 0
    token = outcome.out.strip()
    assert outcome.out == token + "\n"  # the token alone, so a script can capture it
    assert outcome.err.count("\n") == 1 and "shown only this once" in outcome.err
    me = (await client.get("/api/me", headers=_bearer(token))).json()
    assert (me["login"], me["display_name"], me["role"], me["customer_id"]) == (
        "anna",
        "Anna Berger",
        "customer",
        "alpenpack",
    )
    assert await _line_ids(client, token) == ["line-3"]
    foreign = await client.get("/api/lines/line-1", headers=_bearer(token))
    assert foreign.status_code == 404


async def test_a_staff_user_sees_every_line(
    linecare: LinecareCommand, client: httpx.AsyncClient
) -> None:
    token = await linecare.add("dieter", "--role", "desk")

    assert await _line_ids(client, token) == ["line-1", "line-2", "line-3"]


async def test_tokens_are_random_and_kept_only_as_digests(
    linecare: LinecareCommand, db_pool: Pool
) -> None:
    first = await linecare.add("eva", "--role", "support")
    second = await linecare.add("frank", "--role", "support")

    assert first != second and min(len(first), len(second)) >= 43
    async with db_pool.connection() as conn:
        cursor = await conn.execute(
            "SELECT users.*, api_keys.* FROM users JOIN api_keys ON api_keys.user_id = users.id"
            " WHERE login IN ('eva', 'frank')"
        )
        stored = [str(value) for row in await cursor.fetchall() for value in row]
    assert token_digest(first) in stored and token_digest(second) in stored
    assert first not in stored and second not in stored


async def test_a_revoked_token_answers_401(
    linecare: LinecareCommand, client: httpx.AsyncClient
) -> None:
    token = await linecare.add("gerd", "--role", "customer", "--customer-id", "nordbrau")
    assert await _line_ids(client, token) == ["line-1", "line-2"]

    revoked = await linecare("users", "revoke", "gerd")
    again = await linecare("users", "revoke", "gerd")

    assert revoked.code == 0 and "gerd" in revoked.out and "no longer works" in revoked.out
    assert again.code == 0 and "already revoked" in again.out
    response = await client.get("/api/lines", headers=_bearer(token))
    assert response.status_code == 401
    listing = (await linecare("users", "list")).out
    assert "revoked" in next(line for line in listing.splitlines() if line.startswith("gerd"))


async def test_rotate_prints_a_new_token_and_the_old_one_stops_working(
    linecare: LinecareCommand, client: httpx.AsyncClient
) -> None:
    old = await linecare.add("hanna", "--role", "support")

    rotated = await linecare("users", "rotate", "hanna")

    assert rotated.code == 0
    new = rotated.out.strip()
    assert new != old
    assert (await client.get("/api/me", headers=_bearer(old))).status_code == 401
    assert (await client.get("/api/me", headers=_bearer(new))).json()["login"] == "hanna"


async def test_a_revoked_user_gets_no_new_token(
    linecare: LinecareCommand, client: httpx.AsyncClient
) -> None:
    await linecare.add("ingo", "--role", "support")
    await linecare("users", "revoke", "ingo")

    rotated = await linecare("users", "rotate", "ingo")

    assert rotated.code == 2 and rotated.out == ""
    assert rotated.err.startswith("linecare: user 'ingo' is revoked")


async def test_list_shows_users_but_no_tokens(linecare: LinecareCommand) -> None:
    tokens = [
        await linecare.add("jana", "--role", "support"),
        await linecare.add("kai", "--role", "customer", "--customer-id", "nordbrau"),
    ]

    listing = await linecare("users", "list")

    assert listing.code == 0
    rows = {line.split()[0]: line.split() for line in listing.out.splitlines()}
    assert rows["jana"][:4] == ["jana", "support", "-", "active"]
    assert rows["kai"][:4] == ["kai", "customer", "nordbrau", "active"]
    for token in tokens:
        assert token not in listing.out and token_digest(token) not in listing.out


async def test_list_on_an_installation_without_users_says_how_to_add_one(
    linecare: LinecareCommand,
) -> None:
    listing = await linecare("users", "list")

    assert listing.code == 0 and "linecare users add" in listing.out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["lena", "--role", "service_desk"], "unknown role 'service_desk': choose one of support,"),
        (["lena", "--role", "customer"], "a customer user needs --customer-id"),
        (
            ["lena", "--role", "customer", "--customer-id", "acme"],
            "unknown customer 'acme': the plant file names nordbrau, alpenpack",
        ),
        (
            ["lena", "--role", "support", "--customer-id", "nordbrau"],
            "--customer-id is only for the customer role",
        ),
        (["lena berger", "--role", "desk"], "login 'lena berger' is not valid"),
        (["lena", "--role", "desk", "--name", "  "], "--name must be printable text"),
    ],
)
async def test_bad_input_exits_2_with_one_line_and_creates_nobody(
    linecare: LinecareCommand, args: list[str], message: str
) -> None:
    outcome = await linecare("users", "add", *args)

    assert outcome.code == 2
    assert outcome.out == ""
    assert outcome.err == f"linecare: {outcome.err.removeprefix('linecare: ').strip()}\n"
    assert message in outcome.err
    assert "no users yet" in (await linecare("users", "list")).out


async def test_a_taken_login_is_refused_and_keeps_its_token(
    linecare: LinecareCommand, client: httpx.AsyncClient
) -> None:
    token = await linecare.add("max", "--role", "customer", "--customer-id", "nordbrau")

    again = await linecare("users", "add", "max", "--role", "support")

    assert again.code == 2 and again.out == "" and again.err.count("\n") == 1
    assert "login 'max' is taken" in again.err
    assert await _line_ids(client, token) == ["line-1", "line-2"]


@pytest.mark.parametrize("action", ["revoke", "rotate"])
async def test_an_unknown_login_exits_2(linecare: LinecareCommand, action: str) -> None:
    outcome = await linecare("users", action, "nobody")

    assert outcome.code == 2
    assert outcome.err == "linecare: no user 'nobody': `linecare users list` shows the logins\n"


async def test_an_unreachable_database_is_one_line_not_a_traceback(
    linecare: LinecareCommand, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(
        "LINECARE_DATABASE_URL",
        f"host=127.0.0.1 port={free_port()} user=postgres dbname=linecare connect_timeout=3",
    )

    outcome = await linecare("users", "list")

    assert outcome.code == 1
    assert outcome.err.startswith("linecare: ") and outcome.err.count("\n") == 1
    assert "Traceback" not in outcome.err


# Passwords and API keys: launcher/credential_admin.py.


def _password_file(tmp_path: Path, password: str) -> str:
    path = tmp_path / f"password-{len(list(tmp_path.iterdir()))}.txt"
    path.write_text(password + "\n", encoding="utf-8")
    return str(path)


async def _sign_in(client: httpx.AsyncClient, login: str, password: str) -> int:
    response = await client.post("/api/token", json={"login": login, "password": password})
    return response.status_code


async def _audit_events(db_pool: Pool, login: str) -> list[tuple[str, str | None]]:
    async with db_pool.connection() as conn:
        cursor = await conn.execute(
            "SELECT event, actor_login FROM audit_log WHERE subject_login = %s ORDER BY id",
            (login,),
        )
        return [(row[0], row[1]) for row in await cursor.fetchall()]


async def test_add_admin_creates_the_first_administrator_who_signs_in_with_the_password(
    linecare: LinecareCommand, client: httpx.AsyncClient, tmp_path: Path, db_pool: Pool
) -> None:
    password_file = _password_file(tmp_path, "correct horse battery")

    outcome = await linecare("users", "add-admin", "root-admin", "--password-file", password_file)

    assert outcome.code == 0, outcome.err
    assert "root-admin (admin, all customers)" in outcome.out
    assert "correct horse" not in outcome.out + outcome.err
    assert await _sign_in(client, "root-admin", "correct horse battery") == 200
    assert await _sign_in(client, "root-admin", "wrong horse battery") == 401
    async with db_pool.connection() as conn:
        cursor = await conn.execute("SELECT password_hash FROM users WHERE login = 'root-admin'")
        row = await cursor.fetchone()
    assert row is not None and row[0].startswith("$argon2id$")
    assert ("user_created", "cli") in await _audit_events(db_pool, "root-admin")


@pytest.mark.parametrize(("password", "message"), [("short", "at least 10"), ("", "at least 10")])
async def test_add_admin_refuses_a_weak_password_and_creates_nobody(
    linecare: LinecareCommand, tmp_path: Path, password: str, message: str
) -> None:
    outcome = await linecare(
        "users", "add-admin", "weak", "--password-file", _password_file(tmp_path, password)
    )

    assert outcome.code == 2
    assert message in outcome.err
    assert "weak" not in (await linecare("users", "list")).out


async def test_add_admin_without_a_terminal_or_file_asks_for_the_file(
    linecare: LinecareCommand,
) -> None:
    outcome = await linecare("users", "add-admin", "nobody-at-tty")

    assert outcome.code == 2
    assert "--password-file" in outcome.err


async def test_add_admin_refuses_a_taken_login(
    linecare: LinecareCommand, client: httpx.AsyncClient, tmp_path: Path
) -> None:
    await linecare.add("olaf", "--role", "desk")

    outcome = await linecare(
        "users", "add-admin", "olaf", "--password-file", _password_file(tmp_path, "a long password")
    )

    assert outcome.code == 2
    assert "set-password olaf" in outcome.err
    assert await _sign_in(client, "olaf", "a long password") == 401


async def test_set_password_replaces_the_password_and_ends_refresh_tokens(
    linecare: LinecareCommand, client: httpx.AsyncClient, tmp_path: Path, db_pool: Pool
) -> None:
    await linecare.add("paula", "--role", "support")
    first = _password_file(tmp_path, "first password!")
    assert (await linecare("users", "set-password", "paula", "--password-file", first)).code == 0
    pair = (
        await client.post("/api/token", json={"login": "paula", "password": "first password!"})
    ).json()

    second = _password_file(tmp_path, "second password!")
    outcome = await linecare("users", "set-password", "paula", "--password-file", second)

    assert outcome.code == 0, outcome.err
    assert await _sign_in(client, "paula", "first password!") == 401
    assert await _sign_in(client, "paula", "second password!") == 200
    refreshed = await client.post(
        "/api/token/refresh", json={"refresh_token": pair["refresh_token"]}
    )
    assert refreshed.status_code == 401
    events = await _audit_events(db_pool, "paula")
    assert events.count(("password_changed", "cli")) == 2


async def test_set_password_for_an_unknown_login_exits_2(
    linecare: LinecareCommand, tmp_path: Path
) -> None:
    outcome = await linecare(
        "users", "set-password", "ghost", "--password-file", _password_file(tmp_path, "x" * 12)
    )

    assert outcome.code == 2
    assert "no active user 'ghost'" in outcome.err


async def test_api_key_add_list_revoke(
    linecare: LinecareCommand, client: httpx.AsyncClient, db_pool: Pool
) -> None:
    await linecare.add("mes", "--role", "desk")

    added = await linecare("users", "api-key", "add", "mes", "--name", "MES export")
    assert added.code == 0, added.err
    key = added.out.strip()
    assert key.startswith("lck_") and "read_only" in added.err
    assert (await client.get("/api/lines", headers=_bearer(key))).status_code == 200
    refused = await client.post("/api/tickets", headers=_bearer(key), json={})
    assert refused.status_code == 403  # read-only: no change, whatever the body

    listing = await linecare("users", "api-key", "list", "mes")
    assert "MES export" in listing.out and "read_only" in listing.out
    assert key not in listing.out
    key_id = next(
        line.split()[0] for line in listing.out.splitlines() if line.endswith("MES export")
    )

    revoked = await linecare("users", "api-key", "revoke", key_id)
    assert revoked.code == 0, revoked.err
    assert (await client.get("/api/lines", headers=_bearer(key))).status_code == 401
    events = await _audit_events(db_pool, "mes")
    assert ("api_key_created", "cli") in events and ("api_key_revoked", "cli") in events


async def test_a_customer_users_key_cannot_name_another_customer(
    linecare: LinecareCommand,
) -> None:
    await linecare.add("carla", "--role", "customer", "--customer-id", "nordbrau")

    outcome = await linecare(
        "users", "api-key", "add", "carla", "--name", "x", "--customer-id", "alpenpack"
    )

    assert outcome.code == 2
    assert "only that customer" in outcome.err


async def test_a_staff_key_bound_to_a_customer_sees_only_that_customer(
    linecare: LinecareCommand, client: httpx.AsyncClient
) -> None:
    await linecare.add("sven", "--role", "support")

    outcome = await linecare(
        "users", "api-key", "add", "sven", "--name", "portal", "--customer-id", "alpenpack"
    )

    assert outcome.code == 0, outcome.err
    assert await _line_ids(client, outcome.out.strip()) == ["line-3"]
