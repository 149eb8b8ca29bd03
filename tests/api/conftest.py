"""Tokens of the demo users for API tests, and the service desk's clock; the app
fixtures are the plugin tests/fixtures/fix_app.py."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI

from tests.api.desk_clock import Clock
from tests.api.factories import T0

SUPPORT = {"Authorization": "Bearer demo-support"}
DESK = {"Authorization": "Bearer demo-desk"}
NORDBRAU = {"Authorization": "Bearer demo-nordbrau"}
ALPENPACK = {"Authorization": "Bearer demo-alpenpack"}


@pytest.fixture
def clock(app: FastAPI) -> Iterator[Clock]:
    """The desk's "now" at T0, moved by the test; a module that needs another start
    defines its own ``clock``."""
    fixed = Clock(T0)
    app.state.ticket_clock = fixed
    yield fixed
