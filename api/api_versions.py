"""The API lives under /api/v1; the old unversioned /api paths are a deprecated alias.

A request to ``/api/<path>`` is served as ``/api/v1/<path>``, so existing clients
and scripts keep working, and its answer says so: ``Deprecation`` (RFC 9745)
with the date the alias was deprecated, and ``Link`` to the successor path and
to the documentation. The alias is not in the OpenAPI document.
"""

from __future__ import annotations

from datetime import UTC, datetime

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

API_ROOT = "/api"
API_V1 = "/api/v1"
DOCS_URL = "/docs"
# When /api/v1 came and the unversioned paths became its alias.
ALIAS_DEPRECATED_AT = datetime(2026, 12, 6, tzinfo=UTC)


def versioned_path(path: str) -> str | None:
    """The /api/v1 path an unversioned /api path stands for; None for any other path."""
    if path == API_V1 or path.startswith(API_V1 + "/"):
        return None
    if not path.startswith(API_ROOT + "/"):
        return None
    return API_V1 + path[len(API_ROOT) :]


def deprecation_headers(successor: str) -> dict[str, str]:
    return {
        "Deprecation": f"@{int(ALIAS_DEPRECATED_AT.timestamp())}",
        "Link": f'<{successor}>; rel="successor-version", <{DOCS_URL}>; rel="deprecation"',
    }


class DeprecatedApiAliasMiddleware:
    """Serves /api/... as /api/v1/... and marks the answer deprecated."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        successor = versioned_path(scope["path"]) if scope["type"] == "http" else None
        if successor is None:
            await self.app(scope, receive, send)
            return
        raw_path: bytes = scope.get("raw_path") or scope["path"].encode()
        aliased = dict(scope)
        aliased["path"] = successor
        aliased["raw_path"] = API_V1.encode() + raw_path[len(API_ROOT) :]
        added = deprecation_headers(successor)

        async def send_marked(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in added.items():
                    headers.append(name, value)
            await send(message)

        await self.app(aliased, receive, send_marked)
