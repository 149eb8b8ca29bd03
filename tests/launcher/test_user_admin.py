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
