"""A small client of LineCare's own REST API, for the CLI's scripted commands.

The CLI works tickets through the API rather than the database, so that a
scripted move passes the same permissions, validation, audit trail and
notifications as one made in the console.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

JsonBody = dict[str, Any] | list[Any]


class ApiError(Exception):
    """The API refused the request: its status and the message it gave."""

    def __init__(self, status: int, message: str, body: Any = None) -> None:
        super().__init__(message)
        self.status = status
        self.body = body


class ApiUnreachable(Exception):
    """No answer from the API at all."""


@dataclass(frozen=True, slots=True)
class ApiClient:
    base_url: str
    token: str
    timeout_s: float = 30.0

    async def call(
        self,
        method: str,
        path: str,
        *,
        body: JsonBody | None = None,
        params: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> Any:
        """The decoded JSON answer; ``ApiError`` for a 4xx/5xx, ``ApiUnreachable`` without one."""
        sent_headers = {"Authorization": f"Bearer {self.token}", **(headers or {})}
        try:
            async with httpx.AsyncClient(base_url=self.base_url, timeout=self.timeout_s) as client:
                response = await client.request(
                    method, path, json=body, params=params, headers=sent_headers
                )
        except httpx.HTTPError as error:
            raise ApiUnreachable(f"cannot reach {self.base_url}: {error}") from None
        if response.status_code >= 400:
            raise _error_of(response)
        if not response.content:
            return None
        return response.json()


def _error_of(response: httpx.Response) -> ApiError:
    try:
        body = response.json()
    except ValueError:
        return ApiError(response.status_code, response.text.strip() or response.reason_phrase)
    return ApiError(response.status_code, error_message(body), body)


def error_message(body: Any) -> str:
    """One readable line from an error: a problem's (RFC 9457) detail, with a refusal's moves
    open instead; older servers' shapes (a refusal or validation list in detail) too."""
    detail = body.get("detail", body) if isinstance(body, dict) else body
    if isinstance(detail, str):
        allowed = body.get("allowed_next") if isinstance(body, dict) else None
        if isinstance(allowed, list):
            detail += f" Allowed next: {', '.join(map(str, allowed)) or 'none'}."
        return detail
    if isinstance(detail, dict):
        message = str(detail.get("message") or detail.get("detail") or detail)
        allowed = detail.get("allowed_next")
        if allowed is not None:
            message += f" Allowed next: {', '.join(allowed) or 'none'}."
        return message
    if isinstance(detail, list):
        parts = []
        for item in detail:
            if isinstance(item, dict):
                where = ".".join(str(p) for p in item.get("loc", []) if p != "body")
                parts.append(f"{where}: {item.get('msg', item)}" if where else str(item.get("msg")))
            else:
                parts.append(str(item))
        return "; ".join(parts)
    return str(detail)
