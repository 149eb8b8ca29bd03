"""What a page did behind the scenes: its API requests with the headers that decide how
they are signed in, the API's refusals, and uncaught script errors."""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlsplit

from playwright.async_api import Error, Page, Request, Response


@dataclass(frozen=True, slots=True)
class ApiRequest:
    path: str
    method: str
    authorization: str | None
    requested_with: str | None


@dataclass
class PageWatch:
    """Everything a page sent to /api/, every 4xx/5xx answer from it, every script error."""

    requests: list[ApiRequest] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @classmethod
    def on(cls, page: Page) -> PageWatch:
        watch = cls()
        page.on("request", watch._requested)
        page.on("response", watch._answered)
        page.on("pageerror", watch._failed)
        return watch

    def refusals(self) -> list[str]:
        """401, 403 and 5xx answers: 404 is an answer pages expect (a ticket not dispatched
        yet), a refusal or a crash is not."""
        return [f for f in self.failures if f[:3] in ("401", "403") or f.startswith("5")]

    def _requested(self, request: Request) -> None:
        path = urlsplit(request.url).path
        if path.startswith("/api/"):
            headers = request.headers  # lower-case names
            self.requests.append(
                ApiRequest(
                    path,
                    request.method,
                    headers.get("authorization"),
                    headers.get("x-requested-with"),
                )
            )

    def _answered(self, response: Response) -> None:
        path = urlsplit(response.url).path
        if response.status >= 400 and path.startswith("/api/"):
            self.failures.append(f"{response.status} {path}")

    def _failed(self, error: Error) -> None:
        self.errors.append(error.stack or error.message)
