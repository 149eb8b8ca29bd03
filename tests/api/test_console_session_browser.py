"""The console on the session cookie alone, in a real headless chromium.

Signed out, a page sends its visitor to /sign-in and gets them back; signed in with a
password, every page loads without an Authorization header, unsafe requests carry
X-Requested-With, a stale stored token is dropped, Sign out ends the session, and a
'#token=' link still works. Chromium is driven over the DevTools protocol by
tests/api/console_session_browser.mjs; without chromium or node the test is skipped.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.api.conftest import DESK

pytestmark = [pytest.mark.integration, pytest.mark.slow]

SCRIPT = Path(__file__).with_name("console_session_browser.mjs")

PHONE_CALL: dict[str, Any] = {
    "line_id": "line-2",
    "machine_id": "l2-capper",
    "channel": "hotline",
    "ticket_type": "general_fault",
    "severity": "general",
    "summary": "Capper loses torque on every tenth bottle",
    "symptoms": "Caps loose since the night shift; no alarm on the HMI.",
    "contact_name": "Jonas Brandt",
    "contact_phone": "+49 40 555 0199",
}


async def _drive(api_url: str, login: str, pages: list[str]) -> dict[str, Any]:
    proc = await asyncio.create_subprocess_exec(
        "node", "--no-warnings", "--experimental-websocket", str(SCRIPT),
        api_url, login, ",".join(pages),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(proc.communicate(), timeout=300)
    assert proc.returncode == 0, err.decode()[-2000:]
    seen: dict[str, Any] = json.loads(out.decode().strip().splitlines()[-1])
    return seen


@pytest.mark.parametrize(
    ("login", "pages"),
    [
        ("demo-desk", ["/tickets", "/", "/tickets/{ticket}", "/kpis", "/knowledge",
                       "/maintenance", "/report?line=line-1"]),
        ("demo-field-1", ["/my-jobs", "/maintenance", "/knowledge"]),
    ],
)  # fmt: skip
async def test_each_page_works_on_the_session_cookie_alone(
    api_url: str, client: httpx.AsyncClient, login: str, pages: list[str]
) -> None:
    if not (shutil.which("chromium") and shutil.which("node")):
        pytest.skip("needs Debian's chromium and node")
    created = await client.post(
        "/api/tickets", json=PHONE_CALL, headers={**DESK, "Idempotency-Key": "session-browser"}
    )
    assert created.status_code == 201, created.text
    pages = [page.format(ticket=created.json()["id"]) for page in pages]

    seen = await _drive(api_url, login, pages)

    # Signed out, the first page sends its visitor to sign in and gets them back.
    assert seen["redirected"] == f"/sign-in?next=%2F{pages[0][1:]}"
    assert seen["landed"] == pages[0]
    for page in pages:
        shown = seen["seen"][page]
        assert shown["signedIn"], (page, shown)  # the top bar shows the user and Sign out
        assert shown["at"].split("?")[0] == page.split("?")[0], (page, shown)
        # 404 is an answer pages expect (a ticket not dispatched yet); a refusal is not.
        refused = [f for f in shown["failures"] if f[:3] in ("401", "403") or f.startswith("5")]
        assert (refused, shown["errors"]) == ([], []), (page, shown)
    # The cookie alone: no request carried a token, every unsafe one the CSRF header.
    requests = seen["requests"]
    assert {r["authorization"] for r in requests} == {None}
    unsafe = [r for r in requests if r["method"] not in ("GET", "HEAD")]
    assert unsafe and all(r["requestedWith"] == "fetch" for r in unsafe), unsafe
    assert seen["unsafe"] == 422  # past the CSRF check (403 without the header) to validation
    assert seen["token"] is None
    # A stale token in the browser is dropped and the cookie carries on.
    assert (seen["staleSignedIn"], seen["staleLeft"]) == (True, None)
    # Sign out in the top bar ends the session.
    assert (seen["afterSignOut"], seen["meAfter"]) == ("/sign-in", 401)
    # A '#token=' link (API keys, old demo links) still opens the page, with the Bearer header.
    assert (seen["linkedSignedIn"], seen["linkedBearer"]) == (True, True)
