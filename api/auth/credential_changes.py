"""Hearing that a user or an API key changed, so an API process forgets whom its
recent credentials belong to (api/auth/credential_cache.py).

Migration 060's triggers notify ``linecare_credentials`` after every change to
``users`` or ``api_keys`` that can refuse or change a credential, however it was
made: through the API, the ``linecare users`` command or by hand in SQL. Each API
process holds one connection listening on that channel. While it is not
connected the cache keeps nothing; a lost connection is found by the socket
closing or, on a silent network, by TCP keepalives within half a minute.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress

import psycopg
from psycopg.conninfo import make_conninfo

from api.auth.credential_cache import CredentialCache

log = logging.getLogger(__name__)

CHANNEL = "linecare_credentials"
RECONNECT_AFTER_S = 1.0


async def follow_credential_changes(
    conninfo: str, cache: CredentialCache, *, reconnect_after_s: float = RECONNECT_AFTER_S
) -> None:
    """Forget the cache's credentials on every change heard, until cancelled; while
    the listening connection is down, the cache keeps nothing."""
    while True:
        try:
            async with await psycopg.AsyncConnection.connect(
                _with_keepalives(conninfo), autocommit=True
            ) as conn:
                await conn.execute(f"LISTEN {CHANNEL}")
                cache.start_listening()
                async for _ in conn.notifies():
                    cache.forget_all()
        except psycopg.Error as error:
            log.warning("not hearing credential changes, retrying: %s", error)
        finally:
            cache.stop_listening()
        await asyncio.sleep(reconnect_after_s)


def _with_keepalives(conninfo: str) -> str:
    return make_conninfo(
        conninfo, keepalives=1, keepalives_idle=10, keepalives_interval=5, keepalives_count=3
    )


@asynccontextmanager
async def credential_changes_followed(conninfo: str, cache: CredentialCache) -> AsyncIterator[None]:
    """``follow_credential_changes`` in a task for as long as the block runs."""
    following = asyncio.create_task(follow_credential_changes(conninfo, cache))
    try:
        yield
    finally:
        following.cancel()
        with suppress(asyncio.CancelledError):
            await following
