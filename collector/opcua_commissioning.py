"""Commissioning a secured OPC UA server: the login to use, and the trust handshake.

``linecare opcua trust URL`` connects the way the collector will: the same
certificate directory, the same login configuration, the same security. The
server's certificate is pinned on first use, as the collector does. When the
server refuses LineCare's client certificate, it says in one line which file
to trust (path and thumbprint) and where the server has probably filed it, then
retries until the operator has trusted it or the time is up.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from collector.opcua_refusal import certificate_refusal, thumbprint, trust_instruction
from collector.opcua_security import (
    OpcUaCredentials,
    apply_security,
    client_certificate_path,
    describe_failure,
    new_client,
    trusted_certificate_path,
)
from models.opcua_source import OpcUaSecurity, SecurityPolicy


class LoginError(ValueError):
    """No password could be found for the user to log in as."""


def login_for(
    configured: OpcUaCredentials,
    *,
    user: str | None,
    password_file: Path | None,
    password_env: str | None,
    ask: Callable[[str], str] | None,
) -> OpcUaCredentials:
    """The credentials to connect with: the configured certificate directory, and the
    user's password from, in this order, ``password_file``, the environment
    (``password_env``), the configured login of the same user, or ``ask`` (a prompt)."""
    username = user or configured.username
    if username is None:
        return replace(configured, username=None, password=None)
    if password_file is not None:
        password = password_file.read_text().removesuffix("\n").removesuffix("\r")
    elif password_env is not None:
        password = password_env
    elif configured.password is not None and configured.username == username:
        password = configured.password
    elif ask is not None:
        password = ask(f"password of {username}: ")
    else:
        raise LoginError(
            f"no password for {username}: pass --password-file, or set LINECARE_OPCUA_PASSWORD"
            " or LINECARE_OPCUA_LOGINS"
        )
    return replace(configured, username=username, password=password)


@dataclass(frozen=True, slots=True)
class TrustResult:
    connected: bool
    # What to tell the operator: the connection's certificates, or the last failure.
    message: str


async def establish_trust(
    endpoint: str,
    security: OpcUaSecurity,
    credentials: OpcUaCredentials,
    *,
    wait_s: float,
    retry_every_s: float = 5.0,
    say: Callable[[str], None],
) -> TrustResult:
    """Connect until the server accepts LineCare's certificate, for up to ``wait_s``.

    ``say`` hears the refusal line once (not once per retry), and a new failure
    reason when it changes."""
    deadline = time.monotonic() + wait_s
    last_said: str | None = None
    while True:
        try:
            await _connect_once(endpoint, security, credentials)
        except Exception as error:
            message = await _failure_line(endpoint, security, credentials, error)
            if message != last_said:
                say(message)
                last_said = message
            if time.monotonic() + retry_every_s > deadline:
                return TrustResult(False, message)
            await asyncio.sleep(retry_every_s)
            continue
        return TrustResult(
            True, await asyncio.to_thread(_accepted, endpoint, security, credentials)
        )


async def _connect_once(
    endpoint: str, security: OpcUaSecurity, credentials: OpcUaCredentials
) -> None:
    client = new_client(endpoint)
    await apply_security(client, endpoint, security, credentials)
    await client.connect()
    with contextlib.suppress(Exception):
        await client.disconnect()


async def _failure_line(
    endpoint: str, security: OpcUaSecurity, credentials: OpcUaCredentials, error: Exception
) -> str:
    secured = security.policy is not SecurityPolicy.NONE
    refusal = certificate_refusal(error, secured=secured)
    if refusal is None:
        return f"{endpoint}: {describe_failure(error)}"
    certificate = client_certificate_path(credentials.certificate_dir)
    return await asyncio.to_thread(trust_instruction, endpoint, refusal, certificate)


def _accepted(endpoint: str, security: OpcUaSecurity, credentials: OpcUaCredentials) -> str:
    if security.policy is SecurityPolicy.NONE:
        return f"{endpoint} accepts LineCare without security ({security.mode})"
    certificate = client_certificate_path(credentials.certificate_dir)
    pinned = trusted_certificate_path(credentials.certificate_dir, endpoint)
    return (
        f"{endpoint} accepts LineCare's client certificate {certificate}"
        f" (thumbprint {thumbprint(certificate.read_bytes())}); its server certificate"
        f" is pinned in {pinned}"
    )
