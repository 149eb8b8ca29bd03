"""A real HTTP receiver on a free port that checks each call's signature like a customer would.

It answers the status codes it is told to, in order (then 200), and can be
made to hang until released, to show a slow receiver holds nothing else up.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time
from collections.abc import AsyncIterator, Generator
from dataclasses import dataclass, field
from typing import Any

import uvicorn

from notifications.webhook_signing import verify_signature


@dataclass
class ReceivedCall:
    headers: dict[str, str]
    body: bytes
    signature_ok: bool


@dataclass
class WebhookReceiver:
    """Calls received, the secret they must be signed with, and what to answer."""

    secret: str = ""
    answers: list[int] = field(default_factory=list)
    calls: list[ReceivedCall] = field(default_factory=list)
    hold: asyncio.Event | None = None
    url: str = ""

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        self.calls.append(
            ReceivedCall(
                headers=headers,
                body=body,
                signature_ok=verify_signature(
                    self.secret,
                    timestamp_header=headers.get("x-linecare-timestamp", ""),
                    signature_header=headers.get("x-linecare-signature", ""),
                    body=body,
                    now=time.time(),
                ),
            )
        )
        if self.hold is not None:
            await self.hold.wait()
        code = self.answers.pop(0) if self.answers else 200
        await send({"type": "http.response.start", "status": code, "headers": []})
        await send({"type": "http.response.body", "body": b"ok" if code < 300 else b"no"})


class _QuietServer(uvicorn.Server):
    # The test process keeps its own signal handlers.
    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield


@contextlib.asynccontextmanager
async def running_receiver(receiver: WebhookReceiver) -> AsyncIterator[WebhookReceiver]:
    """Serve ``receiver`` on 127.0.0.1 on a free port until the block ends."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = _QuietServer(
        uvicorn.Config(receiver, lifespan="off", log_level="warning", ws="none", http="h11")
    )
    serving = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:  # noqa: ASYNC110 - uvicorn has no event to wait on
        await asyncio.sleep(0.01)
    receiver.url = f"http://127.0.0.1:{port}/hooks/linecare"
    try:
        yield receiver
    finally:
        if receiver.hold is not None:
            receiver.hold.set()
        server.should_exit = True
        await serving
        sock.close()
