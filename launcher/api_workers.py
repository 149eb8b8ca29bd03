"""`linecare api --workers N`: the API in N processes sharing one listening socket.

One Python process serves one core; on a machine with more, uvicorn's workers
spread the requests. The database is prepared once here, before any worker
starts. Each worker builds its own app from the environment (api/asgi.py), so
the command-line overrides and one signing secret go to them as variables: a
token one worker issued must be good at every other.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping

import uvicorn

from settings.linecare_settings import Settings

APP_FACTORY = "api.asgi:app_from_environment"


def worker_environment(settings: Settings) -> dict[str, str]:
    """The variables that give every worker this process's settings of the API."""
    secret = settings.jwt_secret
    return {
        "LINECARE_API_HOST": settings.api_host,
        "LINECARE_API_PORT": str(settings.api_port),
        "LINECARE_JWT_SECRET": secret.get_secret_value()
        if secret is not None
        else secrets.token_hex(32),
    }


def serve_api_workers(settings: Settings, workers: int, environ: Mapping[str, str]) -> None:
    """Serve until interrupted; blocks. ``environ`` is set before the workers start."""
    os.environ.update(environ)
    uvicorn.run(
        APP_FACTORY,
        factory=True,
        host=settings.api_host,
        port=settings.api_port,
        workers=workers,
        log_level="warning",
    )
