"""One webhook call: the stored JSON body, signed, POSTed; any 2xx answer delivers it.

Redirects are not followed (a receiver must be named by its real URL), and a
timeout bounds each call, so one slow receiver cannot hold up the others long.
"""

from __future__ import annotations

import httpx

from models.notifications import AttemptOutcome
from notifications.webhook_signing import DELIVERY_HEADER, EVENT_HEADER, signed_headers

USER_AGENT = "LineCare-Webhooks/1"


def webhook_client(timeout_s: float) -> httpx.AsyncClient:
    """The HTTP client the delivery job shares between calls."""
    return httpx.AsyncClient(timeout=httpx.Timeout(timeout_s), follow_redirects=False)


async def send_webhook(
    http: httpx.AsyncClient,
    *,
    url: str,
    secret: str,
    delivery_id: int,
    event: str,
    payload: str,
    timestamp: int,
) -> AttemptOutcome:
    """POST the payload to ``url``, signed with ``secret`` at ``timestamp``."""
    body = payload.encode()
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        DELIVERY_HEADER: str(delivery_id),
        EVENT_HEADER: event,
        **signed_headers(secret, timestamp, body),
    }
    try:
        response = await http.post(url, content=body, headers=headers)
    except httpx.HTTPError as error:
        return AttemptOutcome(delivered=False, error=_describe(error))
    if response.is_success:
        return AttemptOutcome(delivered=True, status_code=response.status_code)
    return AttemptOutcome(
        delivered=False,
        status_code=response.status_code,
        error=f"the receiver answered {response.status_code} {response.reason_phrase}".strip(),
    )


def _describe(error: httpx.HTTPError) -> str:
    detail = str(error) or repr(error.__cause__ or "")
    return f"{type(error).__name__}: {detail}"[:500]
