"""Reading the API's errors (RFC 9457 problems, api/problem_details.py) in tests."""

from __future__ import annotations

from typing import Any

import httpx

PROBLEM_JSON = "application/problem+json"


def refusal_of(response: httpx.Response) -> dict[str, Any]:
    """A refused move's message, the status now and the moves open instead."""
    assert response.headers["content-type"] == PROBLEM_JSON, response.text
    body = response.json()
    return {
        "message": body["detail"],
        "status": body["current_status"],
        "allowed_next": body["allowed_next"],
    }
