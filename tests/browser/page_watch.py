"""What a page did behind the scenes: its API requests with the headers that decide how
they are signed in, the API's refusals, uncaught script errors and assets that did not
arrive."""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlsplit

from playwright.async_api import Error, Page, Request, Response

_TAB_ICONS = frozenset({"/static/favicon.svg", "/favicon.ico"})


@dataclass(frozen=True, slots=True)
class ApiRequest:
    path: str
    method: str
    authorization: str | None
    requested_with: str | None


@dataclass
class PageWatch:
    """Everything a page sent to /api/, every 4xx/5xx answer from it, every script error,
    and every other request that failed."""

    requests: list[ApiRequest] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    # Pages, scripts and stylesheets that did not arrive (an unstyled page still "works").
    assets: list[str] = field(default_factory=list)

    @classmethod
    def on(cls, page: Page) -> PageWatch:
        watch = cls()
        page.on("request", watch._requested)
        page.on("response", watch._answered)
        page.on("pageerror", watch._failed)
        page.on("requestfailed", watch._not_answered)
        return watch

    def refusals(self) -> list[str]:
        """401, 403 and 5xx answers: 404 is an answer pages expect (a ticket not dispatched
        yet), a refusal or a crash is not."""
        return [f for f in self.failures if f[:3] in ("401", "403") or f.startswith("5")]

    def expect_clean(self) -> None:
        """No script error, no refusal or crash from the API, no missing page, script or
        stylesheet: what the screenshots show is the page as it is meant to look."""
        assert (self.errors, self.refusals(), self.assets) == ([], [], [])

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
        elif response.status >= 400:
            self.assets.append(f"{response.status} {path}")

    def _not_answered(self, request: Request) -> None:
        path = urlsplit(request.url).path
        # Leaving a page aborts its API calls in flight, and the browser's fetch of the
        # tab icon: that is no missing asset (a missing icon still answers 404 above).
        if not path.startswith("/api/") and path not in _TAB_ICONS:
            self.assets.append(f"{request.failure} {path}")

    def _failed(self, error: Error) -> None:
        self.errors.append(error.stack or error.message)
