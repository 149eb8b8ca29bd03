"""The console pages and their assets are served, offline, and health needs no token."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from api.routers.console import STATIC_DIR
from storage.connections import Pool
from tests.api.conftest import NORDBRAU, SUPPORT
from tests.api.factories import T0, insert_series

pytestmark = pytest.mark.integration


async def test_console_page_is_served_at_root(client: httpx.AsyncClient) -> None:
    response = await client.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "LineCare" in response.text
    assert "/static/console.js" in response.text
    assert "token-input" not in response.text  # people sign in on /sign-in, with a password


# Every script and stylesheet of the console, found on disk so a new one is covered too.
ASSETS = sorted(p.name for p in STATIC_DIR.iterdir() if p.suffix in {".js", ".css", ".html"})
# The one URL allowed in an asset: the SVG namespace, a name that is never fetched.
SVG_NAMESPACE = "http://www.w3.org/2000/svg"
# Module imports, stylesheet links and script sources in the console's own files.
LOCAL_REFERENCE = re.compile(r"""(?:from\s+|import\s*\(\s*|href=|src=)["']([^"']+)["']""")


@pytest.mark.parametrize("name", ASSETS)
async def test_console_assets_are_served(client: httpx.AsyncClient, name: str) -> None:
    response = await client.get(f"/static/{name}")
    expected = {".js": "javascript", ".css": "text/css", ".html": "text/html"}
    assert response.status_code == 200
    assert expected[name[name.rindex(".") :]] in response.headers["content-type"]


def _code(path: Path) -> str:
    """The file without its comments: a comment may name a host ("//evil.example") it
    guards against."""
    text = re.sub(r"/\*.*?\*/|<!--.*?-->", "", path.read_text(encoding="utf-8"), flags=re.S)
    return re.sub(r"^\s*//.*$", "", text, flags=re.M)


@pytest.mark.parametrize("name", ASSETS)
def test_console_assets_reach_no_other_host(name: str) -> None:
    text = _code(STATIC_DIR / name).replace(SVG_NAMESPACE, "")
    assert not re.search(r"(?:https?:)?//[a-z0-9.-]+\.[a-z]{2,}", text, flags=re.IGNORECASE), name
    for reference in LOCAL_REFERENCE.findall(text):
        local = reference.startswith(("./", "#", "/")) and not reference.startswith("//")
        assert local, (name, reference)


NAMED_IMPORT = re.compile(r"import\s*\{([^}]*)\}\s*from\s*[\"']\./([\w.]+)[\"']")
EXPORT = re.compile(
    r"export\s+(?:async\s+)?(?:function|const|let|class)\s+([\w$]+)|export\s*\{([^}]*)\}"
)


def _exports(module: str) -> set[str]:
    names: set[str] = set()
    for single, listed in EXPORT.findall((STATIC_DIR / module).read_text(encoding="utf-8")):
        names |= {single} if single else {n.split(" as ")[-1].strip() for n in listed.split(",")}
    return names - {""}


def test_console_modules_import_only_names_their_modules_export() -> None:
    # A browser refuses a whole page for one missing export: catch it without a browser.
    for path in STATIC_DIR.glob("*.js"):
        for names, module in NAMED_IMPORT.findall(path.read_text(encoding="utf-8")):
            wanted = {n.split(" as ")[0].strip() for n in names.split(",") if n.strip()}
            assert wanted <= _exports(module), (path.name, module, wanted - _exports(module))


def test_console_modules_import_only_files_that_exist() -> None:
    for path in STATIC_DIR.glob("*.js"):
        for reference in LOCAL_REFERENCE.findall(path.read_text(encoding="utf-8")):
            if reference.startswith("./"):
                assert (STATIC_DIR / reference[2:]).is_file(), (path.name, reference)


# The one way the pages talk to the API (api_client.js): the session cookie, a token only
# from a '#token=' link, X-Requested-With on unsafe requests, /sign-in on a 401. The
# sign-in page posts its form itself; the diagnosis page reads its event stream with fetch.
OWN_FETCH = {"api_client.js", "sign_in.js", "diagnosis.js"}


@pytest.mark.parametrize("name", sorted(p.name for p in STATIC_DIR.glob("*.js")))
def test_console_scripts_reach_the_api_only_through_its_client(name: str) -> None:
    code = _code(STATIC_DIR / name)
    if name not in OWN_FETCH:
        assert not re.search(r"\bfetch\(", code), name
    if name != "api_client.js":
        assert "linecare.token" not in code, name  # the stored token is the client's alone
        assert "Authorization" not in code or name == "diagnosis.js", name


# Every page signed in by a session shows "Sign out" in its top bar, which the shared
# module builds (tests/api/test_top_bar.py): each of these pages has the bar and
# loads a script that imports it.
PAGES_WITH_SIGN_OUT = {
    "index.html": "console.js",
    "service.html": "service.js",
    "kpi.html": "kpi.js",
    "report.html": "report.js",
    "kb.html": "kb.js",
    "maintenance.html": "maintenance.js",
}


@pytest.mark.parametrize("name", sorted(PAGES_WITH_SIGN_OUT))
def test_each_page_offers_sign_out_in_its_top_bar(name: str) -> None:
    html = (STATIC_DIR / name).read_text(encoding="utf-8")
    script = PAGES_WITH_SIGN_OUT[name]
    assert '<header class="topbar">' in html, name
    assert f'src="/static/{script}"' in html, name
    assert "top_bar.js" in (STATIC_DIR / script).read_text(encoding="utf-8"), name


@pytest.mark.parametrize(
    "path", ["/tickets", "/tickets/12", "/tickets/LC-2026-000012", "/tickets/new", "/my-jobs"]
)
async def test_service_pages_are_served_without_a_token(
    client: httpx.AsyncClient, path: str
) -> None:
    # The page is static; the data behind it needs the token, which the page sends.
    response = await client.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["cache-control"] == "no-cache"
    assert "/static/service.js" in response.text


async def test_a_ticket_address_with_odd_characters_is_no_page(client: httpx.AsyncClient) -> None:
    response = await client.get("/tickets/%3Cscript%3E")
    assert response.status_code in (404, 422)
    assert "service.js" not in response.text


async def test_ticket_page_data_stays_behind_the_token(client: httpx.AsyncClient) -> None:
    assert (await client.get("/api/tickets")).status_code == 401


async def test_health_tells_anyone_up_and_staff_the_plant_time(
    client: httpx.AsyncClient, seeded_pool: Pool
) -> None:
    anonymous = await client.get("/api/v1/health")
    customer = await client.get("/api/v1/health", headers=NORDBRAU)
    bad_token = await client.get("/api/v1/health", headers={"Authorization": "Bearer nonsense"})
    empty = await client.get("/api/v1/health", headers=SUPPORT)
    async with seeded_pool.connection() as conn:
        await insert_series(
            conn,
            machine_id="l1-filler",
            signal="state",
            start=T0 - timedelta(minutes=1),
            step=timedelta(minutes=1),
            values=[6, 6],
        )
    filled = await client.get("/api/v1/health", headers=SUPPORT)
    assert anonymous.status_code == customer.status_code == bad_token.status_code == 200
    assert anonymous.json() == customer.json() == bad_token.json() == {"status": "up"}
    assert empty.json() == {"status": "up", "database": True, "plant_time": None}
    assert filled.status_code == 200
    assert filled.json()["plant_time"] == "2026-03-02T12:00:00Z"


async def test_every_page_has_the_sites_icon_and_favicon_ico_answers_it(
    client: httpx.AsyncClient,
) -> None:
    icon = await client.get("/favicon.ico")

    assert icon.status_code == 200
    assert icon.headers["content-type"].startswith("image/svg+xml")
    assert icon.content == (STATIC_DIR / "favicon.svg").read_bytes()
    for page in sorted(STATIC_DIR.glob("*.html")):
        assert '<link rel="icon" href="/static/favicon.svg"' in page.read_text(), page.name
