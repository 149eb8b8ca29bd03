"""The sign-in page in a real headless chromium: the cookie works and stays out of reach.

Chromium is driven over the DevTools protocol by tests/api/sign_in_browser.mjs, so
nothing is downloaded; without chromium or node the test is skipped.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
from pathlib import Path

import pytest

pytestmark = [pytest.mark.integration, pytest.mark.slow]

SCRIPT = Path(__file__).with_name("sign_in_browser.mjs")


async def test_a_person_signs_in_and_out_in_chromium(api_url: str) -> None:
    if not (shutil.which("chromium") and shutil.which("node")):
        pytest.skip("needs Debian's chromium and node")
    proc = await asyncio.create_subprocess_exec(
        "node", "--no-warnings", "--experimental-websocket", str(SCRIPT), api_url,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(proc.communicate(), timeout=120)
    assert proc.returncode == 0, err.decode()[-2000:]
    seen = json.loads(out.decode().strip().splitlines()[-1])

    assert seen["error"] == "The login or the password is wrong."
    assert seen["filled"] == "demo-support"  # a demo account's button fills the form in
    # Signed in, it follows ?next= to a path of this site, where the cookie signs it in.
    path, _, body = seen["landed"].partition(" ")
    assert path == "/api/me"
    assert json.loads(body)["login"] == "demo-nordbrau"
    assert seen["cookieVisible"] == ""  # HttpOnly: no script reads the session
    assert seen["afterEvil"] == api_url + "/"  # ?next=//evil.example goes home instead
    assert (seen["signOut"], seen["meAfter"]) == (204, 401)
