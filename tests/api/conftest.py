"""Tokens of the demo users for API tests; the app fixtures are the plugin
tests/fixtures/fix_app.py."""

from __future__ import annotations

SUPPORT = {"Authorization": "Bearer demo-support"}
DESK = {"Authorization": "Bearer demo-desk"}
NORDBRAU = {"Authorization": "Bearer demo-nordbrau"}
ALPENPACK = {"Authorization": "Bearer demo-alpenpack"}
