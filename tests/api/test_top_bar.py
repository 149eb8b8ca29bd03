"""One top bar on every signed-in page: the page links, who is signed in and Sign out,
filled by one module (api/static/top_bar.js) so the pages cannot drift apart again."""

from __future__ import annotations

import re

import pytest

from api.routers.console import STATIC_DIR

# Each page and the script that fills its top bar.
PAGES = {
    "index.html": "console.js",
    "fleet.html": "fleet.js",
    "service.html": "service.js",
    "diagnosis.html": "diagnosis.js",
    "report.html": "report.js",
    "kpi.html": "kpi.js",
    "maintenance.html": "maintenance.js",
    "kb.html": "kb.js",
    "parts.html": "parts.js",
}


def _top_bar(name: str) -> str:
    html = (STATIC_DIR / name).read_text(encoding="utf-8")
    return html[html.index('<header class="topbar">') : html.index("</header>")]


@pytest.mark.parametrize("name", sorted(PAGES))
def test_each_page_leaves_its_top_bar_to_the_shared_module(name: str) -> None:
    bar = _top_bar(name)
    # The page holds only its own status items; the links, the user and Sign out are
    # built by top_bar.js (tests/browser/test_top_bar.py sees them drawn).
    for part in ('id="topnav"', 'id="user-chip"', 'id="sign-out"', ">Console<"):
        assert part not in bar, (name, part)


def test_the_shared_module_builds_the_page_links_the_user_and_sign_out() -> None:
    script = (STATIC_DIR / "top_bar.js").read_text(encoding="utf-8")
    for part in ('id: "topnav"', 'id: "user-chip"', 'id: "sign-out"', '"Sign out"'):
        assert part in script, part


@pytest.mark.parametrize("name", sorted(PAGES))
def test_each_page_fills_its_top_bar_with_the_shared_module(name: str) -> None:
    script = (STATIC_DIR / PAGES[name]).read_text(encoding="utf-8")
    shared = r'import \{[^}]*\bshowSignedIn\b[^}]*\} from "(\./|/static/)top_bar\.js"'
    assert re.search(shared, script), name
    assert "user-chip" not in script, name  # nobody fills the chip their own way


def test_role_names_are_words_not_codes() -> None:
    script = (STATIC_DIR / "top_bar.js").read_text(encoding="utf-8")
    for code, words in (
        ("field_engineer", "Field engineer"),
        ("parts_manager", "Parts manager"),
        ("support", "Technical support"),
        ("desk", "Service desk"),
    ):
        assert f'{code}: "{words}"' in script, code


def test_staff_find_the_diagnosis_page_in_the_page_links() -> None:
    nav = (STATIC_DIR / "page_nav.js").read_text(encoding="utf-8")
    assert 'links.push(["/diagnosis", "Diagnosis"])' in nav
